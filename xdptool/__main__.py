"""`python -m xdptool` entry point."""

from xdptool.cli import main

main()
