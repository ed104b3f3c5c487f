"""The features model: merged reports and verdicts from faked data sources."""

from __future__ import annotations

import os
import struct
from typing import TYPE_CHECKING

import pytest

from xdptool.commands.features import NO_FAMILY_NOTE, AttachedProg, DeviceReport, collect
from xdptool.errors import NoSuchDeviceError
from xdptool.links import Attachment, Link, link_from_message, parse_xdp

if TYPE_CHECKING:
    from tests.conftest import FakeHost


def test_collect_all_in_ifindex_order(fake_host: FakeHost) -> None:
    assert [r.ifname for r in collect()] == ["lo", "veth0", "veth1", "eth0", "nfp0"]


def test_collect_named_keeps_order_and_drops_duplicates(fake_host: FakeHost) -> None:
    assert [r.ifname for r in collect(["eth0", "lo", "eth0"])] == ["eth0", "lo"]


def test_report_native_device_with_program(fake_host: FakeHost) -> None:
    (veth0,) = collect(["veth0"])
    assert veth0 == DeviceReport(
        ifname="veth0",
        ifindex=2,
        driver="veth",
        xdp_features=["basic", "redirect", "rx-sg"],
        xdp_rx_metadata_features=["timestamp", "hash", "vlan-tag"],
        xsk_features=[],
        xdp_zc_max_segs=None,
        attached=[AttachedProg("native", 8, "xdp_pass")],
    )
    assert (veth0.native_xdp, veth0.redirect, veth0.redirect_target,
            veth0.redirect_target_sg, veth0.rx_sg, veth0.xsk_zerocopy,
            veth0.hw_offload) == (True, True, False, False, True, False, False)
    assert (veth0.rx_metadata_timestamp, veth0.rx_metadata_hash,
            veth0.rx_metadata_vlan_tag) == (True, True, True)
    assert (veth0.xsk_tx_timestamp, veth0.xsk_tx_checksum) == (False, False)


def test_report_redirect_target(fake_host: FakeHost) -> None:
    (veth1,) = collect(["veth1"])
    assert veth1.xdp_features == ["basic", "redirect", "ndo-xmit", "rx-sg", "ndo-xmit-sg"]
    assert veth1.redirect_target is True
    assert veth1.redirect_target_sg is True
    assert veth1.attached == []


def test_report_zero_copy_and_unnamed_program(fake_host: FakeHost) -> None:
    (eth0,) = collect(["eth0"])
    assert eth0.xsk_zerocopy is True
    assert eth0.xdp_zc_max_segs == 1
    assert eth0.attached == [AttachedProg("generic", 9, None)]


def test_report_multi_mode_offload_and_unknown_bits(fake_host: FakeHost) -> None:
    (nfp0,) = collect(["nfp0"])
    assert nfp0.xdp_features == ["basic", "hw-offload", "bit-8"]
    assert nfp0.hw_offload is True
    assert nfp0.xsk_features == ["tx-timestamp", "tx-checksum"]
    assert (nfp0.xsk_tx_timestamp, nfp0.xsk_tx_checksum) == (True, True)
    assert nfp0.attached == [AttachedProg("native", 10, "xdp_lb"),
                             AttachedProg("offload", 11, "xdp_lb_hw")]


def test_no_native_support(fake_host: FakeHost) -> None:
    (lo,) = collect(["lo"])
    assert lo.native_xdp is False
    assert lo.driver is None
    assert lo.xdp_features == []


def test_missing_family_is_unknown_never_no(no_family_host: FakeHost) -> None:
    for report in collect():
        assert report.xdp_features is None
        assert report.xdp_rx_metadata_features is None
        assert report.xsk_features is None
        assert report.xdp_zc_max_segs is None
        for attr in ("native_xdp", "redirect", "redirect_target", "redirect_target_sg",
                     "rx_sg", "xsk_zerocopy", "hw_offload", "rx_metadata_timestamp",
                     "rx_metadata_hash", "rx_metadata_vlan_tag", "xsk_tx_timestamp",
                     "xsk_tx_checksum"):
            assert getattr(report, attr) is None, attr
        assert report.notes() == [NO_FAMILY_NOTE]
    # Attach state and driver come from rtnetlink/ethtool and still work.
    (veth0,) = collect(["veth0"])
    assert veth0.driver == "veth"
    assert veth0.attached == [AttachedProg("native", 8, "xdp_pass")]


