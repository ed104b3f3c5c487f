"""Per-action XDP statistics (ETHTOOL_MSG_XDP_SET/GET, the netdev family's
qstats rx-xdp-*) on the patched kernel, driven by the kernel's own YNL CLI
and library only (independent of xdptool; test_stats_cli_vm.py checks
xdptool). The series' in-tree selftest (test_intree_selftest_vm.py) covers
the rest: every action on veth (native, generic), netdevsim and a bond
slave, flush drops, BPF_PROG_TEST_RUN, two CPUs on one queue, queues that
go away, toggling under traffic, dumps, notifications, 1024 queues, user
namespaces. What stays here needs the VM: the virtio-net NIC, and
BPF_PROG_TEST_RUN racing the deletion of the device it names.

Frames carry the action that kselftest/bpf/xdp_act.c returns for them, so
every count is exact: N frames of action A move counter A by N and nothing
else. Frames come from AF_PACKET in a netns with IPv6 off, so nothing else
reaches the program. Three receive paths: native XDP on veth, generic (skb)
XDP on veth, native XDP on the guest's virtio-net NIC, whose frames the host
side reflects back (scripts/vm-run: tc mirred on the tap).
"""

from __future__ import annotations

import errno
import json
import struct
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from xdpvm.frames import ACTIONS, MARK_TX, Senders, send_frames, xdp_frame
from xdpvm.host import sh
from xdpvm.netns import Netns, link, quiet, virtio_nic_name
from xdpvm.stats import (
    Ethnl,
    NotCounted,
    XdpStats,
    expect,
    expect_nest,
    ynl_as_nobody,
    ynl_cli,
)

N = 50
BAD_IFINDEX = 0  # no device has it: bpf_redirect() to it fails in xdp_do_redirect()


def veth(ns: Netns, a: str, b: str, *opts: str) -> None:
    sh("ip", "-n", ns.name, "link", "add", a, *opts, "type", "veth", "peer", "name", b)
    for dev in (a, b):
        sh("ip", "-n", ns.name, "link", "set", "dev", dev, "up")


def attach(ns: Netns, dev: str, obj: Path, mode: str) -> None:
    """mode: xdpdrv (native) or xdpgeneric."""
    sh("ip", "-n", ns.name, "link", "set", "dev", dev, mode, "obj", str(obj), "sec", "xdp")


def assert_consistent(st: XdpStats, num_rx_queues: int) -> None:
    assert st.queue_sum() == st.total, f"per-queue sum != total: {st}"
    assert all(0 <= q < num_rx_queues for q in st.queues), f"queue ids: {sorted(st.queues)}"


# ---------------------------------------------------------------------------
# Every action on three receive paths
# ---------------------------------------------------------------------------


@dataclass
class Rig:
    """dev runs xdp_act and counts; frames sent out of tx_dev arrive on it."""

    ns: Netns
    eth: Ethnl
    dev: str
    tx_dev: str
    dst: str
    redirect_ifindex: int  # vr0: its peer vr1 runs xdp_pass natively, so it accepts
    reflected: bool  # XDP_TX frames come back to dev (the virtio NIC)
    base: XdpStats  # dev's counts when the test started
    target_base: XdpStats  # vr1's

    def start(self) -> Rig:
        self.base = self.eth.stats(self.dev)
        self.target_base = self.eth.stats("vr1")
        return self

    def target_counted(self) -> dict[str, int]:
        """What vr1 (the redirect target's peer) counted since the test started."""
        return (self.eth.stats("vr1") - self.target_base).total

    def send(self, action: int, count: int, ifindex: int = 0) -> None:
        send_frames(self.ns.name, self.tx_dev, xdp_frame(self.dst, action, ifindex, MARK_TX), count)

    def counted(self, frames: int) -> XdpStats:
        """The counts since the test started, once `frames` runs showed up."""
        st = self.eth.wait_frames(self.dev, self.base.frames() + frames)
        assert_consistent(st, link(self.ns.name, self.dev)["num_rx_queues"])
        return st - self.base

    def assert_total(self, st: XdpStats, want: dict[str, int]) -> None:
        hint = ""
        if self.reflected and st.frames() > sum(
            v for k, v in want.items() if k != "redirect-errors"
        ):
            hint = (
                " (frames the test did not send reached the virtio NIC: the host "
                "side must send nothing of its own, e.g. IPv6 off on vm-run's tap)"
            )
        assert st.total == expect(want), f"{st.total} != {expect(want)}{hint}"


def redirect_target(ns: Netns, xdp_pass_obj: Path, eth: Ethnl) -> int:
    veth(ns, "vr0", "vr1")
    attach(ns, "vr1", xdp_pass_obj, "xdpdrv")
    eth.set("vr1", 1)
    return link(ns.name, "vr0")["ifindex"]


