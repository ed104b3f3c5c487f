"""Writing a command's output: a write that fails says so in one line.

A gone reader (EPIPE) is left to the command line to end quietly; any other
failure (a full disk, an I/O error) becomes the error `cannot write output`,
the same whether it happens at the write (unbuffered stdout) or when the
buffer is flushed at exit (xdptool.cli).
"""

from __future__ import annotations

import sys

from xdptool.errors import XdptoolError


def write(text: str, *, flush: bool = False) -> None:
    try:
        sys.stdout.write(text)
        if flush:
            sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as err:
        raise XdptoolError(f"cannot write output: {err.strerror}") from err