def test_device_missing_from_family_dump_is_unknown(fake_host: FakeHost) -> None:
    assert fake_host.features is not None
    del fake_host.features[3]
    (veth1,) = collect(["veth1"])
    assert veth1.xdp_features is None
    assert veth1.native_xdp is None


def test_unknown_device(fake_host: FakeHost) -> None:
    with pytest.raises(NoSuchDeviceError, match=r'^no such device: "foo0"$'):
        collect(["lo", "foo0"])


def test_notes(fake_host: FakeHost) -> None:
    notes = {r.ifname: r.notes() for r in collect()}
    assert notes == {
        "lo": ["no native XDP in this driver: only generic (skb) mode, which is slow"],
        "veth0": ["not a redirect target now: attach a native XDP program to the veth peer "
                  "or enable GRO on it"],
        "veth1": [],
        "eth0": ["generic XDP attached although the driver supports native mode: "
                 "re-attach with `ip link set dev eth0 xdpdrv ...`",
                 "not a redirect target now: most drivers set up XDP TX queues only while "
                 "a native XDP program is attached to the device"],
        "nfp0": ["not a redirect target now: most drivers set up XDP TX queues only while "
                 "a native XDP program is attached to the device"],
    }


def nlattr(kind: int, payload: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(payload), kind) + payload + bytes(-len(payload) % 4)


def newlink(ifindex: int, name: bytes, **xdp: int) -> bytes:
    """An RTM_NEWLINK message as the kernel sends it: ifinfomsg, IFLA_IFNAME,
    IFLA_XDP with the given IFLA_XDP_* attributes (u8 ATTACHED, u32 ids)."""
    numbers = {"ATTACHED": 2, "PROG_ID": 4, "DRV_PROG_ID": 5, "SKB_PROG_ID": 6,
               "HW_PROG_ID": 7}
    nest = b"".join(
        nlattr(numbers[key], struct.pack("=B" if key == "ATTACHED" else "=I", value))
        for key, value in xdp.items())
    body = (struct.pack("=BxHiII", 0, 1, ifindex, 0, 0) + nlattr(3, name + b"\0")
            + nlattr(43 | 0x8000, nest))
    return struct.pack("=IHHII", 16 + len(body), 16, 2, 1, 0) + body


def test_parse_xdp_none() -> None:
    assert parse_xdp({}) == []
    link = link_from_message(newlink(4, b"eth0", ATTACHED=0))
    assert link == Link(4, "eth0", [])


def test_parse_xdp_per_mode_ids() -> None:
    link = link_from_message(newlink(5, b"nfp0", ATTACHED=4, DRV_PROG_ID=5, HW_PROG_ID=6))
    assert link is not None
    assert link.attached == [Attachment("native", 5), Attachment("offload", 6)]


def test_parse_xdp_generic() -> None:
    link = link_from_message(newlink(6, b"g0", ATTACHED=2, PROG_ID=7, SKB_PROG_ID=7))
    assert link is not None and link.attached == [Attachment("generic", 7)]


def test_parse_xdp_old_kernel_single_mode() -> None:
    link = link_from_message(newlink(7, b"old0", ATTACHED=1, PROG_ID=3))
    assert link is not None and link.attached == [Attachment("native", 3)]


def test_link_name_not_utf8_round_trips() -> None:
    link = link_from_message(newlink(8, b"x\xff\n"))
    assert link is not None
    assert link.ifname == "x\udcff\n"  # what sys.argv holds for the same bytes
    assert os.fsencode(link.ifname) == b"x\xff\n"


def test_not_a_newlink_message() -> None:
    raw = newlink(9, b"a")
    assert link_from_message(raw[:4] + struct.pack("=H", 17) + raw[6:]) is None
    assert link_from_message(raw[:20]) is None
