"""The VM tier: the kselftest suite on the patched kernel, and proof that
the harness fails when a guest test fails or the guest kernel warns.

Needs root and a kernel built by scripts/kernel-build (scripts/test-all
builds it first); without one these are skipped with that reason.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("XDPTOOL_CACHE") or Path.home() / ".cache/xdptool")
# The primary base's work tree (scripts/kernel-tree).
KTREE = Path(os.environ.get("XDPTOOL_KTREE") or CACHE / "linux")

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(not (KTREE / "arch/x86/boot/bzImage").exists(),
                       reason=f"no kernel built in {KTREE}: run scripts/kernel-build"),
]


# Under the cache, not /tmp: the guest sees the host's files, but not its /tmp.
BPF_DIR = CACHE / "bpf"


def vm_run(*cmd: str, keep: Path | None = None) -> subprocess.CompletedProcess[str]:
    subprocess.run([str(REPO / "kselftest/build-bpf"), str(BPF_DIR)], check=True)
    opts = ["--keep-log", str(keep)] if keep else []
    res = subprocess.run([str(REPO / "scripts/vm-run"), "--tree", str(KTREE), *opts, "--", *cmd],
                         capture_output=True, text=True, cwd=REPO, check=False,
                         env={**os.environ, "XDPTOOL_BPF_DIR": str(BPF_DIR)})
    print(res.stdout[-20000:], res.stderr[-5000:], sep="\n")
    return res


def test_kselftests_pass_on_patched_kernel() -> None:
    res = vm_run("kselftest/run")
    assert res.returncode == 0
    summary = res.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "skipped" not in summary


def test_guest_exit_status_is_returned(tmp_path: Path) -> None:
    assert vm_run("sh", "-c", "exit 7", keep=tmp_path).returncode == 7
    assert (tmp_path / "rc").read_text() == "7\n"
    # The test kernel has kmemleak (kselftest/config): the guest scanned
    # once the command was done, and a plain boot leaks nothing.
    assert (tmp_path / "kmemleak").read_text() == ""
    assert "Linux version" in (tmp_path / "dmesg").read_text()


def test_failing_guest_test_and_kernel_warning_fail_the_run(tmp_path: Path) -> None:
    # One boot for both (each costs a minute under TCG): a guest pytest
    # that fails, then a WARNING from LKDTM (kselftest/config). The guest
    # reports pytest's status, and vm-run names the warning it failed on.
    res = vm_run("sh", "-c", "python3 -m pytest -p no:cacheprovider tests/vm/guest_breaks.py;"
                 " echo $? > /tmp/pytest-rc;"
                 " mount -t debugfs none /sys/kernel/debug 2>/dev/null;"
                 " echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT;"
                 " exit $(cat /tmp/pytest-rc)", keep=tmp_path)
    assert "1 failed" in res.stdout
    assert (tmp_path / "rc").read_text() == "1\n"
    assert res.returncode == 1
    assert "the guest kernel reported a problem" in res.stderr
    assert "WARNING:" in res.stderr
    assert "command exit status was 1" in res.stderr
