"""The XDP TX resources of the xdptool kernel series: the ethtool family's
xdp-get/xdp-set `tx` nest, for the `tx` command and for
xdptool.redirect_target (docs/tx-resources.md)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xdptool import links, series
from xdptool.errors import (
    KernelUnsupportedError,
    XdptoolError,
)
from xdptool.names import shown
from xdptool.ynl.generated.ethtool import Ethtool, Header, XdpTx, XdpTxMode, XdpTxSelection
from xdptool.ynl.runtime import YnlError

NO_SERIES_NOTE = (
    "XDP TX configuration (mode, count, selection) needs the xdptool "
    "kernel series; this kernel sets XDP TX up only as a side effect"
)
NO_TX_PATCHES_NOTE = (
    "this kernel's xdptool series predates XDP TX configuration (no tx nest "
    "in ETHTOOL_MSG_XDP_SET): it sets XDP TX up only as a side effect"
)
# The ethtool family bindings; tests replace them with fakes of the same shape.
open_family: Callable[[], Any] = Ethtool


@dataclass(frozen=True)
class TxSettings:
    mode: XdpTxMode | None = None
    count: int | None = None
    selection: XdpTxSelection | None = None


def open_tx_family() -> Any:
    """The verified ethtool family of a kernel whose series configures XDP TX.

    Raises KernelUnsupportedError saying what the kernel lacks.
    """
    return series.open_part(open_family, {series.TX}, NO_SERIES_NOTE, NO_TX_PATCHES_NOTE)


class TxRefusedError(series.RequestRefusedError):
    """The kernel refused an XDP TX setting; ``errno`` says why (EOPNOTSUPP:
    the driver cannot set XDP TX up without a program, or not so)."""


def request_error(err: YnlError, ifname: str, doing: str) -> XdptoolError:
    return series.request_error(err, ifname, doing, TxRefusedError)


def read_series_tx(ifname: str, ifindex: int) -> tuple[XdpTx | None, str | None]:
    """The tx nest of the series' xdp-get for one device, or None and why not."""
    try:
        family = open_tx_family()
    except KernelUnsupportedError as err:
        return None, str(err)
    with contextlib.closing(family):
        try:
            reply = family.xdp_get(Header(dev_index=ifindex))
        except YnlError as err:
            raise request_error(err, ifname, "reading XDP TX parameters") from err
    if reply.tx is None:
        raise XdptoolError(f"{shown(ifname)}: reading XDP TX parameters failed: "
                           "the kernel sent no tx nest")
    return reply.tx, None


def dump_series_tx() -> dict[int, XdpTx] | None:
    """The tx nest of every device (the series' xdp-get dump), by ifindex;
    None when the kernel's series cannot tell (or there is none)."""
    try:
        family = open_tx_family()
    except KernelUnsupportedError:
        return None
    with contextlib.closing(family):
        try:
            replies = family.xdp_get_dump(header=Header())
        except YnlError as err:
            raise request_error(err, "xdp-get", "reading XDP TX parameters") from err
    return {r.header.dev_index: r.tx for r in replies
            if r.header.dev_index is not None and r.tx is not None}


def apply_settings(ifname: str, settings: TxSettings) -> None:
    """The series' xdp-set with a tx nest; the kernel's refusal in one line."""
    ifindex = links.ifindex_of(ifname)
    family = open_tx_family()
    with contextlib.closing(family):
        try:
            family.xdp_set(header=Header(dev_index=ifindex),
                           tx=XdpTx(mode=settings.mode, count=settings.count,
                                    selection=settings.selection))
        except YnlError as err:
            raise request_error(err, ifname, "setting XDP TX parameters") from err
