"""scripts/stage-times: the test command's stage marks as a table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

LOG = """\
noise before the first mark

==== install dependencies (0s)
Reading package lists...
==== lint (65s)
==== kernel build (125s)
==== background series build: from 1125s to 1800s
==== VM tier (1130s)
==== end (exit 0) (2000s)
"""


def stage_times(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "scripts/stage-times"), *args],
                          input=stdin, capture_output=True, text=True, check=False)


def test_table_from_log_on_stdin() -> None:
    res = stage_times(stdin=LOG)
    assert res.returncode == 0
    assert res.stdout.splitlines() == [
        "stage                         time  share",
        "install dependencies          1:05     3%",
        "lint                          1:00     3%",
        "kernel build                 16:45    50%",
        "series build (background)    11:15    34%",
        "VM tier                      14:30    44%",
        "total (wall clock)           33:20",
    ]


def test_table_from_file(tmp_path: Path) -> None:
    (tmp_path / "ci.log").write_text(LOG)
    assert stage_times(str(tmp_path / "ci.log")).stdout == stage_times(stdin=LOG).stdout


def test_no_marks_and_missing_file(tmp_path: Path) -> None:
    assert stage_times(stdin="nothing here\n").stdout == "no stage marks found\n"
    res = stage_times(str(tmp_path / "absent.log"))
    assert res.returncode == 1
    missing = tmp_path / "absent.log"
    assert res.stderr == f"stage-times: error: {missing}: No such file or directory\n"
