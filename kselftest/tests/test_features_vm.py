"""`xdptool features` on the patched kernel: veth, netdevsim, virtio-net.

The expected bits are the ones each base's drivers set (drivers/net/veth.c
veth_set_xdp_features(), netdevsim/netdev.c nsim_setup(), virtio_net.c
virtnet_probe() and virtnet_xdp_set()): 7.x's netdevsim also says basic
(it runs XDP on its RX path) and virtio_net xsk-zerocopy; every answer is
also compared with the kernel's own YNL CLI reading the netdev family.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from xdpvm.host import by_name, sh
from xdpvm.netns import Netns

VETH_RX_META = ["timestamp", "hash", "vlan-tag"]


def base() -> tuple[int, int]:
    """The guest kernel's major.minor: which base's drivers run."""
    major, minor = os.uname().release.split(".")[:2]
    return int(major), int(minor)


def per_base(bits: dict[tuple[int, int], list[str]]) -> list[str]:
    """The bits of the running base (the newest listed at or below it)."""
    known = [b for b in sorted(bits) if b <= base()]
    if not known:
        pytest.fail(f"no expected bits for kernel {base()}: add its base to the test")
    return bits[known[-1]]


NSIM_FEATURES = {(6, 12): ["hw-offload"], (7, 0): ["basic", "hw-offload"]}
VIRTIO_FEATURES = {
    (6, 12): ["basic", "redirect", "rx-sg"],
    (7, 0): ["basic", "redirect", "xsk-zerocopy", "rx-sg"],
}
VIRTIO_PROG_FEATURES = {
    (6, 12): ["basic", "redirect", "ndo-xmit", "rx-sg", "ndo-xmit-sg"],
    (7, 0): ["basic", "redirect", "ndo-xmit", "xsk-zerocopy", "rx-sg", "ndo-xmit-sg"],
}


def attach(netns: Netns, dev: str, obj: Path, mode: str) -> None:
    """mode: xdpdrv (native) or xdpgeneric."""
    sh("ip", "-n", netns.name, "link", "set", "dev", dev, mode, "obj", str(obj), "sec", "xdp")


def assert_matches_kernel(ns: Netns, dev: dict[str, Any]) -> None:
    # The kernel's YNL library returns flag sets; xdptool lists them by bit.
    kernel = ns.kernel_dev_get()[dev["ifindex"]]
    assert set(dev["xdp_features"]) == set(kernel["xdp-features"])
    assert set(dev["xdp_rx_metadata_features"]) == set(kernel["xdp-rx-metadata-features"])
    assert set(dev["xsk_features"]) == set(kernel.get("xsk-features", ()))
    assert dev["xdp_zc_max_segs"] == kernel.get("xdp-zc-max-segs")


def test_veth_native_and_redirect_target(netns: Netns, xdp_pass_obj: Path) -> None:
    sh("ip", "-n", netns.name, "link", "add", "vm0", "type", "veth", "peer", "name", "vm1")
    devs = by_name(netns.xdptool_json())
    for name in ("vm0", "vm1"):
        dev = devs[name]
        assert dev["driver"] == "veth"
        assert dev["native_xdp"] is True
        assert dev["xdp_features"] == ["basic", "redirect", "rx-sg"]
        assert dev["xdp_rx_metadata_features"] == VETH_RX_META
        assert dev["redirect_target"] is False
        assert dev["attached"] == []
        assert_matches_kernel(netns, dev)

    # A native program on vm0 gives vm1 (its peer) NAPI: vm1 becomes a target.
    attach(netns, "vm0", xdp_pass_obj, "xdpdrv")
    devs = by_name(netns.xdptool_json())
    assert devs["vm1"]["xdp_features"] == ["basic", "redirect", "ndo-xmit", "rx-sg", "ndo-xmit-sg"]
    assert devs["vm1"]["redirect_target"] is True
    assert devs["vm1"]["redirect_target_sg"] is True
    assert devs["vm0"]["redirect_target"] is False
    [att] = devs["vm0"]["attached"]
    assert (att["mode"], att["prog_name"]) == ("native", "xdp_pass")
    for dev in devs.values():
        assert_matches_kernel(netns, dev)


def test_generic_attach_is_reported_as_generic(netns: Netns, xdp_pass_obj: Path) -> None:
    sh("ip", "-n", netns.name, "link", "add", "vg0", "type", "veth", "peer", "name", "vg1")
    attach(netns, "vg0", xdp_pass_obj, "xdpgeneric")
    dev = by_name(netns.xdptool_json("vg0"))["vg0"]
    [att] = dev["attached"]
    assert (att["mode"], att["prog_name"]) == ("generic", "xdp_pass")
    # Generic mode on the peer gives no NAPI: vg1 stays a non-target.
    assert by_name(netns.xdptool_json("vg1"))["vg1"]["redirect_target"] is False


@pytest.fixture
def netdevsim(netns: Netns) -> Iterator[str]:
    dev_id = 400 + os.getpid() % 100
    sh("sh", "-c", f"echo {dev_id} 1 > /sys/bus/netdevsim/new_device")
    try:
        # udev renames the new netdev (eth0 -> eni...np1): let it finish.
        sh("udevadm", "settle")
        [path] = glob.glob(f"/sys/bus/netdevsim/devices/netdevsim{dev_id}/net/*")
        name = os.path.basename(path)
        sh("ip", "link", "set", "dev", name, "netns", netns.name)
        yield name
    finally:
        sh("sh", "-c", f"echo {dev_id} > /sys/bus/netdevsim/del_device")


def test_netdevsim_offload_and_native_per_base(netns: Netns, netdevsim: str) -> None:
    """6.12's netdevsim is offload only; 7.x's runs XDP natively too."""
    dev = by_name(netns.xdptool_json(netdevsim))[netdevsim]
    assert dev["driver"] == "netdevsim"
    assert dev["xdp_features"] == per_base(NSIM_FEATURES)
    assert dev["native_xdp"] is ("basic" in per_base(NSIM_FEATURES))
    assert dev["hw_offload"] is True
    assert dev["xdp_rx_metadata_features"] == []
    assert_matches_kernel(netns, dev)


def virtio_nic() -> str:
    for path in sorted(glob.glob("/sys/class/net/*/device/driver")):
        if os.path.basename(os.path.realpath(path)) == "virtio_net":
            return path.split("/")[4]
    pytest.fail("the guest has no virtio-net NIC: scripts/vm-run should have given it one")


def test_virtio_net_multiqueue_native_xdp(netns: Netns, xdp_pass_obj: Path) -> None:
    nic = virtio_nic()
    sh("ip", "link", "set", "dev", nic, "netns", netns.name)
    # QEMU gave it 4 queue pairs (scripts/vm-run --queues).
    assert "Combined:\t4" in netns.run("ethtool", "-l", nic)
    dev = by_name(netns.xdptool_json(nic))[nic]
    assert dev["driver"] == "virtio_net"
    assert dev["xdp_features"] == per_base(VIRTIO_FEATURES)
    assert dev["redirect_target"] is False
    assert_matches_kernel(netns, dev)

    # virtnet_xdp_set() makes the device a redirect target with a program.
    attach(netns, nic, xdp_pass_obj, "xdpdrv")
    try:
        dev = by_name(netns.xdptool_json(nic))[nic]
        assert dev["xdp_features"] == per_base(VIRTIO_PROG_FEATURES)
        [att] = dev["attached"]
        assert (att["mode"], att["prog_name"]) == ("native", "xdp_pass")
        assert_matches_kernel(netns, dev)
    finally:
        sh("ip", "-n", netns.name, "link", "set", "dev", nic, "xdpdrv", "off")
        sh("ip", "-n", netns.name, "link", "set", "dev", nic, "netns", "1")
