"""Make a device able to receive XDP_REDIRECTed frames, the best way the
running kernel allows: the Python API behind `xdptool redirect-target` and
`xdptool devmap add`.

1. A kernel with the xdptool series' XDP TX patches: set the device's XDP TX
   mode to `on` (ETHTOOL_MSG_XDP_SET, tx nest): its driver keeps XDP TX
   queues without a program, and the kernel remembers it.
2. A device that is a redirect target already (NDO_XMIT in the netdev
   family's xdp-features): nothing to do.
3. Only when asked for (``workaround=True``), today's known workarounds,
   each said in the outcome with how to undo it:
   - veth: GRO on its peer, which gives the peer NAPI (the frames land in
     the peer's RX queues);
   - other drivers: a minimal XDP_PASS program attached natively, as most
     drivers set XDP TX queues up only while a program is attached.

Afterwards the netdev family is asked again: a device that still does not
take redirected frames is an error, and a workaround that did not help is
undone.
"""

from __future__ import annotations

import array
import ctypes
import errno
import fcntl
import os
import socket
import struct
from dataclasses import dataclass

from xdptool import libbpf, links, netdev_source, tx_config
from xdptool.errors import KernelUnsupportedError, PermissionDeniedError, XdptoolError
from xdptool.names import shown

# <linux/sockios.h>, <linux/ethtool.h>
SIOCETHTOOL = 0x8946
ETHTOOL_GGRO = 0x2B
ETHTOOL_SGRO = 0x2C
_IFREQ_SIZE = 40


@dataclass(frozen=True)
class Outcome:
    """What was done to make ``ifname`` a redirect target."""

    ifname: str
    # "already", "tx-mode-on", "gro-on-peer" or "xdp-pass-program"
    how: str
    # One line for people: what was done (or why nothing was needed).
    done: str
    # How to undo it, when something was changed.
    undo: str | None = None


def is_redirect_target(ifindex: int) -> bool | None:
    """NDO_XMIT of the netdev family (None: the kernel has no such family)."""
    features = netdev_source.dump_features()
    if features is None:
        return None
    dev = features.get(ifindex)
    return dev is not None and dev.xdp_features is not None and "ndo-xmit" in dev.xdp_features


def _series_tx_on(ifname: str) -> tuple[bool, str | None]:
    """Set XDP TX mode on through the series; (done, why not)."""
    try:
        tx_config.apply_settings(ifname, tx_config.TxSettings(mode=tx_config.XdpTxMode.ON))
    except KernelUnsupportedError as err:
        short = {tx_config.NO_SERIES_NOTE: "it has no xdptool series",
                 tx_config.NO_TX_PATCHES_NOTE: "its xdptool series predates XDP TX configuration"}
        return False, short.get(str(err), str(err))
    except tx_config.TxRefusedError as err:
        if err.errno == errno.EOPNOTSUPP:
            return False, str(err)  # the driver cannot: try what works without it
        raise
    return True, None


def _ethtool_value(sock: socket.socket, ifname: str, cmd: int, value: int = 0) -> int:
    """One legacy ETHTOOL_{G,S}* ioctl with a struct ethtool_value."""
    data = ctypes.create_string_buffer(struct.pack("=II", cmd, value))
    ifreq = array.array("B", os.fsencode(ifname).ljust(16, b"\0")
                        + struct.pack("@P", ctypes.addressof(data)).ljust(_IFREQ_SIZE - 16, b"\0"))
    fcntl.ioctl(sock.fileno(), SIOCETHTOOL, ifreq)
    return int(struct.unpack("=II", data.raw[:8])[1])


