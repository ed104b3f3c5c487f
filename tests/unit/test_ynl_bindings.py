"""xdptool.ynl.generated.netdev against netlink bytes captured from a real kernel.

The captures (tests/data/netdev/, see README.md there) come from Linux 6.18
in a throwaway namespace holding a veth pair vx0/vx1 with GRO on vx1. The
last test (marked root) checks the bindings against the running kernel.
"""

from __future__ import annotations

import errno
import json
import os
import struct
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xdptool.ynl import runtime as rt
from xdptool.ynl.generated import netdev
from xdptool.ynl.generated.netdev import Dev, XdpAct, XdpRxMetadata, XskFlags

DATA = Path(__file__).resolve().parents[1] / "data" / "netdev"
META = json.loads((DATA / "capture.json").read_text())
FAMILY_ID = META["family_id"]
VX0 = META["ifindex"]["vx0"]
VX1 = META["ifindex"]["vx1"]

# veth with GRO on its peer: XDP_REDIRECT target (ndo-xmit), multi-buffer.
VETH_PEER_GRO = (
    XdpAct.BASIC | XdpAct.REDIRECT | XdpAct.NDO_XMIT | XdpAct.RX_SG | XdpAct.NDO_XMIT_SG
)
VETH = XdpAct.BASIC | XdpAct.REDIRECT | XdpAct.RX_SG
VETH_RX_META = XdpRxMetadata.TIMESTAMP | XdpRxMetadata.HASH | XdpRxMetadata.VLAN_TAG


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def replies(name: str) -> list[Dev]:
    return [Dev.from_bytes(raw) for raw in rt.split_messages(data(name), FAMILY_ID)]


def nlattr(kind: int, payload: bytes) -> bytes:
    out = struct.pack("=HH", 4 + len(payload), kind) + payload
    return out + b"\0" * (-len(out) % 4)


def genl(cmd: int, attrs: bytes) -> bytes:
    body = struct.pack("=BBH", cmd, 1, 0) + attrs
    return struct.pack("=IHHII", 16 + len(body), FAMILY_ID, 0, 0, 0) + body


# ---------------------------------------------------------------------------
# Generated API surface


def test_flag_values_match_upstream() -> None:
    assert {m.name: int(m) for m in XdpAct} == {
        "BASIC": 1,
        "REDIRECT": 2,
        "NDO_XMIT": 4,
        "XSK_ZEROCOPY": 8,
        "HW_OFFLOAD": 16,
        "RX_SG": 32,
        "NDO_XMIT_SG": 64,
    }
    assert {m.name: int(m) for m in XdpRxMetadata} == {"TIMESTAMP": 1, "HASH": 2, "VLAN_TAG": 4}
    assert {m.name: int(m) for m in XskFlags} == {
        "TX_TIMESTAMP": 1,
        "TX_CHECKSUM": 2,
        "TX_LAUNCH_TIME_FIFO": 4,
    }
    assert XdpAct.NDO_XMIT.spec_name == "ndo-xmit"
    assert XdpAct.REDIRECT.doc == "The netdev supports XDP_REDIRECT"
    assert "ndo_xdp_xmit" in (XdpAct.__doc__ or "")
    assert XdpAct.from_names(["basic", "rx-sg"]) == XdpAct.BASIC | XdpAct.RX_SG


def test_nla_map_uses_upstream_attribute_numbers() -> None:
    assert netdev.DevMsg.nla_map == (
        (1, "NETDEV_A_DEV_IFINDEX", "uint32"),
        (2, "NETDEV_A_DEV_PAD", "none"),
        (3, "NETDEV_A_DEV_XDP_FEATURES", "uint64"),
        (4, "NETDEV_A_DEV_XDP_ZC_MAX_SEGS", "uint32"),
        (5, "NETDEV_A_DEV_XDP_RX_METADATA_FEATURES", "uint64"),
        (6, "NETDEV_A_DEV_XSK_FEATURES", "uint64"),
    )
    assert netdev.OPS["dev-get"] == (1, 1)
    assert netdev.OPS["dev-change-ntf"] == (4, 4)
    assert netdev.MCAST_GROUPS == ("mgmt",)
    assert issubclass(netdev.DevMsg, rt.GenlMessage)


