"""Interface names are bytes: Linux allows any byte but NUL, '/', ':' and
white space in them, valid UTF-8 or not.

Names travel inside xdptool as str decoded with the filesystem encoding and
surrogate escapes (os.fsdecode), which is what sys.argv holds for the same
bytes, so a name from the kernel and one typed on the command line compare
equal and encode back to the same bytes. For display, anything a terminal
would not show as itself is escaped.
"""

from __future__ import annotations

import os


def from_kernel(raw: bytes) -> str:
    """A name as the kernel sent it (NUL-terminated or not)."""
    return os.fsdecode(raw.split(b"\0", 1)[0])


def to_kernel(name: str) -> bytes:
    """The bytes of a name, for the kernel (no NUL added)."""
    return os.fsencode(name)


def shown(name: str) -> str:
    """The name as printed: unprintable characters and bytes that are not
    UTF-8 as \\xNN (per byte), a backslash as \\\\; reversible."""
    if name.isprintable() and "\\" not in name:
        return name
    out = []
    for char in name:
        if char == "\\":
            out.append("\\\\")
        elif char.isprintable() and not 0xDC80 <= ord(char) <= 0xDCFF:
            out.append(char)
        else:
            out.extend(f"\\x{byte:02x}" for byte in os.fsencode(char))
    return "".join(out)


def quoted(name: str) -> str:
    """The name for messages: shown() between double quotes, so that an empty
    name or one with odd characters is visible as such."""
    return f'"{shown(name)}"'


def printable(text: str) -> str:
    """A message for one line on a terminal: like shown(), but backslashes
    stay as they are."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() and not 0xDC80 <= ord(char) <= 0xDCFF
                   else "".join(f"\\x{byte:02x}" for byte in os.fsencode(char))
                   for char in text)
