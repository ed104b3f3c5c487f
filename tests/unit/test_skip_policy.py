"""scripts/test-all runs pytest with XDPTOOL_SKIP_FAILS=1: a skip fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SAMPLE = '''
import pytest

def test_skips():
    pytest.skip("no widget here")

@pytest.mark.xfail(reason="known")
def test_xfails():
    assert False

def test_passes():
    pass
'''


@pytest.mark.parametrize(("skip_fails", "summary"), [
    ("1", "1 failed, 1 passed, 1 xfailed"),
    ("", "1 passed, 1 skipped, 1 xfailed"),
])
def test_skip_is_a_failure_only_under_test_all(tmp_path: Path, skip_fails: str,
                                               summary: str) -> None:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
         "--rootdir", str(tmp_path), str(tmp_path / "test_sample.py")],
        cwd=REPO, capture_output=True, text=True, check=False,
        env={**os.environ, "XDPTOOL_SKIP_FAILS": skip_fails})
    assert res.stdout.strip().splitlines()[-1].startswith(summary), res.stdout
    if skip_fails:
        assert "skipped under XDPTOOL_SKIP_FAILS=1: Skipped: no widget here" in res.stdout
