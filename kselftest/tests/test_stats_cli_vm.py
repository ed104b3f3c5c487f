"""`xdptool stats` on the patched kernel, checked against the kernel's own
YNL library (test_stats_vm.py checks the kernel itself)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from xdpvm.cli import Result, xdptool
from xdpvm.frames import ACTIONS, send_frames, xdp_frame
from xdpvm.host import sh
from xdpvm.netns import Netns, link
from xdpvm.stats import Ethnl, expect


@dataclass
class Setup:
    ns: Netns
    eth: Ethnl

    def xdptool(self, *args: str, caps: bool = True) -> Result:
        return xdptool(self.ns.name, *args, caps=caps)


@pytest.fixture
def setup(quiet_netns: Netns, xdp_act_obj: Path, xdp_pass_obj: Path) -> Iterator[Setup]:
    ns = quiet_netns
    sh("ip", "-n", ns.name, "link", "add", "cx0", "numrxqueues", "2", "numtxqueues", "2",
       "type", "veth", "peer", "name", "cx1")
    for dev in ("cx0", "cx1"):
        sh("ip", "-n", ns.name, "link", "set", "dev", dev, "up")
    sh("ip", "-n", ns.name, "link", "set", "dev", "cx1", "xdpdrv", "obj", str(xdp_pass_obj),
       "sec", "xdp")
    sh("ip", "-n", ns.name, "link", "set", "dev", "cx0", "xdpdrv", "obj", str(xdp_act_obj),
       "sec", "xdp")
    yield Setup(ns, Ethnl(ns.name))


def to_kernel_names(counters: dict[str, int]) -> dict[str, int]:
    return {k.replace("_", "-"): v for k, v in counters.items()}


def test_disabled_then_enable_show_disable(setup: Setup) -> None:
    res = setup.xdptool("stats", "cx0")
    assert res.returncode == 1
    assert res.stderr == ('xdptool: XDP statistics are not enabled on "cx0": '
                          "run 'xdptool stats enable cx0'\n")

    res = setup.xdptool("stats", "enable", "cx0")
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")
    assert setup.eth.enabled("cx0") == 1

    mac = link(setup.ns.name, "cx0")["address"]
    sent = {"drop": 10, "pass": 20, "tx": 30, "unknown": 40, "aborted": 5}
    for action, count in sent.items():
        send_frames(setup.ns.name, "cx1", xdp_frame(mac, ACTIONS[action]), count)
    kernel = setup.eth.wait_frames("cx0", sum(sent.values()))
    assert kernel.total == expect(sent)

    res = setup.xdptool("stats", "--json", "cx0")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert (doc["ifname"], doc["ifindex"]) == ("cx0", link(setup.ns.name, "cx0")["ifindex"])
    assert to_kernel_names(doc["total"]) == kernel.total
    assert {q["queue_id"]: to_kernel_names({k: v for k, v in q.items() if k != "queue_id"})
            for q in doc["queues"]} == kernel.queues

    res = setup.xdptool("stats", "cx0")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "XDP action statistics for cx0:"
    shown = {k: int(v) for k, v in (line.split(":") for line in lines[1:8])}
    assert shown == kernel.total
    # what was redirected into cx0: nothing
    assert lines[8:] == ["Redirected into the device:", "xmit:            0",
                         "xmit-drops:      0"]

    res = setup.xdptool("stats", "cx0", "--per-queue")
    assert res.returncode == 0, res.stderr
    total_row = next(line for line in res.stdout.splitlines() if line.startswith("total"))
    assert [int(v) for v in total_row.split()[1:]] == list(kernel.total.values())

    res = setup.xdptool("stats", "disable", "cx0")
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")
    assert setup.eth.enabled("cx0") == 0


def test_without_cap_net_admin_reads_but_cannot_switch(setup: Setup) -> None:
    res = setup.xdptool("stats", "enable", "cx0", caps=False)
    assert res.returncode == 1
    assert res.stderr == ("xdptool: permission denied: enabling XDP statistics needs "
                          "CAP_NET_ADMIN in the initial user namespace\n")
    assert setup.eth.enabled("cx0") == 0
    setup.eth.set("cx0", 1)
    res = setup.xdptool("stats", "disable", "cx0", caps=False)
    assert res.returncode == 1
    assert setup.eth.enabled("cx0") == 1
    res = setup.xdptool("stats", "--json", "cx0", caps=False)
    assert res.returncode == 0, res.stderr
    assert to_kernel_names(json.loads(res.stdout)["total"]) == expect()


def test_unknown_device(setup: Setup) -> None:
    res = setup.xdptool("stats", "nosuch0")
    assert res.returncode == 1
    assert res.stderr == 'xdptool: no such device: "nosuch0"\n'


def test_watch_json_lines(setup: Setup) -> None:
    setup.eth.set("cx0", 1)
    res = setup.xdptool("stats", "cx0", "--watch", "--json", "--interval", "0.2",
                        "--count", "2")
    assert res.returncode == 0, res.stderr
    docs = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    assert len(docs) == 2
    for doc in docs:
        assert doc["ifname"] == "cx0"
        assert set(doc["rates"]) == set(doc["total"])
