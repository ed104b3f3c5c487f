"""`xdptool tx` and `redirect-target` against the running kernel (no
series: the configuration reads n/a, and only the workarounds can make a
device a target), in a throwaway netns: a veth becomes a redirect target
when its peer gets NAPI (GRO, or an XDP program loaded through libbpf),
and xdptool's answer follows the kernel's ndo-xmit bit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout, installed or not


def sh(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"xdptx-{uuid.uuid4().hex[:8]}"
    sh("ip", "netns", "add", name)
    try:
        sh("ip", "-n", name, "link", "add", "tx0", "type", "veth", "peer", "name", "tx1")
        for dev in ("tx0", "tx1"):
            sh("ip", "-n", name, "link", "set", "dev", dev, "up")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def tx(ns: str, *args: str) -> subprocess.CompletedProcess[str]:
    return xdptool(ns, "tx", *args)


def xdptool(ns: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xdptool", "--netns", ns, *args],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=REPO,
        check=False,
    )


def test_veth_becomes_a_target_when_its_peer_has_napi(netns: str) -> None:
    before = tx(netns, "tx0", "--json")
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout) == {
        "ifname": "tx0",
        "ifindex": json.loads(sh("ip", "-n", netns, "-j", "link", "show", "tx0"))[0]["ifindex"],
        "redirect_target": False,
        "redirect_target_sg": False,
        "configurable": False,
        "mode": None,
        "count": None,
        "max_count": None,
        "selection": None,
    }
    assert "note: not a redirect target now" in tx(netns, "tx0").stdout

    sh("ip", "netns", "exec", netns, "ethtool", "-K", "tx1", "gro", "on")
    after = json.loads(tx(netns, "tx0", "--json").stdout)
    assert (after["redirect_target"], after["redirect_target_sg"]) == (True, True)
    text = tx(netns, "tx0").stdout.splitlines()
    assert text[:2] == ["XDP TX parameters for tx0:", "Redirect target:\tyes"]
    assert not any(line.startswith("note: not a redirect target") for line in text)


def test_unknown_device(netns: str) -> None:
    res = tx(netns, "nope0")
    assert (res.returncode, res.stdout, res.stderr) == (1, "", 'xdptool: no such device: "nope0"\n')


def is_target(ns: str, dev: str) -> bool:
    return bool(json.loads(tx(ns, dev, "--json").stdout)["redirect_target"])


def test_redirect_target_needs_asking_then_gro_on_the_peer(netns: str) -> None:
    sh("ip", "netns", "exec", netns, "ethtool", "-K", "tx1", "gro", "off")
    res = xdptool(netns, "redirect-target", "tx0")
    assert (res.returncode, res.stdout) == (1, "")
    assert res.stderr == ("xdptool: tx0 is not a redirect target, and this kernel cannot make "
                          "it one without a program (it has no xdptool series): re-run with "
                          "--workaround to turn GRO on on its veth peer\n")
    assert not is_target(netns, "tx0")

    res = xdptool(netns, "redirect-target", "tx0", "--workaround")
    assert (res.returncode, res.stderr) == (0, "")
    assert res.stdout == ("tx0: turned GRO on on its veth peer tx1, which gives the peer NAPI "
                          "to receive redirected frames\nundo: ethtool -K tx1 gro off\n")
    assert is_target(netns, "tx0")
    gro = sh("ip", "netns", "exec", netns, "ethtool", "-k", "tx1")
    assert "generic-receive-offload: on" in gro
    # a second time: nothing to do
    res = xdptool(netns, "redirect-target", "tx0", "--workaround")
    assert res.stdout == "tx0: a redirect target already (NDO_XMIT)\n"


def test_peer_down_workaround_undone(netns: str) -> None:
    """GRO on a peer that is down gives it no NAPI: xdptool says so and puts
    GRO back off."""
    sh("ip", "netns", "exec", netns, "ethtool", "-K", "tx1", "gro", "off")
    sh("ip", "-n", netns, "link", "set", "dev", "tx1", "down")
    res = xdptool(netns, "redirect-target", "tx0", "--workaround")
    assert (res.returncode, res.stdout) == (1, "")
    assert res.stderr == ("xdptool: tx0: still no redirect target after the workaround (tried "
                          "to turn GRO on on its veth peer; undone): is its peer down?\n")
    assert "generic-receive-offload: off" in sh("ip", "netns", "exec", netns, "ethtool",
                                                "-k", "tx1")


def test_xdp_pass_program_through_libbpf(netns: str) -> None:
    """The XDP_PASS workaround for real (ctypes on libbpf.so.1): on a veth it
    gives the peer's other end NAPI, so attaching it to tx1 makes tx0 a target."""
    sh("ip", "netns", "exec", netns, "ethtool", "-K", "tx1", "gro", "off")
    code = (
        "from xdptool import links, netns, redirect_target as rt\n"
        f"netns.enter({netns!r})\n"
        "o = rt._xdp_pass_program(links.get_link('tx1'))\n"
        "print(o.how, o.undo)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=ENV, cwd=REPO, check=False)
    assert (res.returncode, res.stderr) == (0, ""), res
    assert res.stdout == "xdp-pass-program ip link set dev tx1 xdpdrv off\n"
    xdp = json.loads(sh("ip", "-n", netns, "-j", "-d", "link", "show", "tx1"))[0]["xdp"]
    assert xdp["mode"] == 1 and xdp["prog"]["name"] == "xdptool_pass"
    assert is_target(netns, "tx0")
    # another program there: refused, nothing replaced
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=ENV, cwd=REPO, check=False)
    assert res.returncode == 1
    assert res.stderr.splitlines()[-1].endswith(
        "tx1: has an XDP program already and is no redirect target: its driver cannot "
        "take redirected frames")
