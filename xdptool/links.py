"""Interfaces and their XDP attach state, from rtnetlink (RTM_GETLINK, IFLA_XDP)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyroute2 import IPRoute  # type: ignore[import-untyped]

# IFLA_XDP_ATTACHED values (include/uapi/linux/if_link.h), as pyroute2 decodes them.
_ATTACHED_MODE = {"xdp": "native", "xdpgeneric": "generic", "xdpoffload": "offload"}
# Per-mode program id attributes; the kernel reports each attached mode here,
# which is the only way to see several modes at once (IFLA_XDP_ATTACHED=MULTI).
_MODE_ATTRS = (
    ("native", "IFLA_XDP_DRV_PROG_ID"),
    ("generic", "IFLA_XDP_SKB_PROG_ID"),
    ("offload", "IFLA_XDP_HW_PROG_ID"),
)


@dataclass(frozen=True)
class Attachment:
    mode: str  # "native" | "generic" | "offload"
    prog_id: int


@dataclass(frozen=True)
class Link:
    ifindex: int
    ifname: str
    attached: list[Attachment] = field(default_factory=list)


def parse_xdp(xdp: Any) -> list[Attachment]:
    """Attachments from a decoded IFLA_XDP nest (pyroute2 nla or None)."""
    if xdp is None:
        return []
    out = [
        Attachment(mode, prog_id)
        for mode, attr in _MODE_ATTRS
        if (prog_id := xdp.get_attr(attr))
    ]
    if not out:
        # Kernels before 4.19 only report the single mode and IFLA_XDP_PROG_ID.
        mode = _ATTACHED_MODE.get(xdp.get_attr("IFLA_XDP_ATTACHED") or "")
        prog_id = xdp.get_attr("IFLA_XDP_PROG_ID")
        if mode and prog_id:
            out.append(Attachment(mode, prog_id))
    return out


def list_links() -> list[Link]:
    """All interfaces of the current network namespace, by ifindex."""
    with IPRoute() as ipr:
        msgs = list(ipr.get_links())
    links = [
        Link(
            ifindex=msg["index"],
            ifname=msg.get_attr("IFLA_IFNAME"),
            attached=parse_xdp(msg.get_attr("IFLA_XDP")),
        )
        for msg in msgs
    ]
    return sorted(links, key=lambda link: link.ifindex)
