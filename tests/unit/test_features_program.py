"""`xdptool features --program OBJ`: the verdict per device for a program's
needs, as a table and as JSON; devices from hand-made reports."""

from __future__ import annotations

import json

from xdptool.commands.features import (
    DeviceReport,
    program_json,
    program_table,
    program_verdict,
)
from xdptool.prog_needs import Needs


def report(name: str, ifindex: int, xdp: list[str] | None,
           meta: list[str] | None = None) -> DeviceReport:
    return DeviceReport(name, ifindex, "veth", xdp, meta, None, None)


DEVS = [report("lo", 1, []),
        report("v0", 2, ["basic", "redirect", "rx-sg"], ["timestamp", "hash"]),
        report("n0", 3, ["basic"], []),
        report("old0", 4, None)]
NEEDS = Needs(("redirect",), ("hash",), False, (51,), ("bpf_xdp_metadata_rx_hash",))


def test_verdicts() -> None:
    assert [program_verdict(r, NEEDS) for r in DEVS] == [
        ("no", ["native XDP"]), ("yes", []),
        ("no", ["redirect", "xdp-rx-metadata hash"]), ("unknown", [])]


def test_table() -> None:
    assert program_table("prog", "p.o", NEEDS, DEVS, None) == (
        '"prog" in "p.o" needs: native XDP, redirect, xdp-rx-metadata hash\n'
        "DEV   NATIVE   MISSING\n"
        "lo    no       native XDP\n"
        "v0    yes      -\n"
        "n0    no       redirect, xdp-rx-metadata hash\n"
        "old0  unknown  -\n"
        "note: XDP feature flags unknown: this kernel has no netdev netlink family "
        "(needs Linux >= 6.3)\n")


def test_frags_is_said_not_required() -> None:
    text = program_table("f", "p.o", Needs((), (), True), DEVS[2:3], None)
    assert text.splitlines()[0] == ('"f" in "p.o" needs: native XDP (takes multi-buffer '
                                    "frames: single-buffer ones only where rx-sg is missing)")
    assert text.splitlines()[2].split() == ["n0", "yes", "-"]


def test_json() -> None:
    doc = json.loads(program_json("prog", "p.o", NEEDS, DEVS[:3]))
    assert doc == {
        "program": "prog", "object": "p.o",
        "needs": {"xdp-features": ["redirect"], "xdp-rx-metadata": ["hash"], "frags": False,
                  "helpers": [51], "kfuncs": ["bpf_xdp_metadata_rx_hash"]},
        "devices": [
            {"ifname": "lo", "ifindex": 1, "verdict": "no", "missing": ["native XDP"]},
            {"ifname": "v0", "ifindex": 2, "verdict": "yes", "missing": []},
            {"ifname": "n0", "ifindex": 3, "verdict": "no",
             "missing": ["redirect", "xdp-rx-metadata hash"]}]}
