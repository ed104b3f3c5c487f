"""XDP TX resources on the guest's virtio-net NIC, with real frames: xdp_act
on the veth rx0 redirects what rx1 sends into the NIC, which has no XDP
program of its own. What the NIC sends comes back in on it (scripts/vm-run's
tap reflects every frame), where a packet socket counts it. Driven through
xdptool, as a user would (`xdptool tx NIC set mode on`).

The guest has nr_cpu_ids CPUs and vm-run's 4 queue pairs: per-cpu XDP TX
needs a queue pair per CPU beyond the stack's (ethtool -l "combined"), so
the tests shrink or grow "combined" to get both cases on any CPU count;
`scripts/vm-run --cpus 4` boots a guest where the default is shared.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from xdpvm.cli import CliRig, xdptool
from xdpvm.frames import ACTIONS, Senders, received, send_frames, xdp_frame
from xdpvm.host import sh
from xdpvm.netns import Netns, link, quiet, virtio_nic_name
from xdpvm.stats import Ethnl

N = 40


def possible_cpus() -> int:
    """nr_cpu_ids: virtio_net gives XDP one send queue per possible CPU."""
    text = Path("/sys/devices/system/cpu/possible").read_text().strip()
    return int(text.rsplit("-", 1)[-1]) + 1


@dataclass
class Rig(CliRig):
    eth: Ethnl
    nic: str
    virtio_dev: str  # virtioN, the driver's device (sysfs shows only the initial netns)
    max_qp: int

    def tx(self) -> dict[str, object]:
        return json.loads(self.ok("tx", self.nic, "--json"))

    def combined(self, count: int | None = None) -> int:
        """ethtool -L NIC combined COUNT (when given); the count now."""
        pre = ["ip", "netns", "exec", self.ns.name, "ethtool"]
        if count is not None:
            sh(*pre, "-L", self.nic, "combined", str(count))
        out = sh(*pre, "-l", self.nic)
        return int(re.findall(r"^Combined:\s+(\d+)", out, re.M)[-1])

    def queue_xdp_tx(self) -> dict[int, int]:
        """Frames per send queue from XDP (ethtool -S txN_xdp_tx), for every
        queue pair in use (the stack's and XDP's)."""
        out = sh("ip", "netns", "exec", self.ns.name, "ethtool", "-S", self.nic)
        return {int(q): int(v) for q, v in re.findall(r"^\s*tx(\d+)_xdp_tx: (\d+)$", out, re.M)}

    def target(self) -> dict[str, int]:
        return json.loads(self.ok("stats", self.nic, "--json"))["target"]

    def frame(self) -> bytes:
        ifindex = link(self.ns.name, self.nic)["ifindex"]
        return xdp_frame(link(self.ns.name, self.nic)["address"], ACTIONS["redirect"], ifindex)

    def reflected(self, send: int) -> int:
        """Send `send` frames into rx0 (redirected into the NIC); how many
        came back in on the NIC."""
        frame = self.frame()
        return received(self.ns.name, self.nic,
                        lambda: send_frames(self.ns.name, "rx1", frame, send), quiet=1)


@pytest.fixture(scope="module")
def rig_setup(request: pytest.FixtureRequest, xdp_act_obj: Path) -> Iterator[Rig]:
    ns = Netns(f"xdpvm-{uuid.uuid4().hex[:8]}")
    sh("ip", "netns", "add", ns.name)
    request.addfinalizer(lambda: subprocess.run(["ip", "netns", "del", ns.name], check=False))
    quiet(ns)
    nic = virtio_nic_name()
    virtio_dev = Path(f"/sys/class/net/{nic}/device").resolve().name
    sh("ip", "link", "set", "dev", nic, "netns", ns.name)

    def give_back() -> None:
        name = virtio_nic_name_in(ns.name)
        if name:
            subprocess.run(["ip", "-n", ns.name, "link", "set", "dev", name, "netns", "1"],
                           check=False)
    request.addfinalizer(give_back)
    sh("ip", "-n", ns.name, "link", "add", "rx0", "type", "veth", "peer", "name", "rx1")
    for dev in ("rx0", "rx1", nic):
        sh("ip", "-n", ns.name, "link", "set", "dev", dev, "up")
    sh("ip", "-n", ns.name, "link", "set", "dev", "rx0", "xdpdrv", "obj", str(xdp_act_obj),
       "sec", "xdp")
    eth = Ethnl(ns.name)
    out = sh("ip", "netns", "exec", ns.name, "ethtool", "-l", nic)
    max_qp = int(re.findall(r"^Combined:\s+(\d+)", out, re.M)[0])
    rig = Rig(ns, eth, nic, virtio_dev, max_qp)
    default_qp = rig.combined()
    rig.ok("stats", "enable", "rx0")
    rig.ok("stats", "enable", nic)

    def restore() -> None:
        if virtio_nic_name_in(ns.name) == nic:
            xdptool(ns.name, "tx", nic, "set", "mode", "auto", "count", "0",
                    "selection", "auto")
            rig.combined(default_qp)
            eth.set(nic, 0)
    request.addfinalizer(restore)
    yield rig


def virtio_nic_name_in(ns: str) -> str | None:
    for dev in json.loads(sh("ip", "-n", ns, "-j", "link", "show")):
        out = subprocess.run(["ip", "netns", "exec", ns, "ethtool", "-i", dev["ifname"]],
                             capture_output=True, text=True)
        if "driver: virtio_net" in out.stdout:
            return str(dev["ifname"])
    return None


@pytest.fixture
def rig(rig_setup: Rig) -> Iterator[Rig]:
    rig_setup.ok("tx", rig_setup.nic, "set", "mode", "auto")
    yield rig_setup
    rig_setup.xdptool("tx", rig_setup.nic, "set", "mode", "auto")


def test_mode_on_makes_the_nic_a_redirect_target(rig: Rig) -> None:
    """Mode auto without a program: every frame is lost and counted on both
    sides; mode on: every frame leaves the NIC and comes back."""
    before = rig.tx()
    assert (before["configurable"], before["mode"], before["redirect_target"]) == \
        (True, "auto", False)
    assert before["max_count"] == rig.max_qp
    target = rig.target()
    rx0 = json.loads(rig.ok("stats", "rx0", "--json"))["total"]
    assert rig.reflected(N) == 0
    rx0_after = json.loads(rig.ok("stats", "rx0", "--json"))["total"]
    assert rx0_after["redirect"] - rx0["redirect"] == N
    assert rx0_after["redirect_errors"] - rx0["redirect_errors"] == N
    assert rig.target() == {"xmit": target["xmit"], "xmit_drops": target["xmit_drops"] + N}

    assert rig.ok("tx", rig.nic, "set", "mode", "on") == ""
    after = rig.tx()
    assert (after["mode"], after["redirect_target"]) == ("on", True)
    features = json.loads(rig.ok("features", rig.nic, "--json"))[0]
    assert features["xdp_tx_mode"] == "on"
    assert rig.reflected(N) == N
    assert rig.target() == {"xmit": target["xmit"] + N, "xmit_drops": target["xmit_drops"] + N}
    rig.ok("tx", rig.nic, "set", "mode", "auto")
    assert rig.tx()["redirect_target"] is False
    assert rig.reflected(N) == 0


def test_per_cpu_queues_one_per_cpu(rig: Rig) -> None:
    """With a queue pair per CPU beyond the stack's, XDP TX is per-cpu: the
    frames CPU k redirects leave on send queue combined + k, no other."""
    cpus = possible_cpus()
    if rig.max_qp < cpus + 1:
        pytest.skip(f"{rig.max_qp} queue pairs cannot give {cpus} CPUs one each beyond "
                    "the stack's (scripts/vm-run --queues)")
    combined = rig.combined(rig.max_qp - cpus)
    tx = rig.tx()
    assert (tx["mode"], tx["count"], tx["selection"]) == ("auto", cpus, "per-cpu")
    rig.ok("tx", rig.nic, "set", "mode", "on", "selection", "per-cpu", "count", str(cpus))
    assert rig.tx()["count"] == cpus
    before = rig.queue_xdp_tx()
    for cpu in range(cpus):
        Senders(rig.ns.name, "rx1", rig.frame(), [cpu], count=N).join()
    got = {q: n - before.get(q, 0) for q, n in rig.queue_xdp_tx().items()}
    assert got == {q: (N if q >= combined else 0) for q in range(combined + cpus)}, got
    # ethtool -L cannot move the stack's queues under XDP's feet
    res = subprocess.run(["ip", "netns", "exec", rig.ns.name, "ethtool", "-L", rig.nic,
                          "combined", str(combined + 1)], capture_output=True, text=True)
    assert res.returncode != 0 and "Invalid argument" in res.stderr, res
    assert rig.combined() == combined + cpus  # ethtool -l counts XDP's, as with a program

    # shared, asked for, though the spare pairs are there; selection auto
    # and count 0 give the choice back to the driver, which takes them again
    rig.ok("tx", rig.nic, "set", "selection", "shared", "count", "0")
    tx = rig.tx()
    assert (tx["count"], tx["selection"]) == (combined, "shared")
    assert rig.combined() == combined
    rig.ok("tx", rig.nic, "set", "selection", "auto")
    tx = rig.tx()
    assert (tx["mode"], tx["count"], tx["selection"]) == ("on", cpus, "per-cpu")
    assert rig.combined() == combined + cpus


def test_shared_when_the_queues_are_not_there(rig: Rig) -> None:
    """Fewer spare queue pairs than CPUs: shared, reported; per-cpu refused
    with the driver's extack, and nothing changes. On 2 CPUs the stack has 3
    queue pairs here, more than CPUs: unpatched virtio_net took its unlocked
    per-CPU path past the send queues then (an Oops on XDP_TX)."""
    cpus = possible_cpus()
    combined = rig.combined(max(1, min(rig.max_qp, rig.max_qp - cpus + 1)))
    spare = rig.max_qp - combined
    assert spare < cpus
    tx = rig.tx()
    assert (tx["mode"], tx["count"], tx["selection"]) == ("auto", combined, "shared")
    res = rig.xdptool("tx", rig.nic, "set", "mode", "on", "selection", "per-cpu")
    assert (res.returncode, res.stdout) == (1, "")
    assert res.stderr == (f"xdptool: {rig.nic}: setting XDP TX parameters failed: Operation "
                          f"not supported: virtio_net: Per-cpu XDP TX needs {cpus} free queue "
                          f"pairs, {combined} of {rig.max_qp} are in use\n")
    tx = rig.tx()
    assert (tx["mode"], tx["redirect_target"]) == ("auto", False)
    res = rig.xdptool("tx", rig.nic, "set", "mode", "on", "selection", "shared",
                      "count", str(rig.max_qp))
    if combined != rig.max_qp:
        assert res.stderr == (f"xdptool: {rig.nic}: setting XDP TX parameters failed: Invalid "
                              f"argument: virtio_net: XDP TX queues are one per CPU ({cpus}) "
                              f"or the stack's {combined}, shared\n")

    # count 0: the driver's default (test_per_cpu_queues_one_per_cpu asked for one)
    rig.ok("tx", rig.nic, "set", "mode", "on", "selection", "shared", "count", "0")
    tx = rig.tx()
    assert {k: tx[k] for k in ("mode", "count", "selection", "redirect_target")} == \
        {"mode": "on", "count": combined, "selection": "shared", "redirect_target": True}
    before = rig.queue_xdp_tx()
    for cpu in range(cpus):
        Senders(rig.ns.name, "rx1", rig.frame(), [cpu], count=N).join()
    got = {q: n - before.get(q, 0) for q, n in rig.queue_xdp_tx().items()}
    want = dict.fromkeys(range(combined), 0)
    for cpu in range(cpus):
        want[cpu % combined] += N
    assert got == want
    assert rig.reflected(N) == N


def test_switching_under_traffic_then_unbinding(rig: Rig) -> None:
    """25 switches of mode and selection while every CPU redirects: each
    redirected frame is the NIC's xmit or xmit-drop exactly once. Then the
    driver lets go of the NIC with mode on while frames still flow (the
    device goes away under XDP TX), and binds it again."""
    cpus = possible_cpus()
    rig.combined(max(1, rig.max_qp - cpus))
    rx0 = json.loads(rig.ok("stats", "rx0", "--json"))["total"]
    target = rig.target()
    senders = Senders(rig.ns.name, "rx1", rig.frame(), list(range(cpus)))
    try:
        for i in range(25):
            mode = "on" if i % 2 == 0 else "auto"
            selection = "shared" if i % 4 < 2 else "per-cpu"
            res = rig.xdptool("tx", rig.nic, "set", "mode", mode, "selection", selection,
                              "count", "0")
            assert res.returncode == 0 or "Per-cpu XDP TX needs" in res.stderr, res
    finally:
        senders.stop()
    time.sleep(1)  # the last redirected frames leave NAPI
    rx0_after = json.loads(rig.ok("stats", "rx0", "--json"))["total"]
    after = rig.target()
    redirected = rx0_after["redirect"] - rx0["redirect"]
    xmit = after["xmit"] - target["xmit"]
    drops = after["xmit_drops"] - target["xmit_drops"]
    assert redirected > 0 and xmit > 0 and drops > 0, (redirected, xmit, drops)
    assert xmit + drops == redirected
    assert drops == rx0_after["redirect_errors"] - rx0["redirect_errors"]

    rig.ok("tx", rig.nic, "set", "mode", "on")
    virtio_dev = rig.virtio_dev
    senders = Senders(rig.ns.name, "rx1", rig.frame(), list(range(cpus)))
    try:
        time.sleep(0.5)
        Path("/sys/bus/virtio/drivers/virtio_net/unbind").write_text(virtio_dev)
        time.sleep(0.5)
    finally:
        senders.stop()
        Path("/sys/bus/virtio/drivers/virtio_net/bind").write_text(virtio_dev)
    assert virtio_nic_name_in(rig.ns.name) is None
    # The NIC is back, in the initial netns, with today's default: mode auto
    nic = virtio_nic_name()
    assert json.loads(xdptool(None, "tx", nic, "--json").stdout)["mode"] == "auto"