def set_gro(ifname: str, on: bool) -> bool:
    """Switch GRO on a device of this netns; returns whether it was on before."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            before = bool(_ethtool_value(sock, ifname, ETHTOOL_GGRO))
            if before != on:
                _ethtool_value(sock, ifname, ETHTOOL_SGRO, int(on))
        except OSError as err:
            if err.errno == errno.EPERM:
                raise PermissionDeniedError(f"switching GRO on {shown(ifname)}",
                                            "CAP_NET_ADMIN") from None
            raise XdptoolError(f"{shown(ifname)}: switching GRO failed: "
                               f"{os.strerror(err.errno or errno.EIO)}") from None
    return before


def _veth_gro_on_peer(link: links.Link) -> Outcome:
    if link.link is None:
        raise XdptoolError(f"{shown(link.ifname)}: a veth without a peer cannot take "
                           "redirected frames")
    if link.link_netnsid is not None:
        raise XdptoolError(
            f"{shown(link.ifname)}: its veth peer is in another network namespace: "
            "turn GRO on there ('ethtool -K PEER gro on' in that namespace) or attach "
            "an XDP program to the peer")
    peer = next((lk for lk in links.list_links() if lk.ifindex == link.link), None)
    if peer is None:
        raise XdptoolError(f"{shown(link.ifname)}: its veth peer (ifindex {link.link}) "
                           "went away")
    was_on = set_gro(peer.ifname, True)
    if was_on:
        raise XdptoolError(f"{shown(link.ifname)}: GRO is on on its peer "
                           f"{shown(peer.ifname)} already, yet it is no redirect target: "
                           "is the peer down?")
    return Outcome(link.ifname, "gro-on-peer",
                   f"turned GRO on on its veth peer {shown(peer.ifname)}, which gives the "
                   "peer NAPI to receive redirected frames",
                   f"ethtool -K {shown(peer.ifname)} gro off")


def _xdp_pass_program(link: links.Link) -> Outcome:
    if link.attached:
        raise XdptoolError(f"{shown(link.ifname)}: has an XDP program already and is no "
                           "redirect target: its driver cannot take redirected frames")
    try:
        fd = libbpf.load_xdp_pass()
        try:
            libbpf.xdp_attach(link.ifindex, fd,
                              libbpf.XDP_FLAGS_DRV_MODE | libbpf.XDP_FLAGS_UPDATE_IF_NOEXIST)
        finally:
            os.close(fd)
    except libbpf.LibbpfError as err:
        if err.errno == errno.EPERM:
            raise PermissionDeniedError("loading and attaching an XDP program",
                                        "CAP_BPF and CAP_NET_ADMIN") from None
        if err.errno == errno.EOPNOTSUPP:
            raise XdptoolError(f"{shown(link.ifname)}: its driver has no native XDP, so it "
                               "cannot take redirected frames") from None
        raise XdptoolError(f"{shown(link.ifname)}: {err.strerror}") from None
    return Outcome(link.ifname, "xdp-pass-program",
                   f"attached a minimal XDP_PASS program ({libbpf.XDP_PASS_NAME}) in "
                   "native mode: its driver sets XDP TX queues up while a program is "
                   "attached",
                   f"ip link set dev {shown(link.ifname)} xdpdrv off")


def _undo(outcome: Outcome, link: links.Link) -> None:
    if outcome.how == "gro-on-peer" and link.link is not None:
        peer = next((lk for lk in links.list_links() if lk.ifindex == link.link), None)
        if peer is not None:
            set_gro(peer.ifname, False)
    elif outcome.how == "xdp-pass-program":
        libbpf.xdp_attach(link.ifindex, -1, libbpf.XDP_FLAGS_DRV_MODE)


WORKAROUND_HINT = "re-run with --workaround to {what}"


def make_redirect_target(ifname: str, workaround: bool = False) -> Outcome:
    """Make ``ifname`` take XDP_REDIRECTed frames (see the module doc).

    Call it before inserting a device into a devmap. Raises XdptoolError
    (one line) when it cannot, or when only a workaround would and
    ``workaround`` is False.
    """
    link = links.get_link(ifname)
    done, why_not = _series_tx_on(ifname)
    if done:
        if is_redirect_target(link.ifindex) is False:
            raise XdptoolError(f"{shown(ifname)}: XDP TX mode is on, yet the device does "
                               "not take redirected frames (is it down?)")
        return Outcome(ifname, "tx-mode-on",
                       "set XDP TX mode on: its driver keeps XDP TX queues without a program",
                       f"xdptool tx {shown(ifname)} set mode auto")
    target = is_redirect_target(link.ifindex)
    if target:
        return Outcome(ifname, "already", "a redirect target already (NDO_XMIT)")
    if target is None:
        raise KernelUnsupportedError(netdev_source.NO_FAMILY_NOTE)
    what = ("turn GRO on on its veth peer" if link.kind == "veth"
            else "attach a minimal XDP_PASS program")
    if not workaround:
        raise XdptoolError(f"{shown(ifname)} is not a redirect target, and this kernel "
                           f"cannot make it one without a program ({why_not}): "
                           + WORKAROUND_HINT.format(what=what))
    outcome = _veth_gro_on_peer(link) if link.kind == "veth" else _xdp_pass_program(link)
    if not is_redirect_target(link.ifindex):
        _undo(outcome, link)
        raise XdptoolError(f"{shown(ifname)}: still no redirect target after the "
                           f"workaround (tried to {what}; undone)"
                           + (": is its peer down?" if link.kind == "veth" else ""))
    return outcome
