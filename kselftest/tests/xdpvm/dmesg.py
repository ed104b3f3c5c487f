"""Problems in the guest kernel log, with the patterns scripts/vm-run uses."""

from __future__ import annotations

import re
import subprocess

from xdpvm.host import REPO

PATTERNS_FILE = REPO / "kselftest" / "dmesg-problems"


def patterns() -> list[str]:
    """The patterns of kselftest/dmesg-problems (what scripts/vm-run greps for)."""
    return [line for line in PATTERNS_FILE.read_text().splitlines()
            if line and not line.startswith("#")]


# The harness's own list, to blame the test that caused it.
DMESG_PROBLEMS = re.compile("|".join(f"(?:{p})" for p in patterns()))


def dmesg() -> str:
    return subprocess.run(["dmesg"], capture_output=True, text=True, check=False).stdout


def dmesg_problems(before: str) -> list[str]:
    """Problem lines the kernel logged since `before` (an earlier dmesg())."""
    now = dmesg()
    new = now[len(before):] if now.startswith(before) else now
    return [line for line in new.splitlines() if DMESG_PROBLEMS.search(line)]
