"""The low-level sources: struct layouts, never-raise contracts, the netdev adapter."""

from __future__ import annotations

import ctypes
import errno
from typing import ClassVar

import pytest

from xdptool import bpfinfo, drvinfo, netdev_source
from xdptool.errors import PermissionDeniedError, XdptoolError
from xdptool.netdev_source import NetdevFeatures
from xdptool.ynl.generated.netdev import Dev, XdpAct, XdpRxMetadata, XskFlags
from xdptool.ynl.runtime import FamilyNotFoundError, YnlError


def test_ethtool_drvinfo_layout() -> None:
    # sizeof(struct ethtool_drvinfo) in include/uapi/linux/ethtool.h
    assert drvinfo._DRVINFO.size == 196


def test_bpf_prog_info_layout() -> None:
    # offsetof(struct bpf_prog_info, name) in include/uapi/linux/bpf.h
    assert bpfinfo._ProgInfo.name.offset == 64
    assert ctypes.sizeof(bpfinfo._ProgInfo) == 80


def test_driver_name_of_missing_device_is_none() -> None:
    assert drvinfo.driver_name("xdpt-none0") is None


def test_prog_name_of_missing_program_is_none() -> None:
    # ENOENT as root, EPERM otherwise: either way "unknown", never an exception.
    assert bpfinfo.prog_name(0xFFFFFFF0) is None


# ---- the netdev adapter over the generated bindings ---------------------------

def test_from_dev_names_and_unknown_bits() -> None:
    dev = Dev(ifindex=7, xdp_features=XdpAct(1 | 2 | 32 | 256), xdp_zc_max_segs=None,
              xdp_rx_metadata_features=XdpRxMetadata(7), xsk_features=XskFlags(0))
    assert netdev_source.from_dev(dev) == NetdevFeatures(
        ifindex=7,
        xdp_features=["basic", "redirect", "rx-sg", "bit-8"],
        xdp_zc_max_segs=None,
        xdp_rx_metadata_features=["timestamp", "hash", "vlan-tag"],
        xsk_features=[],
    )


def test_from_dev_attributes_not_sent_stay_none() -> None:
    assert netdev_source.from_dev(Dev(ifindex=1)) == NetdevFeatures(1, None, None, None, None)


class FakeNetdev:
    """Stands in for the generated Netdev; raises or answers as told."""

    error: ClassVar[Exception | None] = None
    devs: ClassVar[list[Dev]] = []

    def __enter__(self) -> FakeNetdev:
        if self.error is not None:
            raise self.error
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def dev_get_dump(self) -> list[Dev]:
        return self.devs


@pytest.fixture
def fake_netdev(monkeypatch: pytest.MonkeyPatch) -> type[FakeNetdev]:
    cls = type("Fake", (FakeNetdev,), {"error": None, "devs": []})
    monkeypatch.setattr(netdev_source, "Netdev", cls)
    return cls


def test_dump_features_by_ifindex(fake_netdev: type[FakeNetdev]) -> None:
    fake_netdev.devs = [Dev(ifindex=3, xdp_features=XdpAct.BASIC), Dev(ifindex=1)]
    out = netdev_source.dump_features()
    assert out is not None
    assert sorted(out) == [1, 3]
    assert out[3].xdp_features == ["basic"]


def test_dump_features_family_missing(fake_netdev: type[FakeNetdev]) -> None:
    fake_netdev.error = FamilyNotFoundError("netdev")
    assert netdev_source.dump_features() is None


def test_dump_features_permission(fake_netdev: type[FakeNetdev]) -> None:
    fake_netdev.error = YnlError(errno.EPERM)
    with pytest.raises(PermissionDeniedError) as exc:
        netdev_source.dump_features()
    assert str(exc.value) == ("permission denied: reading the netdev netlink family "
                              "needs CAP_NET_ADMIN")


def test_dump_features_other_error_keeps_extack(fake_netdev: type[FakeNetdev]) -> None:
    fake_netdev.error = YnlError(errno.EINVAL, extack="bad attribute", op="dev-get")
    with pytest.raises(XdptoolError) as exc:
        netdev_source.dump_features()
    assert str(exc.value) == "netdev netlink family: dev-get: Invalid argument: bad attribute"