def test_codec_agrees_with_pyroute2() -> None:
    """pyroute2 (an independent netlink codec) reads what the runtime writes."""
    from pyroute2.netlink import genlmsg  # type: ignore[import-untyped]

    class PyrouteDev(genlmsg):  # type: ignore[misc]
        nla_map = netdev.DevMsg.nla_map

    dev = Dev(ifindex=7, xdp_features=XdpAct.BASIC | XdpAct.NDO_XMIT, xdp_zc_max_segs=3)
    raw = rt.encode_message(rt.new_request(netdev.DevMsg, 1, dev.to_attrs()), msg_type=FAMILY_ID)
    theirs = PyrouteDev(raw)
    theirs.decode()
    assert theirs["cmd"] == 1
    assert [(name, value) for name, value in theirs["attrs"]] == [
        ("NETDEV_A_DEV_IFINDEX", 7), ("NETDEV_A_DEV_XDP_FEATURES", 5),
        ("NETDEV_A_DEV_XDP_ZC_MAX_SEGS", 3)]


def test_dev_dataclass_shape() -> None:
    import dataclasses
    import typing

    hints = typing.get_type_hints(Dev)
    assert hints["ifindex"] is int
    assert hints["xdp_features"] == XdpAct | None
    assert hints["xdp_zc_max_segs"] == int | None
    assert hints["xdp_rx_metadata_features"] == XdpRxMetadata | None
    assert hints["xsk_features"] == XskFlags | None
    dev = Dev(ifindex=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        dev.ifindex = 2  # type: ignore[misc]
    assert "Bitmask of enabled xdp-features." in (Dev.__doc__ or "")
    assert (netdev.Netdev.dev_get.__doc__ or "").startswith("Get / dump information about a")


# ---------------------------------------------------------------------------
# Decoding captured replies


def test_decode_dev_get_lo() -> None:
    (dev,) = replies("dev-get-lo.reply.bin")
    assert dev == Dev(
        ifindex=1,
        xdp_features=XdpAct(0),
        xdp_zc_max_segs=None,  # only sent with xsk-zerocopy
        xdp_rx_metadata_features=XdpRxMetadata(0),
        xsk_features=XskFlags(0),
    )
    assert XdpAct.names(dev.xdp_features or 0) == []


def test_decode_dev_get_veth() -> None:
    (dev,) = replies("dev-get-vx0.reply.bin")
    assert dev.ifindex == VX0 == 3
    assert dev.xdp_features == VETH_PEER_GRO == 103
    assert XdpAct.names(dev.xdp_features) == [
        "basic",
        "redirect",
        "ndo-xmit",
        "rx-sg",
        "ndo-xmit-sg",
    ]
    assert dev.xdp_rx_metadata_features == VETH_RX_META
    assert dev.xsk_features == XskFlags(0)
    assert dev.xdp_zc_max_segs is None
    assert rt.to_spec_dict(dev) == {
        "ifindex": 3,
        "xdp-features": ["basic", "redirect", "ndo-xmit", "rx-sg", "ndo-xmit-sg"],
        "xdp-rx-metadata-features": ["timestamp", "hash", "vlan-tag"],
        "xsk-features": [],
    }


def test_decode_dump() -> None:
    devs = replies("dev-get-dump.reply.bin")
    assert [(d.ifindex, int(d.xdp_features or 0)) for d in devs] == [
        (1, 0),
        (VX1, int(VETH)),
        (VX0, int(VETH_PEER_GRO)),
    ]


def test_decode_notifications() -> None:
    ntfs = [
        (netdev._NOTIFICATIONS[rt.genl_cmd(raw)][0], Dev.from_bytes(raw))
        for raw in rt.split_messages(data("ntf-mgmt.bin"), FAMILY_ID)
    ]
    vy0, vy1 = META["ifindex"]["vy0"], META["ifindex"]["vy1"]
    assert [(op, dev.ifindex) for op, dev in ntfs] == [
        ("dev-add-ntf", vy1),
        ("dev-add-ntf", vy0),
        ("dev-change-ntf", vy0),
        ("dev-change-ntf", vy1),
    ]
    # a device that is still down has no XDP features yet; they appear on change
    assert ntfs[0][1].xdp_features == XdpAct(0)
    assert ntfs[2][1].xdp_features == VETH


def test_decode_errors_with_extack() -> None:
    with pytest.raises(rt.YnlError) as info:
        rt.split_messages(data("dev-get-err-range.reply.bin"), FAMILY_ID, op="dev-get")
    err = info.value
    assert err.errno == errno.ERANGE
    assert err.extack == "integer out of range"
    assert err.bad_attr_offset == 20  # the ifindex attribute in the request
    assert str(err) == "dev-get: Numerical result out of range: integer out of range"

    with pytest.raises(rt.YnlError) as info:
        rt.split_messages(
            data("dev-get-err-missing.reply.bin"), FAMILY_ID, netdev.ATTR_NAMES["dev"]
        )
    assert info.value.errno == errno.EINVAL
    assert info.value.miss_type == 1 and info.value.miss_attr == "ifindex"
    assert "missing attribute: ifindex" in str(info.value)

    with pytest.raises(rt.YnlError) as info:
        rt.split_messages(data("dev-get-err-nodev.reply.bin"), FAMILY_ID)
    assert info.value.errno == errno.ENODEV and info.value.extack is None


def test_permission_error_keeps_eperm() -> None:
    err = rt.YnlError(errno.EPERM, op="dev-get")
    assert err.is_permission_error and err.errno == errno.EPERM
    assert str(err) == "dev-get: Operation not permitted"
    assert isinstance(rt.FamilyNotFoundError("netdev"), rt.YnlError)


# ---------------------------------------------------------------------------
# Newer / older kernels


def test_unknown_flag_bits_are_kept() -> None:
    raw = bytearray(data("dev-get-vx0.reply.bin"))
    # xdp-features is the u64 after the ifindex attribute: set bits 7 and 40
    offset = raw.find(struct.pack("=HH", 12, 3)) + 4
    struct.pack_into("=Q", raw, offset, int(VETH_PEER_GRO) | 1 << 7 | 1 << 40)
    (dev,) = [Dev.from_bytes(m) for m in rt.split_messages(bytes(raw), FAMILY_ID)]
    assert dev.xdp_features is not None
    assert int(dev.xdp_features) == 103 | 1 << 7 | 1 << 40
    assert XdpAct.names(dev.xdp_features)[-2:] == ["bit-7", "bit-40"]
    assert XdpAct.NDO_XMIT in dev.xdp_features
    assert XdpAct.from_names(XdpAct.names(dev.xdp_features)) == dev.xdp_features


def test_missing_attributes_decode_to_none() -> None:
    dev = Dev.from_bytes(genl(1, nlattr(1, struct.pack("=I", 7))))
    assert dev == Dev(ifindex=7)
    assert dev.xdp_features is None and dev.xsk_features is None
    assert rt.to_spec_dict(dev) == {"ifindex": 7}


def test_unknown_attributes_are_ignored() -> None:
    attrs = nlattr(1, struct.pack("=I", 7)) + nlattr(42, b"new") + nlattr(4, struct.pack("=I", 2))
    assert Dev.from_bytes(genl(1, attrs)) == Dev(ifindex=7, xdp_zc_max_segs=2)


def test_missing_ifindex_is_a_decode_error() -> None:
    with pytest.raises(rt.YnlDecodeError, match="NETDEV_A_DEV_IFINDEX"):
        Dev.from_bytes(genl(1, nlattr(3, struct.pack("=Q", 1))))


# ---------------------------------------------------------------------------
# Encoding requests


def test_encode_dev_get_request() -> None:
    msg = netdev.dev_get_do_request(1)
    raw = rt.encode_message(msg, msg_type=FAMILY_ID, flags=rt.NLM_F_REQUEST, seq=10)
    # nlmsghdr (len, type, flags, seq, pid), genlmsghdr (cmd, version, reserved),
    # then NETDEV_A_DEV_IFINDEX: nla_len 8, nla_type 1, u32 1
    assert raw == struct.pack("=IHHIIBBHHHI", 28, FAMILY_ID, 1, 10, 0, 1, 1, 0, 8, 1, 1)
    assert raw == data("dev-get-lo.request.bin")  # what the kernel answered above
    vx0 = netdev.dev_get_do_request(VX0)
    assert rt.encode_message(vx0, msg_type=FAMILY_ID, seq=11) == data("dev-get-vx0.request.bin")


def test_encode_dev_get_dump_request() -> None:
    msg = netdev.dev_get_dump_request()
    raw = rt.encode_message(msg, msg_type=FAMILY_ID, flags=rt.NLM_F_REQUEST | rt.NLM_F_DUMP, seq=12)
    assert raw == struct.pack("=IHHIIBBH", 20, FAMILY_ID, 0x301, 12, 0, 1, 1, 0)
    assert raw == data("dev-get-dump.request.bin")


class CannedSocket:
    family_id = FAMILY_ID

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, dict[str, Any]]] = []

    def request(self, msg: Any, **kwargs: Any) -> list[bytes]:
        self.calls.append((rt.encode_message(msg, msg_type=FAMILY_ID), kwargs))
        name = "dev-get-dump.reply.bin" if kwargs["dump"] else "dev-get-vx0.reply.bin"
        return rt.split_messages(data(name), FAMILY_ID)

    def notifications(self, timeout: float | None = None) -> Iterator[bytes]:
        yield from rt.split_messages(data("ntf-mgmt.bin"), FAMILY_ID)

    def close(self) -> None:
        pass


