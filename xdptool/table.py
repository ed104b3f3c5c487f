"""Aligned text tables that never cut a number.

Columns are as wide as their widest cell. On a terminal narrower than the
table, the columns after the key columns are folded into several stacked
tables, each repeating the key columns (``stats --per-queue`` on 80 columns:
queue + four counters, then queue + the other three). A single column wider
than the terminal is printed whole and left to the terminal to wrap. Not on a
terminal (piped, redirected): one table, plain aligned text, like ethtool.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

GAP = "  "


def terminal_width(stream: TextIO | None = None) -> int | None:
    """Columns of the terminal ``stream`` (default stdout) is, None when it is
    not a terminal. COLUMNS overrides the size the terminal reports."""
    stream = sys.stdout if stream is None else stream
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    if not os.isatty(fd):
        return None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(fd).columns
    except OSError:
        return 80


def _width(headers: Sequence[str], rows: Sequence[Sequence[str]], col: int) -> int:
    return max([len(headers[col])] + [len(row[col]) for row in rows])


def _lines(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool],
           columns: Sequence[int]) -> list[str]:
    widths = {c: _width(headers, rows, c) for c in columns}
    out = []
    for cells in (headers, *rows):
        parts = [cells[c].rjust(widths[c]) if right[c] else cells[c].ljust(widths[c])
                 for c in columns]
        out.append(GAP.join(parts).rstrip())
    return out


def _fold(widths: Sequence[int], keys: int, width: int) -> list[list[int]]:
    """Column groups (each starting with the key columns) that fit ``width``."""
    key_cols = list(range(keys))
    used = sum(widths[:keys]) + len(GAP) * max(0, keys - 1)
    groups: list[list[int]] = []
    current: list[int] = []
    current_width = used
    for col in range(keys, len(widths)):
        extra = widths[col] + (len(GAP) if keys or current else 0)
        if current and current_width + extra > width:
            groups.append(key_cols + current)
            current, current_width = [], used
            extra = widths[col] + (len(GAP) if keys else 0)
        current.append(col)
        current_width += extra
    groups.append(key_cols + current)
    return groups


def render(headers: Sequence[str], rows: Sequence[Sequence[str]], *,
           right: Sequence[bool] | None = None, width: int | None = None,
           keys: int = 1) -> str:
    """The table as text (ending in a newline).

    ``right``: per column, right-align (numbers); ``width``: the terminal's
    columns, None for no folding; ``keys``: leading columns repeated in every
    folded part.
    """
    right = right if right is not None else [False] * len(headers)
    all_columns = list(range(len(headers)))
    widths = [_width(headers, rows, c) for c in all_columns]
    total = sum(widths) + len(GAP) * (len(widths) - 1)
    if width is None or total <= width or len(headers) <= keys:
        return "\n".join(_lines(headers, rows, right, all_columns)) + "\n"
    parts = ["\n".join(_lines(headers, rows, right, group))
             for group in _fold(widths, keys, width)]
    return "\n\n".join(parts) + "\n"
