"""The series' in-tree selftests (drivers/net/xdp_stats.py, xdp_tx.py) in the guest.

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

import pytest
from xdpvm.host import ktree, sh

SELFTESTS = "tools/testing/selftests"
TEST_DIR = "drivers/net"
# Where the test's BPF program lives: with the other XDP programs of the
# net selftests in 7.x, next to the test in the 6.12 backport.
BPF_DIRS = ("net/lib", "drivers/net")


# Each selftest and the fewest cases it must list: a list cut short fails.
SELFTESTS_MIN_CASES = {"xdp_stats": 9, "xdp_tx": 6}


@pytest.mark.parametrize("name", sorted(SELFTESTS_MIN_CASES))
def test_intree_xdp_selftest(tmp_path: Path, name: str) -> None:
    # The same layout as the tree: the test finds its program by path.
    tree = ktree() / SELFTESTS
    if not (tree / TEST_DIR / f"{name}.py").exists() and name != "xdp_stats":
        pytest.skip(f"{name}.py is not in this base's series yet (patches/*/)")
    bpf_dir = next((d for d in BPF_DIRS if (tree / d / "xdp_act.bpf.c").exists()), None)
    assert bpf_dir, f"no xdp_act.bpf.c in {tree}/{{{','.join(BPF_DIRS)}}}"
    script = tmp_path / TEST_DIR / f"{name}.py"
    obj = tmp_path / bpf_dir / "xdp_act.bpf.o"
    for d in (script.parent, obj.parent):
        d.mkdir(parents=True, exist_ok=True)
    # xdp_tx.py imports the pairs and senders of xdp_stats.py.
    for script_name in {name, "xdp_stats"}:
        shutil.copy(tree / TEST_DIR / f"{script_name}.py", script.parent)
    prebuilt = Path(os.environ.get("XDPTOOL_BPF_DIR", "/nonexistent")) / "xdp_act.bpf.o"
    if prebuilt.exists():
        shutil.copy(prebuilt, obj)
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
            str(tree / bpf_dir / "xdp_act.bpf.c"),
            "-o",
            str(obj),
        )
    env = dict(os.environ, PYTHONPATH=str(tree / TEST_DIR))
    res = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=script.parent,
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
    assert re.findall(rf"^ok \d+ {name}\.(\w+)$", res.stdout, re.M) == cases, res.stdout
    assert passed == len(cases) >= SELFTESTS_MIN_CASES[name], res.stdout
