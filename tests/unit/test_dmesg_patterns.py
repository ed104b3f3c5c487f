"""kselftest/dmesg-problems is read by grep -E (scripts/vm-run) and by
Python's re (the VM suite): both must find the same lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "kselftest" / "tests"))

from xdpvm import dmesg  # noqa: E402

LOG = """\
[    1.0] Linux version 6.12.48 (root@host)
[    2.0] WARNING: CPU: 1 PID: 7 at net/core/dev.c:123 xdp_do_flush+0x1/0x2
[    2.1] BUG: KASAN: slab-out-of-bounds in veth_xdp_rcv
[    2.2] INFO: task kworker/0:1:12 blocked for more than 120 seconds.
[    2.3] kmemleak: 3 new suspected memory leaks (see /sys/kernel/debug/kmemleak)
[    2.4] virtio_net virtio0 eth0: XDP request 2 queues but max is 1
[    2.5] rcu: INFO: rcu_preempt self-detected stall on CPU
[    2.6] lockdep is turned off.
[    2.7] veth: module loaded, warning-free
"""
PROBLEMS = [2, 3, 4, 5, 7, 8]  # line numbers (1-based) that are problems


def test_python_and_grep_agree(tmp_path: Path) -> None:
    log = tmp_path / "dmesg"
    log.write_text(LOG)
    patterns = tmp_path / "patterns"
    patterns.write_text("\n".join(dmesg.patterns()) + "\n")
    grep = subprocess.run(["grep", "-n", "-E", "-f", str(patterns), str(log)],
                          capture_output=True, text=True, check=True).stdout
    assert [int(line.split(":", 1)[0]) for line in grep.splitlines()] == PROBLEMS
    lines = LOG.splitlines()
    assert [i + 1 for i, line in enumerate(lines) if dmesg.DMESG_PROBLEMS.search(line)] == PROBLEMS


def test_vm_run_uses_the_file() -> None:
    vm_run = (REPO / "scripts" / "vm-run").read_text()
    assert "kselftest/dmesg-problems" in vm_run
    assert "WARNING:|BUG:" not in vm_run  # no second copy of the list
