"""`xdptool tx`, `redirect-target` and `devmap add` on the patched kernel,
with real redirected frames: xdp_act on rx0 redirects what rx1 sends into
r0, a veth whose peer r1 has neither a program nor GRO (the kernel side is
tools/testing/selftests/drivers/net/xdp_tx.py, run by
test_intree_selftest_vm.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from xdpvm.cli import CliRig
from xdpvm.frames import ACTIONS, received, send_frames, xdp_frame
from xdpvm.host import ktree, sh
from xdpvm.netns import Netns, link
from xdpvm.stats import Ethnl, expect

N = 40


@dataclass
class Rig(CliRig):
    eth: Ethnl

    def redirect(self, count: int) -> int:
        """count frames for r0 into rx0; how many reached r1's stack."""
        ifindex = link(self.ns.name, "r0")["ifindex"]
        mac = link(self.ns.name, "rx0")["address"]
        frame = xdp_frame(mac, ACTIONS["redirect"], ifindex)
        return received(self.ns.name, "r1",
                        lambda: send_frames(self.ns.name, "rx1", frame, count))


def series_has_tx() -> bool:
    return (ktree() / "tools/testing/selftests/drivers/net/xdp_tx.py").exists()


@pytest.fixture
def rig(quiet_netns: Netns, xdp_act_obj: Path) -> Iterator[Rig]:
    if not series_has_tx():
        pytest.skip("this base's series has no XDP TX patches yet (patches/*/)")
    ns = quiet_netns.name
    sh("ip", "-n", ns, "link", "add", "rx0", "type", "veth", "peer", "name", "rx1")
    sh("ip", "-n", ns, "link", "add", "r0", "type", "veth", "peer", "name", "r1")
    for dev in ("rx0", "rx1", "r0", "r1"):
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1")
        sh("ip", "-n", ns, "link", "set", "dev", dev, "up")
    sh("ip", "netns", "exec", ns, "ethtool", "-K", "r1", "gro", "off")
    sh("ip", "-n", ns, "link", "set", "dev", "rx0", "xdpdrv", "obj", str(xdp_act_obj),
       "sec", "xdp")
    yield Rig(quiet_netns, Ethnl(ns))


def test_redirect_target_end_to_end(rig: Rig) -> None:
    """The README's five lines: a target without a program, frames redirected
    into it arrive and are counted on both sides."""
    before = json.loads(rig.ok("tx", "r0", "--json"))
    assert before == {"ifname": "r0", "ifindex": before["ifindex"], "redirect_target": False,
                      "redirect_target_sg": False, "configurable": True, "mode": "auto",
                      "count": 1, "max_count": 1, "selection": "shared"}
    rig.ok("stats", "enable", "rx0")
    rig.ok("stats", "enable", "r0")
    assert rig.redirect(N) == 0  # mode auto: lost, and counted on both sides

    assert rig.ok("redirect-target", "r0") == (
        "r0: set XDP TX mode on: its driver keeps XDP TX queues without a program\n"
        "undo: xdptool tx r0 set mode auto\n")
    after = json.loads(rig.ok("tx", "r0", "--json"))
    assert (after["mode"], after["redirect_target"]) == ("on", True)
    assert rig.redirect(N) == N

    rx0 = json.loads(rig.ok("stats", "rx0", "--json"))
    assert rx0["total"] == {**{k.replace("-", "_"): v for k, v in expect().items()},
                            "redirect": 2 * N, "redirect_errors": N}
    r0 = json.loads(rig.ok("stats", "r0", "--json"))
    assert r0["target"] == {"xmit": N, "xmit_drops": N}
    assert "Redirected into the device:\nxmit:            40\nxmit-drops:      40\n" \
        in rig.ok("stats", "r0")
    assert json.loads(rig.ok("features", "r0", "--json"))[0]["xdp_tx_mode"] == "on"
    rig.ok("tx", "r0", "set", "mode", "auto")
    assert json.loads(rig.ok("tx", "r0", "--json"))["redirect_target"] is False


def test_refusals_are_the_kernels(rig: Rig) -> None:
    res = rig.xdptool("tx", "r0", "set", "selection", "per-cpu")
    assert (res.returncode, res.stdout) == (1, "")
    assert res.stderr == ("xdptool: r0: setting XDP TX parameters failed: Operation not "
                          "supported: veth: XDP TX queues of a veth are shared by CPUs\n")
    res = rig.xdptool("tx", "r0", "set", "count", "2")
    assert res.stderr == ("xdptool: r0: setting XDP TX parameters failed: Invalid argument: "
                          "r0: 2 XDP TX queues requested, the device has at most 1\n")
    res = rig.xdptool("tx", "lo", "set", "mode", "on")
    assert res.stderr == ("xdptool: lo: setting XDP TX parameters failed: Operation not "
                          "supported: lo: the driver cannot set up XDP TX resources without "
                          "a program\n")
    # redirect-target on a device whose driver cannot: the workaround only if asked
    res = rig.xdptool("redirect-target", "lo")
    assert res.returncode == 1
    assert res.stderr == ("xdptool: lo is not a redirect target, and this kernel cannot make "
                          "it one without a program (lo: setting XDP TX parameters failed: "
                          "Operation not supported: lo: the driver cannot set up XDP TX "
                          "resources without a program): re-run with --workaround to attach a "
                          "minimal XDP_PASS program\n")
    assert json.loads(rig.ok("tx", "r0", "--json"))["mode"] == "auto"


def test_devmap_add_provisions_first(rig: Rig, bpffs: Path) -> None:
    pin = bpffs / f"txports-{rig.ns.name}"
    sh("bpftool", "map", "create", str(pin), "type", "devmap", "key", "4", "value", "8",
       "entries", "4", "name", "txports")
    try:
        out = rig.ok("devmap", "add", str(pin), "2", "r0")
        ifindex = link(rig.ns.name, "r0")["ifindex"]
        assert out.splitlines()[-1] == f'"{pin}"[2] = r0 (ifindex {ifindex})'
        entry = json.loads(sh("bpftool", "-j", "map", "lookup", "pinned", str(pin),
                              "key", "2", "0", "0", "0"))
        value = bytes(int(b, 16) for b in entry["value"])
        assert value == ifindex.to_bytes(4, "little") + bytes(4)
        assert json.loads(rig.ok("tx", "r0", "--json"))["mode"] == "on"
        res = rig.xdptool("devmap", "add", str(pin), "9", "r0")
        assert res.returncode == 1 and "Argument list too long" in res.stderr, res
    finally:
        pin.unlink(missing_ok=True)
