"""The series' in-tree selftest (drivers/net/xdp_stats.py) in the guest.

Run from the kernel work tree, against its selftest libraries
(tools/testing/selftests/drivers/net/lib/py and net/lib/py) and YNL. The
guest's root file system is read-only, so the script and its BPF object go
to a temporary directory; the object is the host's build
($XDPTOOL_BPF_DIR/xdp_act.bpf.o) when there is one, else built here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from xdpvm.host import ktree, sh

SELFTESTS = "tools/testing/selftests/drivers/net"


def source(name: str) -> Path:
    return ktree() / SELFTESTS / name


def test_intree_xdp_stats_selftest(tmp_path: Path) -> None:
    script = tmp_path / "xdp_stats.py"
    shutil.copy(source("xdp_stats.py"), script)
    prebuilt = Path(os.environ.get("XDPTOOL_BPF_DIR", "/nonexistent")) / "xdp_act.bpf.o"
    if prebuilt.exists():
        shutil.copy(prebuilt, tmp_path / "xdp_act.bpf.o")
    else:
        # The kernel builds it with the net selftests' bpf.mk; the same
        # flags with the system's UAPI and libbpf headers.
        sh(
            "clang",
            "-O2",
            "-g",
            "--target=bpf",
            "-idirafter",
            "/usr/include/x86_64-linux-gnu",
            "-c",
            str(source("xdp_act.bpf.c")),
            "-o",
            str(tmp_path / "xdp_act.bpf.o"),
        )
    env = dict(os.environ, PYTHONPATH=str(ktree() / SELFTESTS))
    res = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=900,
        check=False,
    )
    print(res.stdout, res.stderr, sep="\n")
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    totals = re.search(
        r"^# Totals: pass:(\d+) fail:(\d+) xfail:\d+ xpass:\d+ skip:(\d+)", res.stdout, re.M
    )
    assert totals, "no KTAP totals line"
    passed, failed, skipped = map(int, totals.groups())
    assert (failed, skipped) == (0, 0), res.stdout
    # Every case the script lists ran and passed, in its order.
    listed = re.search(r"ksft_run\(\[([^\]]*)\]", script.read_text())
    assert listed, "no ksft_run([...]) in the selftest"
    cases = re.findall(r"\w+", listed.group(1))
    assert re.findall(r"^ok \d+ xdp_stats\.(\w+)$", res.stdout, re.M) == cases, res.stdout
    assert passed == len(cases) >= 9, res.stdout