def probe_reflection(ns: Netns, nic: str, mac: str) -> None:
    """Fail clearly unless frames sent out of the NIC come back in on it."""
    rx = Path(f"/sys/class/net/{nic}/statistics/rx_packets")

    def rx_packets() -> int:
        return int(ns.run("cat", str(rx)))

    before = rx_packets()
    send_frames(ns.name, nic, xdp_frame(mac, ACTIONS["pass"]), 5)
    end = time.monotonic() + 10
    while rx_packets() < before + 5 and time.monotonic() < end:
        time.sleep(0.1)
    if rx_packets() < before + 5:
        pytest.fail(
            f"frames sent out of the virtio-net NIC {nic} did not come back "
            f"({rx_packets() - before} of 5): the host side of the guest NIC must "
            "reflect them (scripts/vm-run: tc mirred on the tap)"
        )


@pytest.fixture(scope="module", params=["veth-native", "veth-generic", "virtio-native"])
def rig_setup(
    request: pytest.FixtureRequest, xdp_act_obj: Path, xdp_pass_obj: Path
) -> Iterator[Rig]:
    """One rig per receive path for the module (setting one up takes half a
    minute under TCG); each test counts from its own baseline."""
    ns = Netns(f"xdpvm-{uuid.uuid4().hex[:8]}")
    sh("ip", "netns", "add", ns.name)
    request.addfinalizer(lambda: subprocess.run(["ip", "netns", "del", ns.name], check=False))
    quiet(ns)
    eth = Ethnl(ns.name)
    target = redirect_target(ns, xdp_pass_obj, eth)
    if request.param == "virtio-native":
        nic = virtio_nic_name()
        sh("ip", "link", "set", "dev", nic, "netns", ns.name)
        request.addfinalizer(
            lambda: subprocess.run(
                ["ip", "-n", ns.name, "link", "set", "dev", nic, "netns", "1"], check=False
            )
        )
        sh("ip", "-n", ns.name, "link", "set", "dev", nic, "up")
        mac = link(ns.name, nic)["address"]
        probe_reflection(ns, nic, mac)
        attach(ns, nic, xdp_act_obj, "xdpdrv")
        request.addfinalizer(
            lambda: subprocess.run(
                ["ip", "-n", ns.name, "link", "set", "dev", nic, "xdpdrv", "off"], check=False
            )
        )
        dev, tx_dev, reflected = nic, nic, True
    else:
        dev, tx_dev, reflected = "vx0", "vx1", False
        veth(ns, dev, tx_dev)
        # A program on the peer gives it NAPI: XDP_TX frames are delivered.
        attach(ns, tx_dev, xdp_pass_obj, "xdpdrv")
        attach(ns, dev, xdp_act_obj, "xdpgeneric" if request.param == "veth-generic" else "xdpdrv")
        mac = link(ns.name, dev)["address"]
    eth.set(dev, 1)
    request.addfinalizer(lambda: eth.set(dev, 0) if reflected else None)
    yield Rig(ns, eth, dev, tx_dev, mac, target, reflected, eth.stats(dev), eth.stats("vr1"))


@pytest.fixture
def rig(rig_setup: Rig) -> Rig:
    return rig_setup.start()


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_counts_exactly(rig: Rig, action: str) -> None:
    rig.send(ACTIONS[action], N, ifindex=rig.redirect_ifindex)
    want = {action: N}
    if action == "tx" and rig.reflected:
        # The reflected frame comes back marked (xdp_act.c MARK_TX) and passes.
        want["pass"] = N
    rig.assert_total(rig.counted(sum(want.values())), want)
    if action == "redirect":
        # They arrived: vr1 (the target's peer) ran its program on each.
        assert rig.target_counted() == expect({"pass": N})


def test_redirect_failure_counts_redirect_and_errors(rig: Rig) -> None:
    rig.send(ACTIONS["redirect"], N, ifindex=BAD_IFINDEX)
    rig.assert_total(rig.counted(N), {"redirect": N, "redirect-errors": N})
    assert rig.target_counted() == expect()


def test_stats_are_per_device(rig: Rig) -> None:
    """Frames on one device do not show on another that also counts."""
    rig.send(ACTIONS["drop"], N)
    rig.assert_total(rig.counted(N), {"drop": N})
    assert rig.target_counted() == expect()


# ---------------------------------------------------------------------------
# BPF_PROG_TEST_RUN of xdp_act, for the toggling test below
# ---------------------------------------------------------------------------


