"""The features model: merged reports and verdicts from faked data sources."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from xdptool.errors import NoSuchDeviceError
from xdptool.features import NO_FAMILY_NOTE, AttachedProg, DeviceReport, collect
from xdptool.links import Attachment, parse_xdp

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
    with pytest.raises(NoSuchDeviceError, match=r"^no such device: foo0$"):
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


class FakeNla:
    """Stands in for pyroute2's decoded IFLA_XDP nest."""

    def __init__(self, **attrs: object) -> None:
        self.attrs = attrs

    def get_attr(self, name: str) -> object:
        return self.attrs.get(name)


def test_parse_xdp_none() -> None:
    assert parse_xdp(None) == []
    assert parse_xdp(FakeNla(IFLA_XDP_ATTACHED=None)) == []


def test_parse_xdp_per_mode_ids() -> None:
    nla = FakeNla(IFLA_XDP_ATTACHED="xdpmulti", IFLA_XDP_DRV_PROG_ID=5,
                  IFLA_XDP_HW_PROG_ID=6)
    assert parse_xdp(nla) == [Attachment("native", 5), Attachment("offload", 6)]


def test_parse_xdp_generic() -> None:
    nla = FakeNla(IFLA_XDP_ATTACHED="xdpgeneric", IFLA_XDP_PROG_ID=7,
                  IFLA_XDP_SKB_PROG_ID=7)
    assert parse_xdp(nla) == [Attachment("generic", 7)]


def test_parse_xdp_old_kernel_single_mode() -> None:
    nla = FakeNla(IFLA_XDP_ATTACHED="xdp", IFLA_XDP_PROG_ID=3)
    assert parse_xdp(nla) == [Attachment("native", 3)]
