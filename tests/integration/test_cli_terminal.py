"""Tables on a real terminal (a pty) fold to its width; piped, they do not."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
ENV.pop("COLUMNS", None)


def on_terminal(columns: int, *args: str) -> str:
    """Output of `xdptool ARGS` on a pty of that many columns (its own size,
    not COLUMNS, as a terminal reports it)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "xdptool", *args], stdout=slave,
                            stderr=subprocess.PIPE, env=ENV, cwd=REPO)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=30) == 0, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks).decode().replace("\r\n", "\n")


def piped(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "xdptool", *args], capture_output=True,
                          text=True, env={**ENV, "COLUMNS": "40"}, cwd=REPO, check=True).stdout


def test_piped_output_is_never_folded() -> None:
    out = piped("features")
    assert "\n\n" not in out
    assert out.splitlines()[0].split()[:3] == ["Interface", "Index", "Driver"]


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_features_table_fits_the_terminal(columns: int) -> None:
    natural = max(len(line) for line in piped("features").splitlines())
    text = on_terminal(columns, "features")
    assert max(len(line) for line in text.splitlines()) <= columns
    assert ("\n\n" in text) == (natural > columns)  # folded only when it does not fit
    assert all(part.startswith("Interface") for part in text.split("\n\n"))
    # the same cells, only arranged differently
    cells = sorted(w for line in piped("features").splitlines()[1:] for w in line.split())
    folded = sorted(w for line in text.splitlines() if line and not line.startswith("Interface")
                    for w in line.split()[1:])
    names = [line.split()[0] for line in piped("features").splitlines()[1:]]
    assert sorted(cells) == sorted(folded + names)