def prog_run_ctx(ifindex: int, queue: int, frame: bytes) -> bytes:
    """struct xdp_md for BPF_PROG_TEST_RUN: data 0, data_end len, meta 0."""
    return struct.pack("<6I", 0, len(frame), 0, ifindex, queue, 0)


@dataclass
class ProgRunner:
    """BPF_PROG_TEST_RUN of xdp_act (pinned) with bpftool, in the test's netns."""

    ns: Netns
    pin: Path
    tmp: Path

    def cmd(
        self,
        frame: bytes,
        repeat: int,
        ifindex: int | None = None,
        queue: int = 0,
        cpu: int | None = None,
    ) -> list[str]:
        data = self.tmp / f"frame-{frame.hex()[:40]}"
        data.write_bytes(frame)
        args = ["data_in", str(data)]
        if ifindex is not None:
            ctx = self.tmp / f"ctx-{ifindex}-{queue}-{len(frame)}"
            ctx.write_bytes(prog_run_ctx(ifindex, queue, frame))
            args += ["ctx_in", str(ctx)]
        pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
        return [
            *pin,
            "ip",
            "netns",
            "exec",
            self.ns.name,
            "bpftool",
            "-j",
            "prog",
            "run",
            "pinned",
            str(self.pin),
            *args,
            "repeat",
            str(repeat),
        ]

    def run(self, frame: bytes, repeat: int, ifindex: int | None = None, queue: int = 0) -> int:
        """The program's return value."""
        out = subprocess.run(
            self.cmd(frame, repeat, ifindex, queue), capture_output=True, text=True, check=True
        ).stdout
        return json.loads(out)["retval"]


@pytest.fixture
def prog_runner(
    quiet_netns: Netns, xdp_act_obj: Path, bpffs: Path, tmp_path: Path
) -> Iterator[ProgRunner]:
    pin = bpffs / f"xdp_act_{quiet_netns.name}"
    sh("bpftool", "prog", "load", str(xdp_act_obj), str(pin), "type", "xdp")
    yield ProgRunner(quiet_netns, pin, tmp_path)
    pin.unlink()


# ---------------------------------------------------------------------------
# Turning stats on and off under traffic; deleting a counting device
# ---------------------------------------------------------------------------


def test_toggle_under_traffic_then_delete(
    quiet_netns: Netns,
    xdp_act_obj: Path,
    xdp_pass_obj: Path,
    prog_runner: ProgRunner,
    clean_dmesg: None,
) -> None:
    ns = quiet_netns
    veth(ns, "tn0", "tn1")
    attach(ns, "tn1", xdp_pass_obj, "xdpdrv")
    attach(ns, "tn0", xdp_act_obj, "xdpdrv")
    veth(ns, "tg0", "tg1")
    attach(ns, "tg0", xdp_act_obj, "xdpgeneric")
    eth = Ethnl(ns.name)
    devs = ("tn0", "tg0")
    frames = {dev: xdp_frame(link(ns.name, dev)["address"], ACTIONS["drop"]) for dev in devs}
    runner = " ".join(prog_runner.cmd(frames["tn0"], 20000, link(ns.name, "tn0")["ifindex"], 0))
    floods = [
        Senders(ns.name, "tn1", frames["tn0"], (0,)),
        Senders(ns.name, "tg1", frames["tg0"], (1,)),
    ]
    # BPF_PROG_TEST_RUN on tn0 queue 0 until tn0 is gone.
    test_runs = subprocess.Popen(["sh", "-c", f"while {runner} >/dev/null 2>&1; do :; done"])
    try:
        for _ in range(25):
            for dev in devs:
                eth.set(dev, 1)
            for dev in devs:
                assert eth.enabled(dev) == 1
                eth.stats(dev)
            for dev in devs:
                eth.set(dev, 0)
            for dev in devs:
                assert eth.enabled(dev) == 0
                with pytest.raises(NotCounted):
                    eth.stats(dev)
        for dev in devs:
            eth.set(dev, 1)
        time.sleep(1)
        assert all(eth.stats(dev).frames() > 0 for dev in devs), "no traffic counted"
        # Delete them while they count and traffic runs.
        for dev in devs:
            sh("ip", "-n", ns.name, "link", "del", "dev", dev)
        test_runs.wait(timeout=120)
    finally:
        test_runs.kill()
        test_runs.wait()
        sent = [flood.stop() for flood in floods]
    assert all(sent), f"a sender sent nothing: {sent}"
    assert not set(devs) & set(eth.stats_dump())
    # A new device of the same name starts with stats off.
    veth(ns, "tn0", "tn1")
    assert eth.enabled("tn0") == 0


# ---------------------------------------------------------------------------
# The UAPI as a user sees it: the YNL CLI, errors, permissions
# ---------------------------------------------------------------------------


