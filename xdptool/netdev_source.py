"""Adapter over the netdev genetlink family: the only module that talks to it.

Everything else in xdptool sees plain ints and spec flag names, so the
generated bindings can change shape without touching the CLI.

TEMPORARY: until xdptool/ynl/generated/netdev.py lands this module carries a
minimal pyroute2 implementation of NETDEV_CMD_DEV_GET (dump only).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from pyroute2.netlink import NLM_F_DUMP, NLM_F_REQUEST, genlmsg  # type: ignore[import-untyped]
from pyroute2.netlink.exceptions import NetlinkError  # type: ignore[import-untyped]
from pyroute2.netlink.generic import GenericNetlinkSocket  # type: ignore[import-untyped]

# Flag names exactly as in the netdev family spec (Documentation/netlink/specs/netdev.yaml).
XDP_ACT_NAMES = (
    "basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload", "rx-sg", "ndo-xmit-sg",
)
XDP_RX_METADATA_NAMES = ("timestamp", "hash", "vlan-tag")
XSK_FLAGS_NAMES = ("tx-timestamp", "tx-checksum", "tx-launch-time-fifo")


@dataclass(frozen=True)
class NetdevFeatures:
    """One device's netdev-family answer; None = attribute not reported."""

    ifindex: int
    xdp_features: int | None
    xdp_zc_max_segs: int | None
    xdp_rx_metadata_features: int | None
    xsk_features: int | None


def flag_names(names: tuple[str, ...], value: int) -> list[str]:
    """Set bits of value as spec names, lowest bit first; unknown bits as "bit-N"."""
    out = []
    for bit in range(max(value.bit_length(), 0)):
        if value & (1 << bit):
            out.append(names[bit] if bit < len(names) else f"bit-{bit}")
    return out


def dump_features() -> dict[int, NetdevFeatures] | None:
    """Features of every device in the current netns, by ifindex.

    Returns None when the kernel has no netdev family (Linux < 6.3), so callers
    can say "unknown" rather than "no".
    """
    return _fallback_dump()


# ---- temporary fallback (see module docstring) ------------------------------

_NETDEV_CMD_DEV_GET = 1


class _devmsg(genlmsg):
    nla_map = (
        ("NETDEV_A_DEV_UNSPEC", "none"),
        ("NETDEV_A_DEV_IFINDEX", "uint32"),
        ("NETDEV_A_DEV_PAD", "none"),
        ("NETDEV_A_DEV_XDP_FEATURES", "uint64"),
        ("NETDEV_A_DEV_XDP_ZC_MAX_SEGS", "uint32"),
        ("NETDEV_A_DEV_XDP_RX_METADATA_FEATURES", "uint64"),
        ("NETDEV_A_DEV_XSK_FEATURES", "uint64"),
    )


def _fallback_dump() -> dict[int, NetdevFeatures] | None:
    sock = GenericNetlinkSocket()
    try:
        try:
            sock.bind("netdev", _devmsg)
        except NetlinkError as err:
            if err.code == errno.ENOENT:
                return None
            raise
        msg = _devmsg()
        msg["cmd"] = _NETDEV_CMD_DEV_GET
        msg["version"] = 1
        out: dict[int, NetdevFeatures] = {}
        for reply in sock.nlm_request(
            msg, msg_type=sock.prid, msg_flags=NLM_F_REQUEST | NLM_F_DUMP
        ):
            ifindex = reply.get_attr("NETDEV_A_DEV_IFINDEX")
            out[ifindex] = NetdevFeatures(
                ifindex=ifindex,
                xdp_features=reply.get_attr("NETDEV_A_DEV_XDP_FEATURES"),
                xdp_zc_max_segs=reply.get_attr("NETDEV_A_DEV_XDP_ZC_MAX_SEGS"),
                xdp_rx_metadata_features=reply.get_attr("NETDEV_A_DEV_XDP_RX_METADATA_FEATURES"),
                xsk_features=reply.get_attr("NETDEV_A_DEV_XSK_FEATURES"),
            )
        return out
    finally:
        sock.close()
