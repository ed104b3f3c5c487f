"""Network namespaces: entering them from a thread, dropping CAP_NET_ADMIN."""

from __future__ import annotations

import ctypes
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from xdpvm.host import _ynl_lib, ktree, sh


@dataclass
class Netns:
    name: str

    def run(self, *cmd: str) -> str:
        return sh("ip", "netns", "exec", self.name, *cmd)

    def xdptool_json(self, *args: str) -> list[dict[str, Any]]:
        """`xdptool features --json ARGS` in this netns, in-process: starting
        an interpreter costs about a minute under TCG."""
        from typer.testing import CliRunner

        from xdptool.cli import app

        res = in_netns(self.name, lambda: CliRunner().invoke(
            app, ["features", "--json", *args]))
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    def kernel_dev_get(self) -> dict[int, dict[str, Any]]:
        """The netdev family read by the kernel's own YNL library, by ifindex."""
        lib = _ynl_lib()
        spec = str(ktree() / "Documentation/netlink/specs/netdev.yaml")
        devs = in_netns(self.name, lambda: lib.YnlFamily(spec, schema="").dump("dev-get", {}))
        return {dev["ifindex"]: dev for dev in devs}


CLONE_NEWNET = 0x40000000


NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


CAP_NET_ADMIN = 12


def _enter_netns(ns: str) -> None:
    """Move the calling thread into network namespace ns."""
    libc = ctypes.CDLL(None, use_errno=True)
    with open(f"/var/run/netns/{ns}") as f:
        if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {ns}: {os.strerror(err)}")


def _drop_cap_net_admin() -> None:
    """Drop CAP_NET_ADMIN (effective and permitted) from the calling thread
    only: capabilities are per thread, and sockets remember the
    credentials of the thread that opened them."""
    libc = ctypes.CDLL(None, use_errno=True)
    hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = (ctypes.c_uint32 * 6)()  # 2 x {effective, permitted, inheritable}
    if libc.capget(hdr, data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    data[0] &= ~(1 << CAP_NET_ADMIN)
    data[1] &= ~(1 << CAP_NET_ADMIN)
    if libc.capset(hdr, data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def in_netns(ns: str | None, fn: Callable[[], Any], cap_net_admin: bool = True) -> Any:
    """Call fn in a thread that joined network namespace ns (None: this one),
    without CAP_NET_ADMIN if asked.

    Sockets keep the namespace they were made in, so this is how the test
    process gets netlink and AF_PACKET sockets inside a test's netns; a
    thread of this process costs nothing, a new interpreter about a minute
    under TCG.
    """
    if ns is None and cap_net_admin:
        return fn()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            if ns is not None:
                _enter_netns(ns)
            if not cap_net_admin:
                _drop_cap_net_admin()
            box["value"] = fn()
        except BaseException as e:
            box["error"] = e

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def link(ns: str | None, dev: str) -> dict[str, Any]:
    """`ip -d link show` of dev: ifindex, address, num_rx_queues, xdp, ..."""
    pre = ["-n", ns] if ns else []
    return json.loads(sh("ip", *pre, "-d", "-j", "link", "show", "dev", dev))[0]


def virtio_nic_name() -> str:
    """The guest's virtio-net NIC (scripts/vm-run gives it one), in this netns."""
    for path in sorted(Path("/sys/class/net").glob("*/device/driver")):
        if path.resolve().name == "virtio_net":
            return path.parts[4]
    pytest.fail("the guest has no virtio-net NIC: scripts/vm-run should have given it one")


def quiet(ns: Netns) -> Netns:
    """Make ns a netns where nothing but the test sends: IPv6 off for every
    device made in it or moved into it (no router/neighbour solicitations),
    lo up."""
    for conf in ("all", "default"):
        ns.run("sysctl", "-qw", f"net.ipv6.conf.{conf}.disable_ipv6=1")
    ns.run("ip", "link", "set", "dev", "lo", "up")
    return ns
