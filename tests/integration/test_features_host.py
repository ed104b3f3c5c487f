"""`xdptool features` against the running kernel, in a throwaway netns.

Every value xdptool prints is compared with the kernel's own answer read
independently: iproute2 (attach mode, program id, ifindex), bpftool (program
name), ethtool (driver) and the netdev family (feature bits).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[2]
BPF_SRC = Path(__file__).parent / "bpf" / "xdp_pass.c"

# iproute2's JSON "mode" numbers are IFLA_XDP_ATTACHED values.
IP_MODES = {1: "native", 2: "generic", 3: "offload"}

NATIVE, NATIVE_PEER = "xtnat0", "xtnat1"
GENERIC, GENERIC_PEER = "xtgen0", "xtgen1"


ENV = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout, installed or not


def sh(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=ENV,
                          cwd=REPO).stdout


@dataclass
class Netns:
    name: str

    def ip_links(self) -> dict[str, Any]:
        return {link["ifname"]: link for link in json.loads(sh("ip", "-n", self.name, "-j",
                                                               "-d", "link", "show"))}

    def xdptool(self, *args: str, via_netns_option: bool = False,
                prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        if via_netns_option:
            cmd = [*prefix, sys.executable, "-m", "xdptool", "--netns", self.name, *args]
        else:
            cmd = ["ip", "netns", "exec", self.name, *prefix,
                   sys.executable, "-m", "xdptool", *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=ENV, cwd=REPO,
                              check=False)


@pytest.fixture
def netns(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Netns]:
    """A netns with two veth pairs: native XDP on one end, generic on another."""
    for tool in ("ip", "clang", "bpftool", "ethtool"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed")
    obj = tmp_path / "xdp_pass.o"
    sh("clang", "-O2", "-g", "-target", "bpf", "-c", str(BPF_SRC), "-o", str(obj))

    ns = Netns(f"xdpt-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    sh("ip", "netns", "add", ns.name)
    # Deleting the netns also deletes the veths and detaches the programs.
    request.addfinalizer(lambda: subprocess.run(["ip", "netns", "del", ns.name],
                                                check=False))
    for dev, peer in ((NATIVE, NATIVE_PEER), (GENERIC, GENERIC_PEER)):
        sh("ip", "-n", ns.name, "link", "add", dev, "type", "veth", "peer", "name", peer)
        sh("ip", "-n", ns.name, "link", "set", dev, "up")
        sh("ip", "-n", ns.name, "link", "set", peer, "up")
    sh("ip", "-n", ns.name, "link", "set", "dev", NATIVE, "xdpdrv", "obj", str(obj),
       "sec", "xdp")
    sh("ip", "-n", ns.name, "link", "set", "dev", GENERIC, "xdpgeneric", "obj", str(obj),
       "sec", "xdp")
    yield ns


def kernel_attached(link: dict[str, Any]) -> list[dict[str, Any]]:
    """iproute2's view of IFLA_XDP as xdptool's `attached` list (names via bpftool)."""
    xdp = link.get("xdp")
    if not xdp:
        return []
    entries = xdp.get("attached") or [xdp]
    out = []
    for entry in entries:
        prog_id = entry["prog"]["id"]
        name = json.loads(sh("bpftool", "-j", "prog", "show", "id", str(prog_id)))["name"]
        out.append({"mode": IP_MODES[entry["mode"]], "prog_id": prog_id, "prog_name": name})
    return out


def kernel_driver(ns: Netns, ifname: str) -> str | None:
    res = subprocess.run(["ip", "netns", "exec", ns.name, "ethtool", "-i", ifname],
                         capture_output=True, text=True, check=False)
    if res.returncode != 0:
        return None  # lo: no driver info
    return dict(line.split(": ", 1) for line in res.stdout.splitlines() if ": " in line)[
        "driver"]


# Bit names from include/uapi/linux/netdev.h, kept here so the check does not
# share xdptool's name tables.
UAPI_XDP_ACT = ("basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload", "rx-sg",
                "ndo-xmit-sg")
UAPI_XDP_RX_METADATA = ("timestamp", "hash", "vlan-tag")
UAPI_XSK_FLAGS = ("tx-timestamp", "tx-checksum", "tx-launch-time-fifo")

# The raw netdev dev-get dump, through the generated bindings only.
RAW_NETDEV = """
import json
from xdptool.ynl.generated.netdev import Netdev
with Netdev() as nd:
    print(json.dumps({d.ifindex: [None if v is None else int(v) for v in (
        d.xdp_features, d.xdp_zc_max_segs, d.xdp_rx_metadata_features, d.xsk_features)]
        for d in nd.dev_get_dump()}))
