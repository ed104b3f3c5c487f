"""Writing a command's output: a write that fails says so in one line.

A gone reader (EPIPE) is left to the command line to end quietly; any other
failure (a full disk, an I/O error) becomes the error `cannot write output`,
the same whether it happens at the write (unbuffered stdout) or when the
buffer is flushed at exit (xdptool.cli).
"""

from __future__ import annotations

import os
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
        raise XdptoolError(_cannot_write(err)) from err


def _cannot_write(err: OSError) -> str:
    return f"cannot write output: {err.strerror}"


def abandon(err: OSError) -> int:
    """After stdout failed: nothing more goes to it, not even Python's flush at
    exit; one line on stderr unless the reader is simply gone. Returns 1."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if not isinstance(err, BrokenPipeError) and sys.stderr is not None:
        sys.stderr.write(f"xdptool: {_cannot_write(err)}\n")
    return 1


def flushed(status: int) -> int:
    """``status`` once what is buffered for stdout is written, else 1 (abandon)."""
    try:
        sys.stdout.flush()
    except OSError as err:
        return abandon(err)
    return status
