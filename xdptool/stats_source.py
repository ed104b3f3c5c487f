"""Adapter over the series' ethtool XDP messages: the only module that imports
the generated ethtool bindings (xdptool.ynl.generated.ethtool).

It turns the kernel's answers into xdptool.stats values and its errors into
one-line XdptoolErrors with the fix. Unit tests replace ``open_family`` (and
``ifindex_of``) with fakes.

Detecting the series: the ethtool family numbers its commands in one enum
that grows with every kernel, so the series' ids (xdp-get 46, xdp-set 47,
xdp-stats-get 48 on its 6.12 base) belong to other commands on later kernels
(6.18: TSCONFIG_GET, TSCONFIG_SET, RSS_SET). Sending them blindly could run
one of those, so the kernel's operation list (CTRL_CMD_GETFAMILY) must show
all three ids with the do/dump modes of the spec before anything is sent.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable
from typing import Any, Self

from xdptool.errors import (
    KernelUnsupportedError,
    NoSuchDeviceError,
    PermissionDeniedError,
    XdptoolError,
)
from xdptool.stats import DeviceStats, QueueStats, counts
from xdptool.ynl.generated.ethtool import Ethtool, Header, XdpStats, XdpStatsCnt
from xdptool.ynl.runtime import FamilyNotFoundError, YnlError

NO_SERIES = ("this kernel has no XDP action statistics (ETHTOOL_MSG_XDP_*): "
             "boot a kernel with the xdptool series (patches/) applied")
# What the series' kernel says (extack) for xdp-stats-get on a device that does not count.
NOT_ENABLED_EXTACK = "XDP statistics are not enabled on this device"
SERIES_OPS = ("xdp-get", "xdp-set", "xdp-stats-get")


class StatsNotEnabledError(XdptoolError):
    def __init__(self, ifname: str, extack: str | None = None) -> None:
        message = (f"XDP statistics are not enabled on {ifname}: "
                   f"run 'xdptool stats enable {ifname}'")
        if extack and extack != NOT_ENABLED_EXTACK:
            message += f" (kernel: {extack})"
        super().__init__(message)
        self.ifname = ifname


def ifindex_of(ifname: str) -> int:
    """The ifindex of a device of the current netns; NoSuchDeviceError if none."""
    try:
        return socket.if_nametoindex(ifname)
    except (OSError, ValueError):
        raise NoSuchDeviceError(ifname) from None


# The ethtool family binding; tests replace it with a fake of the same shape.
open_family: Callable[[], Any] = Ethtool


def _counts(cnt: XdpStatsCnt | None) -> dict[str, int | None]:
    if cnt is None:
        return counts({})
    return counts({
        "aborted": cnt.aborted,
        "drop": cnt.drop,
        "pass": cnt.pass_,
        "tx": cnt.tx,
        "redirect": cnt.redirect,
        "unknown": cnt.unknown,
        "redirect_errors": cnt.redirect_errors,
    })


def from_reply(reply: XdpStats, ifname: str, ifindex: int) -> DeviceStats:
    """A DeviceStats from a decoded xdp-stats-get reply (queues sorted by id)."""
    queues = sorted(
        (QueueStats(q.queue_id, _counts(q)) for q in reply.queue if q.queue_id is not None),
        key=lambda q: q.queue_id,
    )
    return DeviceStats(
        ifname=reply.header.dev_name or ifname,
        ifindex=reply.header.dev_index or ifindex,
        total=_counts(reply.total),
        queues=tuple(queues),
    )


def _error(err: YnlError, ifname: str, doing: str) -> XdptoolError:
    """One-line error for a failed request; ``doing`` is e.g. "enabling"."""
    if err.errno == errno.ENODEV:
        return NoSuchDeviceError(ifname)
    if err.errno == errno.ENODATA:
        return StatsNotEnabledError(ifname, err.extack)
    if err.is_permission_error:
        return PermissionDeniedError(f"{doing} XDP statistics", "CAP_NET_ADMIN")
    if err.is_unsupported and not err.extack:
        # genetlink's answer to a command it does not know
        return KernelUnsupportedError(NO_SERIES)
    detail = os.strerror(err.errno)
    if err.extack:
        detail += f": {err.extack}"
    return XdptoolError(f"{ifname}: {doing} XDP statistics failed: {detail}")


class StatsSource:
    """One ethtool genetlink socket for reading and switching XDP statistics.

    Opening it checks that the kernel has the series' messages and raises
    KernelUnsupportedError (NO_SERIES) otherwise. Use as a context manager.
    """

    def __init__(self) -> None:
        try:
            self._family = open_family()
        except FamilyNotFoundError:
            # CONFIG_ETHTOOL_NETLINK=n: no ethtool family at all
            raise KernelUnsupportedError(NO_SERIES) from None
        except YnlError as err:
            raise XdptoolError(f"ethtool netlink family: {err}") from err
        try:
            supported = self._family.kernel_supports(*SERIES_OPS)
        except YnlError as err:
            self.close()
            raise XdptoolError(f"ethtool netlink family: {err}") from err
        if not supported:
            self.close()
            raise KernelUnsupportedError(NO_SERIES)

    def close(self) -> None:
        self._family.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, ifname: str) -> DeviceStats:
        """Counters of one device, in total and per RX queue."""
        ifindex = ifindex_of(ifname)
        try:
            reply = self._family.xdp_stats_get(Header(dev_name=ifname))
        except YnlError as err:
            raise _error(err, ifname, "reading") from err
        return from_reply(reply, ifname, ifindex)

    def set_enabled(self, ifname: str, enabled: bool) -> None:
        """Switch counting on or off (xdp-set; needs CAP_NET_ADMIN)."""
        ifindex_of(ifname)
        try:
            self._family.xdp_set(header=Header(dev_name=ifname), stats_enabled=int(enabled))
        except YnlError as err:
            raise _error(err, ifname, "enabling" if enabled else "disabling") from err


def get_stats(ifname: str) -> DeviceStats:
    """Counters of one device (fails when the kernel lacks the series)."""
    ifindex_of(ifname)  # an unknown name is reported first, whatever the kernel
    with StatsSource() as source:
        return source.get(ifname)


def set_enabled(ifname: str, enabled: bool) -> None:
    """`xdptool stats enable|disable DEV`."""
    ifindex_of(ifname)
    with StatsSource() as source:
        source.set_enabled(ifname, enabled)
