"""Interfaces and their XDP attach state, from rtnetlink (RTM_GETLINK, IFLA_XDP)."""

from __future__ import annotations

import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from xdptool import names
from xdptool.errors import NoSuchDeviceError, PermissionDeniedError, XdptoolError
from xdptool.ynl import runtime

# <linux/rtnetlink.h>, <linux/if_link.h>
RTM_NEWLINK = 16
RTM_GETLINK = 18
IFLA_IFNAME = 3
IFLA_LINK = 5
IFLA_LINKINFO = 18
IFLA_INFO_KIND = 1
IFLA_LINK_NETNSID = 37
IFLA_XDP = 43
IFLA_EXT_MASK = 29
IFLA_XDP_ATTACHED = 2
IFLA_XDP_PROG_ID = 4
IFLA_XDP_DRV_PROG_ID = 5
IFLA_XDP_SKB_PROG_ID = 6
IFLA_XDP_HW_PROG_ID = 7
# IFLA_XDP_ATTACHED values: XDP_ATTACHED_DRV, _SKB, _HW (MULTI = 4 uses the ids below).
_ATTACHED_MODE = {1: "native", 2: "generic", 3: "offload"}
# Per-mode program id attributes; the kernel reports each attached mode here,
# which is the only way to see several modes at once (IFLA_XDP_ATTACHED=MULTI).
_MODE_ATTRS = (
    ("native", IFLA_XDP_DRV_PROG_ID),
    ("generic", IFLA_XDP_SKB_PROG_ID),
    ("offload", IFLA_XDP_HW_PROG_ID),
)
_IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change


@dataclass(frozen=True)
class Attachment:
    mode: str  # "native" | "generic" | "offload"
    prog_id: int


@dataclass(frozen=True)
class Link:
    ifindex: int
    ifname: str  # os.fsdecode()d: see xdptool.names
    attached: list[Attachment] = field(default_factory=list)
    # rtnetlink's link kind (IFLA_INFO_KIND: "veth", "bond", ...; None for a NIC)
    kind: str | None = None
    # IFLA_LINK: a veth's peer, a VLAN's lower device; None when not reported
    # or the device itself. In another netns when link_netnsid is set.
    link: int | None = None
    link_netnsid: int | None = None


def parse_xdp(xdp: Mapping[int, int]) -> list[Attachment]:
    """Attachments from the IFLA_XDP_* values of an IFLA_XDP nest, by number."""
    out = [
        Attachment(mode, prog_id)
        for mode, attr in _MODE_ATTRS
        if (prog_id := xdp.get(attr))
    ]
    if not out:
        # Kernels before 4.19 only report the single mode and IFLA_XDP_PROG_ID.
        mode = _ATTACHED_MODE.get(xdp.get(IFLA_XDP_ATTACHED, 0))
        prog_id = xdp.get(IFLA_XDP_PROG_ID)
        if mode and prog_id:
            out.append(Attachment(mode, prog_id))
    return out


def _xdp_values(payload: bytes) -> dict[int, int]:
    out = {}
    for kind, value in runtime.iter_attrs(payload):
        if kind == IFLA_XDP_ATTACHED and value:
            out[kind] = value[0]
        elif len(value) >= 4:
            out[kind] = struct.unpack_from("=I", value)[0]
    return out


def link_from_message(raw: bytes) -> Link | None:
    """A Link from one raw RTM_NEWLINK message (None for other messages)."""
    if len(raw) < runtime.NLMSG_HDRLEN + _IFINFOMSG.size:
        return None
    if struct.unpack_from("=H", raw, 4)[0] != RTM_NEWLINK:
        return None
    ifindex = _IFINFOMSG.unpack_from(raw, runtime.NLMSG_HDRLEN)[2]
    ifname = None
    xdp: dict[int, int] = {}
    info: dict[str, Any] = {}
    body = raw[runtime.NLMSG_HDRLEN + _IFINFOMSG.size:]
    for kind, value in runtime.iter_attrs(body):
        if kind == IFLA_IFNAME:
            ifname = names.from_kernel(value)
        elif kind == IFLA_XDP:
            xdp = _xdp_values(value)
        elif kind == IFLA_LINK and len(value) >= 4:
            info["link"] = struct.unpack_from("=I", value)[0]
        elif kind == IFLA_LINK_NETNSID and len(value) >= 4:
            info["link_netnsid"] = struct.unpack_from("=i", value)[0]
        elif kind == IFLA_LINKINFO:
            for sub, sub_value in runtime.iter_attrs(value):
                if sub == IFLA_INFO_KIND:
                    info["kind"] = sub_value.rstrip(b"\0").decode("ascii", "replace")
    if ifname is None:
        return None
    if info.get("link") == ifindex:
        del info["link"]  # a plain NIC reports itself
    return Link(ifindex=ifindex, ifname=ifname, attached=parse_xdp(xdp), **info)


def list_links() -> list[Link]:
    """All interfaces of the current network namespace, by ifindex."""
    # No statistics or VF info in the dump (IFLA_EXT_MASK 0): names and XDP are enough.
    request = (_IFINFOMSG.pack(0, 0, 0, 0, 0)
               + struct.pack("=HHI", 8, IFLA_EXT_MASK, 0))
    sock = runtime.NetlinkSocket(runtime.NETLINK_ROUTE)
    try:
        replies = sock.request(RTM_GETLINK, runtime.NLM_F_REQUEST | runtime.NLM_F_DUMP,
                               request, op="RTM_GETLINK")
    except runtime.YnlError as err:
        if err.is_permission_error:
            raise PermissionDeniedError("listing interfaces", "CAP_NET_ADMIN") from err
        raise XdptoolError(f"rtnetlink: {err}") from err
    finally:
        sock.close()
    links = [link for raw in replies if (link := link_from_message(raw)) is not None]
    return sorted(links, key=lambda link: link.ifindex)


def ifindex_of(ifname: str) -> int:
    """The ifindex of a device of the current netns; NoSuchDeviceError if none."""
    try:
        return socket.if_nametoindex(ifname)
    except (OSError, ValueError):
        raise NoSuchDeviceError(ifname) from None


def get_link(ifname: str) -> Link:
    """One interface of the current network namespace; NoSuchDeviceError if none."""
    link = next((lk for lk in list_links() if lk.ifname == ifname), None)
    if link is None:
        raise NoSuchDeviceError(ifname)
    return link
