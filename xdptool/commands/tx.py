"""`xdptool tx DEV`: a device's XDP TX resources, printed like `ethtool -l`;
`xdptool tx DEV set mode on|auto [count N] [selection auto|per-cpu|shared]`, like
`ethtool -L`.

A device receives XDP_REDIRECTed frames (ndo_xdp_xmit) only while its
driver has XDP TX queues set up, and today's kernels set them up as a side
effect: veth while its peer has NAPI (an XDP program or GRO there), most
drivers while an XDP program is attached to the device itself. The netdev
family says whether they are there now (the ndo-xmit bit of xdp-features).
The xdptool kernel series (docs/tx-resources.md) adds the rest to the
ethtool family's xdp-get/xdp-set: a `tx` nest with the mode (auto: today's
behaviour; on: always set up), count, maximum and queue selection, which
drivers that can set XDP TX up without a program report and take. On a
kernel without it those fields read n/a and the command says so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from xdptool import links, netdev_source, output
from xdptool.commands import DeviceArgument, DeviceVerbGroup, JsonOption, new_app
from xdptool.errors import (
    NoSuchDeviceError,
)
from xdptool.names import quoted, shown
from xdptool.tx_config import (
    NO_SERIES_NOTE,
    TxSettings,
    apply_settings,
    read_series_tx,
)
from xdptool.ynl.generated.ethtool import XdpTxMode, XdpTxSelection

NOT_CONFIGURABLE_NOTE = (
    "its driver sets XDP TX up only as a side effect (count, selection and "
    "mode on need a driver with XDP_SETUP_TX)"
)
NOT_TARGET_HINT = (
    "not a redirect target now: its driver has no XDP TX queues set up "
    "(veth: give its peer NAPI with GRO or an XDP program; most other "
    "drivers: attach an XDP program to it)"
)
NOT_TARGET_SERIES_HINT = (
    "not a redirect target now: make it one with 'xdptool tx {dev} set mode on'"
)
@dataclass(frozen=True)
class TxReport:
    ifname: str
    ifindex: int
    # From the netdev family, or the series' target attribute; None = unknown.
    redirect_target: bool | None
    redirect_target_sg: bool | None
    # The series' view; None while the kernel cannot tell. mode is reported
    # for every device, count/max/selection by drivers that can configure it.
    mode: str | None = None
    count: int | None = None
    max_count: int | None = None
    selection: str | None = None
    # Why the series' fields are missing (None when the kernel has them).
    series_note: str | None = NO_SERIES_NOTE

    @property
    def configurable(self) -> bool:
        return self.max_count is not None

    def notes(self) -> list[str]:
        out = []
        if self.redirect_target is None:
            out.append(netdev_source.NO_FAMILY_NOTE)
        elif not self.redirect_target:
            out.append(NOT_TARGET_SERIES_HINT.format(dev=shown(self.ifname))
                       if self.configurable else NOT_TARGET_HINT)
        if self.series_note is not None:
            out.append(self.series_note)
        elif not self.configurable:
            out.append(NOT_CONFIGURABLE_NOTE)
        return out


def _spec_name(value: XdpTxMode | XdpTxSelection | None) -> str | None:
    return None if value is None else value.spec_name


def collect(ifname: str) -> TxReport:
    link = next((lk for lk in links.list_links() if lk.ifname == ifname), None)
    if link is None:
        raise NoSuchDeviceError(ifname)
    features = (netdev_source.dump_features() or {}).get(link.ifindex)
    bits = features.xdp_features if features else None
    target = None if bits is None else "ndo-xmit" in bits
    tx, note = read_series_tx(link.ifname, link.ifindex)
    if tx is None:
        return TxReport(ifname=link.ifname, ifindex=link.ifindex, redirect_target=target,
                        redirect_target_sg=None if bits is None else "ndo-xmit-sg" in bits,
                        series_note=note)
    return TxReport(
        ifname=link.ifname,
        ifindex=link.ifindex,
        # The series reports NDO_XMIT itself, read in the same request as the rest.
        redirect_target=target if tx.target is None else bool(tx.target),
        redirect_target_sg=None if bits is None else "ndo-xmit-sg" in bits,
        mode=_spec_name(tx.mode),
        count=tx.count,
        max_count=tx.max_count,
        selection=_spec_name(tx.selection),
        series_note=None,
    )


# ---------------------------------------------------------------------------
# Setting: `set KEY VALUE ...`, like ethtool -L


SET_USAGE = "mode on|auto [count N] [selection auto|per-cpu|shared]"
_U32_MAX = 2**32 - 1


def _enum_value(key: str, word: str, enum: type[XdpTxMode] | type[XdpTxSelection]) -> Any:
    for member in enum:
        if member.spec_name == word:
            return member
    choices = "|".join(m.spec_name for m in enum)
    raise typer.BadParameter(f"{key}: {quoted(word)} is not one of {choices}")


def parse_settings(words: Sequence[str]) -> TxSettings:
    """`mode on count 4 selection shared` (any order, each key once)."""
    if not words:
        raise typer.BadParameter(f"nothing to set: expected {SET_USAGE}")
    if len(words) % 2:
        raise typer.BadParameter(f"{quoted(words[-1])} has no value: expected {SET_USAGE}")
    values: dict[str, Any] = {}
    for key, word in zip(words[::2], words[1::2], strict=True):
        if key in values:
            raise typer.BadParameter(f"{quoted(key)} given twice")
        if key == "mode":
            values[key] = _enum_value(key, word, XdpTxMode)
        elif key == "selection":
            values[key] = _enum_value(key, word, XdpTxSelection)
        elif key == "count":
            if not word.isascii() or not word.isdigit() or int(word) > _U32_MAX:
                raise typer.BadParameter(f"count: {quoted(word)} is not a number of queues")
            values[key] = int(word)
        else:
            raise typer.BadParameter(f"unknown setting {quoted(key)}: expected {SET_USAGE}")
    return TxSettings(**values)


# ---------------------------------------------------------------------------
# Rendering. The JSON field names are a stable interface documented in
# docs/cli.md: add fields, never rename them.


def _shown(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def text(report: TxReport) -> str:
    lines = [
        f"XDP TX parameters for {shown(report.ifname)}:",
        f"Redirect target:\t{_shown(report.redirect_target)}",
        f"Multi-buffer frames:\t{_shown(report.redirect_target_sg)}",
        "Pre-set maximums:",
        f"Count:\t\t\t{_shown(report.max_count)}",
        "Current settings:",
        f"Mode:\t\t\t{_shown(report.mode)}",
        f"Count:\t\t\t{_shown(report.count)}",
        f"Selection:\t\t{_shown(report.selection)}",
    ]
    lines += [f"note: {note}" for note in report.notes()]
    return "\n".join(lines) + "\n"


def to_dict(report: TxReport) -> dict[str, Any]:
    return {
        "ifname": shown(report.ifname),
        "ifindex": report.ifindex,
        "redirect_target": report.redirect_target,
        "redirect_target_sg": report.redirect_target_sg,
        "configurable": report.configurable,
        "mode": report.mode,
        "count": report.count,
        "max_count": report.max_count,
        "selection": report.selection,
    }


# ---------------------------------------------------------------------------
# The commands

def show_command(
    device: DeviceArgument,
    json_out: JsonOption = False,
) -> None:
    """A device's XDP TX resources: can it receive redirected frames."""
    report = collect(device)
    if json_out:
        output.write(json.dumps(to_dict(report), indent=2) + "\n")
    else:
        output.write(text(report))


def set_command(
    device: DeviceArgument,
    settings: Annotated[
        list[str],
        typer.Argument(metavar=SET_USAGE, show_default=False,
                       help="What to change; the rest stays."),
    ],
) -> None:
    """Change XDP TX resources (kernels with the xdptool series; needs
    CAP_NET_ADMIN). `mode on` keeps them set up without an XDP program, so
    DEV takes redirected frames. Prints nothing on success."""
    apply_settings(device, parse_settings(settings))


app = new_app(
    name="tx",
    cls=DeviceVerbGroup,
    help="XDP TX resources: can DEV receive redirected frames.\n\n"
    "`xdptool tx DEV` shows them (like ethtool -l); "
    f"`xdptool tx DEV set {SET_USAGE}` changes them (like ethtool -L).",
)
app.command("show")(show_command)
app.command("set")(set_command)
