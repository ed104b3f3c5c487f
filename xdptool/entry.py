"""The installed `xdptool` script: answers --help and --version from text
cached at build time (xdptool/_help.py) and loads the Typer command line for
everything else, so help takes as long as Python takes to start.

Ctrl-C at any moment exits 130 without a traceback.
"""

from __future__ import annotations

import os
import sys

HELP_OPTIONS = ("-h", "--help")
# click wraps help at min(terminal columns, 80) - 2; the cache is the text for 80 or more.
_CACHED_WIDTH = 80


def _wide_enough() -> bool:
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns) >= _CACHED_WIDTH
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns >= _CACHED_WIDTH
    except (AttributeError, OSError, ValueError):
        return True  # not a terminal: click assumes 80


def cached_answer(args: list[str]) -> str | None:
    """The output for ``args`` when it is help or the version, else None."""
    if args in (["--version"], ["-V"]):
        from xdptool import __version__

        return f"xdptool {__version__}\n"
    if not args or args[-1] not in HELP_OPTIONS or not _wide_enough():
        return None
    from xdptool._help import HELP

    return HELP.get(tuple(args[:-1]))


def main() -> None:
    try:
        if sys.stdout is None:  # started with stdout closed (`xdptool ... >&-`)
            sys.exit(1)
        text = cached_answer(sys.argv[1:])
        if text is None:
            from xdptool.cli import main as run_cli

            run_cli()
            return
        from xdptool import output

        try:
            sys.stdout.write(text)
        except OSError as err:  # `xdptool --help | head`, a full disk
            sys.exit(output.abandon(err))
        sys.exit(output.flushed(0))
    except KeyboardInterrupt:
        sys.exit(130)