def hdr(dev: str) -> str:
    return json.dumps({"header": {"dev-name": dev}})


def xdp_set(dev: str, value: int) -> str:
    return json.dumps({"header": {"dev-name": dev}, "stats-enabled": value})


def stats_hdr(dev: str) -> str:
    return json.dumps({"header": {"dev-name": dev, "flags": 4}})


def test_cli_enable_get_and_stats(quiet_netns: Netns) -> None:
    ns = quiet_netns.name
    veth(quiet_netns, "cq0", "cq1", "numrxqueues", "3", "numtxqueues", "3")
    rc, out = ynl_cli(ns, "--do", "xdp-get", "--json", stats_hdr("cq0"), "--output-json")
    assert rc == 0, out
    reply = json.loads(out)
    tx = reply.pop("tx")
    assert reply == {
        "header": {"dev-index": link(ns, "cq0")["ifindex"], "dev-name": "cq0"},
        "stats-enabled": 0,
        # the attach policy (xdp_policy.py tests it), off by default
        "feature-check": "off",
        "implicit-generic": "allow",
    }
    # XDP TX resources (drivers/net/xdp_tx.py tests them): a veth's are
    # its peer's RX queues, shared.
    assert tx == {"mode": "auto", "target": tx["target"], "count": tx["count"],
                  "max-count": tx["count"], "selection": "shared"}
    rc, out = ynl_cli(ns, "--do", "xdp-set", "--json", xdp_set("cq0", 1))
    assert (rc, out.strip()) == (0, "None")
    rc, out = ynl_cli(ns, "--do", "xdp-get", "--json", stats_hdr("cq0"), "--output-json")
    reply = json.loads(out)
    assert reply["header"]["dev-name"] == "cq0"
    assert reply["stats-enabled"] == 1
    assert reply["stats"] == expect_nest()
    # Without the stats flag: no counters.
    rc, out = ynl_cli(ns, "--do", "xdp-get", "--json", hdr("cq0"), "--output-json")
    assert "stats" not in json.loads(out)
    st = Ethnl(ns).stats("cq0")
    assert st.total == expect()
    assert_consistent(st, 3)


def test_stats_enabled_out_of_range_is_policy_error(quiet_netns: Netns) -> None:
    """stats-enabled is NLA_POLICY_MAX(NLA_U8, 1): 2 fails netlink's range
    check (ERANGE), with the policy and the attribute in the extack."""
    ns = quiet_netns.name
    veth(quiet_netns, "vq0", "vq1")
    rc, out = ynl_cli(ns, "--do", "xdp-set", "--json", xdp_set("vq0", 2))
    assert rc == 1
    assert "Numerical result out of range" in out
    eth = Ethnl(ns)
    with pytest.raises(eth.NlError) as err:
        eth.set("vq0", 2)
    assert err.value.error == errno.ERANGE
    extack = err.value.nl_msg.extack
    assert extack["bad-attr"] == ".stats-enabled", extack
    assert extack["policy"]["max-value"] == 1, extack
    assert eth.enabled("vq0") == 0


def test_unprivileged_user_can_read_not_set(quiet_netns: Netns, ynl_public: Path) -> None:
    """As nobody (setpriv): xdp-set is EPERM, the reads work."""
    ns = quiet_netns.name
    veth(quiet_netns, "uq0", "uq1")
    eth = Ethnl(ns)
    out = ynl_as_nobody(ns, ynl_public, "uq0", 1)
    assert out["set"]["errno"] == errno.EPERM, out
    assert out["get"]["stats-enabled"] == 0
    assert "stats" not in out["get"]
    assert [r for r in out["dump"] if "stats" in r] == []
    assert eth.enabled("uq0") == 0

    eth.set("uq0", 1)
    out = ynl_as_nobody(ns, ynl_public, "uq0", 0)
    assert out["set"]["errno"] == errno.EPERM, out
    assert eth.enabled("uq0") == 1
    assert out["get"]["stats-enabled"] == 1
    assert out["get"]["stats"] == expect_nest()
    assert [r["header"]["dev-name"] for r in out["dump"] if "stats" in r] == ["uq0"]


def test_without_cap_net_admin_cannot_set(quiet_netns: Netns) -> None:
    """The same check in-process: a socket opened without CAP_NET_ADMIN."""
    ns = quiet_netns.name
    veth(quiet_netns, "wq0", "wq1")
    weak = Ethnl(ns, cap_net_admin=False)
    with pytest.raises(weak.NlError) as err:
        weak.set("wq0", 1)
    assert err.value.error == errno.EPERM
    assert weak.enabled("wq0") == 0