def test_family_methods_on_captured_replies() -> None:
    sock = CannedSocket()
    with netdev.Netdev(sock=sock) as nd:  # type: ignore[arg-type]
        assert nd.dev_get(VX0).xdp_features == VETH_PEER_GRO
        assert sock.calls[0][0] == data("dev-get-vx0.request.bin")[:8] + bytes(4) + bytes(
            data("dev-get-vx0.request.bin")[12:]
        )  # same bytes except the sequence number
        assert [d.ifindex for d in nd.dev_get_dump()] == [1, VX1, VX0]
        ops = [op for op, _ in nd.notifications(timeout=0)]
        assert ops == ["dev-add-ntf", "dev-add-ntf", "dev-change-ntf", "dev-change-ntf"]


# ---------------------------------------------------------------------------
# The running kernel


def ip(*args: str, check: bool = True) -> str:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check).stdout


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"xdptool-ynl-{uuid.uuid4().hex[:8]}"
    ip("netns", "add", name)
    try:
        ip("-n", name, "link", "add", "vt0", "type", "veth", "peer", "name", "vt1")
        yield name
    finally:
        ip("netns", "del", name, check=False)


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create a network namespace")
def test_live_kernel_matches_ip_link(netns: str) -> None:
    links = json.loads(ip("-n", netns, "-d", "-j", "link", "show"))
    by_name = {link["ifname"]: link["ifindex"] for link in links}
    with netdev.Netdev(netns=netns) as nd:
        devs = {d.ifindex: d for d in nd.dev_get_dump()}
        assert sorted(devs) == sorted(by_name.values())
        assert devs[by_name["lo"]].xdp_features == XdpAct(0)
        for name in ("vt0", "vt1"):
            dev = devs[by_name[name]]
            assert dev.xdp_features is not None and VETH in dev.xdp_features
            assert dev.xdp_rx_metadata_features is not None
            assert XdpRxMetadata.TIMESTAMP | XdpRxMetadata.HASH in dev.xdp_rx_metadata_features
            assert nd.dev_get(dev.ifindex) == dev

        with pytest.raises(rt.YnlError) as info:
            nd.dev_get(0)
        assert info.value.errno == errno.ERANGE and info.value.extack
        with pytest.raises(rt.YnlError) as info:
            nd.dev_get(max(by_name.values()) + 1000)
        assert info.value.errno == errno.ENODEV

        nd.subscribe()
        ip("-n", netns, "link", "add", "vt2", "type", "veth", "peer", "name", "vt3")
        new = json.loads(ip("-n", netns, "-j", "link", "show", "vt2"))[0]["ifindex"]
        deadline = time.monotonic() + 5
        seen = []
        for op, dev in nd.notifications(timeout=5):
            seen.append((op, dev.ifindex))
            if (op, dev.ifindex) == ("dev-add-ntf", new) or time.monotonic() > deadline:
                break
        assert ("dev-add-ntf", new) in seen


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create a network namespace")
def test_live_family_not_found() -> None:
    with pytest.raises(rt.FamilyNotFoundError) as info:
        rt.YnlSocket("xdptool-nofam")
    assert info.value.errno == errno.ENOENT
