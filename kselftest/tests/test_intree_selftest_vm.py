"""The series' in-tree selftests (drivers/net/xdp_stats.py, xdp_tx.py,
xdp_policy.py) in the guest.

Run from the kernel work tree, against its selftest libraries
(tools/testing/selftests/drivers/net/lib/py and net/lib/py) and YNL. The
guest's root file system is read-only, so the script and its BPF object go
to a temporary directory; the objects and helpers are the host's build
($XDPTOOL_BPF_DIR, kselftest/build-bpf) when there is one, else built here.
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
SELFTESTS_MIN_CASES = {"xdp_stats": 9, "xdp_tx": 6, "xdp_policy": 15}
# The BPF programs (in BPF_DIRS) and C helpers (next to the test) each uses.
SELFTEST_PROGS = {"xdp_stats": ("xdp_act",), "xdp_tx": ("xdp_act",),
                  "xdp_policy": ("xdp_policy",)}
SELFTEST_HELPERS = {"xdp_policy": ("xdp_policy_helper",)}


def prebuilt(name: str) -> Path | None:
    """The host's build of a program or helper (kselftest/build-bpf)."""
    path = Path(os.environ.get("XDPTOOL_BPF_DIR", "/nonexistent")) / name
    return path if path.exists() else None


def build_prog(tree: Path, prog: str, tmp_path: Path) -> None:
    """prog.bpf.o where the test looks for it: the host's build, else built
    with the flags of the net selftests' bpf.mk, the system's UAPI and
    libbpf headers."""
    bpf_dir = next((d for d in BPF_DIRS if (tree / d / f"{prog}.bpf.c").exists()), None)
    assert bpf_dir, f"no {prog}.bpf.c in {tree}/{{{','.join(BPF_DIRS)}}}"
    obj = tmp_path / bpf_dir / f"{prog}.bpf.o"
    obj.parent.mkdir(parents=True, exist_ok=True)
    built = prebuilt(f"{prog}.bpf.o")
    if built:
        shutil.copy(built, obj)
        return
    sh("clang", "-O2", "-g", "--target=bpf", "-idirafter", "/usr/include/x86_64-linux-gnu",
       "-c", str(tree / bpf_dir / f"{prog}.bpf.c"), "-o", str(obj))


def build_helper(tree: Path, helper: str, out: Path) -> None:
    built = prebuilt(helper)
    if built:
        shutil.copy(built, out)
        return
    sh("gcc", "-O2", "-Wall", "-o", str(out), str(tree / TEST_DIR / f"{helper}.c"), "-lbpf")


@pytest.mark.parametrize("name", sorted(SELFTESTS_MIN_CASES))
def test_intree_xdp_selftest(tmp_path: Path, name: str) -> None:
    # The same layout as the tree: the test finds its program by path.
    tree = ktree() / SELFTESTS
    if not (tree / TEST_DIR / f"{name}.py").exists() and name != "xdp_stats":
        pytest.skip(f"{name}.py is not in this base's series yet (patches/*/)")
    script = tmp_path / TEST_DIR / f"{name}.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    # xdp_tx.py and xdp_policy.py import from xdp_stats.py.
    for script_name in {name, "xdp_stats"}:
        shutil.copy(tree / TEST_DIR / f"{script_name}.py", script.parent)
    for prog in SELFTEST_PROGS[name]:
        build_prog(tree, prog, tmp_path)
    for helper in SELFTEST_HELPERS.get(name, ()):
        build_helper(tree, helper, script.parent / helper)
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
