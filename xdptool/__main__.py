"""`python -m xdptool` entry point."""

from xdptool.entry import main

main()