"""


def uapi_names(table: tuple[str, ...], value: int | None) -> list[str] | None:
    if value is None:
        return None
    return [table[bit] if bit < len(table) else f"bit-{bit}"
            for bit in range(value.bit_length()) if value >> bit & 1]


def kernel_netdev(ns: Netns) -> dict[int, dict[str, Any]]:
    out = sh("ip", "netns", "exec", ns.name, sys.executable, "-c", RAW_NETDEV)
    return {
        int(ifindex): {
            "xdp_features": uapi_names(UAPI_XDP_ACT, xdp),
            "xdp_zc_max_segs": zc,
            "xdp_rx_metadata_features": uapi_names(UAPI_XDP_RX_METADATA, meta),
            "xsk_features": uapi_names(UAPI_XSK_FLAGS, xsk),
        }
        for ifindex, (xdp, zc, meta, xsk) in json.loads(out).items()
    }


# What veth reports on this kernel (measured on 6.18): basic, redirect and rx-sg
# always; ndo-xmit and ndo-xmit-sg only while the *peer* has NAPI, i.e. a native
# XDP program (or GRO) on the peer; all three RX metadata kfuncs; no AF_XDP
# zero-copy, so no xdp-zc-max-segs.
VETH = ["basic", "redirect", "rx-sg"]
VETH_TARGET = ["basic", "redirect", "ndo-xmit", "rx-sg", "ndo-xmit-sg"]
EXPECTED_XDP_FEATURES = {
    "lo": [],
    NATIVE: VETH,
    NATIVE_PEER: VETH_TARGET,  # its peer NATIVE has a native program
    GENERIC: VETH,
    GENERIC_PEER: VETH,  # a generic program on the peer does not give it NAPI
}


def test_features_json_matches_kernel(netns: Netns) -> None:
    res = netns.xdptool("features", "--json")
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    reports = {r["ifname"]: r for r in json.loads(res.stdout)}
    links = netns.ip_links()
    netdev = kernel_netdev(netns)
    assert set(reports) == set(links) == set(EXPECTED_XDP_FEATURES)

    for ifname, link in links.items():
        r = reports[ifname]
        assert r["ifindex"] == link["ifindex"], ifname
        assert r["driver"] == kernel_driver(netns, ifname), ifname
        assert r["attached"] == kernel_attached(link), ifname
        for key, value in netdev[link["ifindex"]].items():
            assert r[key] == value, (ifname, key)
        assert r["xdp_features"] == EXPECTED_XDP_FEATURES[ifname], ifname
        veth = ifname != "lo"
        assert r["xdp_rx_metadata_features"] == (
            ["timestamp", "hash", "vlan-tag"] if veth else []), ifname
        assert r["xsk_features"] == [], ifname
        assert r["xdp_zc_max_segs"] is None, ifname
        assert r["native_xdp"] is veth
        assert r["redirect_target"] is (ifname == NATIVE_PEER)

    # The setup really is what the test claims (guards against iproute2 changes).
    assert [a["mode"] for a in reports[NATIVE]["attached"]] == ["native"]
    assert [a["mode"] for a in reports[GENERIC]["attached"]] == ["generic"]
    assert reports[NATIVE]["attached"][0]["prog_name"] == "xdp_pass"


def test_netns_option_same_as_ip_netns_exec(netns: Netns) -> None:
    inside = netns.xdptool("features", "--json")
    option = netns.xdptool("features", "--json", via_netns_option=True)
    assert option.returncode == 0, option.stderr
    assert json.loads(option.stdout) == json.loads(inside.stdout)


def test_text_output(netns: Netns) -> None:
    prog_id = kernel_attached(netns.ip_links()[GENERIC])[0]["prog_id"]
    res = netns.xdptool("features", GENERIC, NATIVE_PEER)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == f"Features for {GENERIC}:"
    assert "driver:                veth" in lines
    assert f"attached:              generic id {prog_id} (xdp_pass)" in lines
    assert f"Features for {NATIVE_PEER}:" in lines
    peer_block = res.stdout.split(f"Features for {NATIVE_PEER}:")[1].splitlines()
    assert "redirect-target:       yes" in peer_block


def test_table_output(netns: Netns) -> None:
    res = netns.xdptool("features")
    assert res.returncode == 0, res.stderr
    rows = {line.split()[0]: line.split() for line in res.stdout.splitlines()[1:]}
    assert set(rows) == set(EXPECTED_XDP_FEATURES)
    assert rows[NATIVE][2:4] == ["veth", "native"]
    assert rows[NATIVE][6] == "native"
    assert rows[GENERIC][6] == "generic"


def test_prog_name_null_without_cap_sys_admin(netns: Netns) -> None:
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv not installed")
    drop = ("setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin")
    res = netns.xdptool("features", "--json", NATIVE, prefix=drop)
    assert res.returncode == 0, res.stderr
    (report,) = json.loads(res.stdout)
    assert report["attached"][0]["mode"] == "native"
    assert report["attached"][0]["prog_name"] is None


def test_unknown_device(netns: Netns) -> None:
    res = netns.xdptool("features", "nosuch0")
    assert res.returncode == 1
    assert res.stderr == 'xdptool: no such device: "nosuch0"\n'
    assert res.stdout == ""


def test_unknown_netns() -> None:
    res = subprocess.run([sys.executable, "-m", "xdptool", "--netns", "xdpt-absent",
                          "features"], capture_output=True, text=True, cwd=REPO,
                         check=False, env=ENV)
    assert res.returncode == 1
    assert res.stderr == ('xdptool: no such network namespace: "xdpt-absent" '
                          "(see `ip netns list`)\n")
