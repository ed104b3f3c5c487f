"""`xdptool tx DEV`: a device's XDP TX resources, printed like `ethtool -l`.

A device receives XDP_REDIRECTed frames (ndo_xdp_xmit) only while its
driver has XDP TX queues set up, and today's kernels set them up as a side
effect: veth while its peer has NAPI (an XDP program or GRO there), most
drivers while an XDP program is attached to the device itself. The netdev
family says whether they are there now (the ndo-xmit bit of xdp-features);
nothing says how many, how a CPU picks one, or lets an administrator ask
for them. The xdptool kernel series adds that (docs/tx-resources.md); on a
kernel without it those fields read n/a and the command says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from xdptool import links, netdev_source, output
from xdptool.commands import complete_device, new_app
from xdptool.errors import NoSuchDeviceError
from xdptool.names import shown

NO_SERIES_NOTE = (
    "XDP TX configuration (mode, count, selection) needs the xdptool "
    "kernel series; this kernel sets XDP TX up only as a side effect"
)
NOT_TARGET_HINT = (
    "not a redirect target now: its driver has no XDP TX queues set up "
    "(veth: give its peer NAPI with GRO or an XDP program; most other "
    "drivers: attach an XDP program to it)"
)


@dataclass(frozen=True)
class TxReport:
    ifname: str
    ifindex: int
    # From the netdev family; None = unknown (no family, or not reported).
    redirect_target: bool | None
    redirect_target_sg: bool | None
    # The series' configuration; None while the kernel cannot tell.
    mode: str | None = None
    count: int | None = None
    max_count: int | None = None
    selection: str | None = None

    @property
    def configurable(self) -> bool:
        return self.mode is not None

    def notes(self) -> list[str]:
        out = []
        if self.redirect_target is None:
            out.append(netdev_source.NO_FAMILY_NOTE)
        elif not self.redirect_target:
            out.append(NOT_TARGET_HINT)
        if not self.configurable:
            out.append(NO_SERIES_NOTE)
        return out


def collect(ifname: str) -> TxReport:
    link = next((lk for lk in links.list_links() if lk.ifname == ifname), None)
    if link is None:
        raise NoSuchDeviceError(ifname)
    features = (netdev_source.dump_features() or {}).get(link.ifindex)
    bits = features.xdp_features if features else None
    return TxReport(
        ifname=link.ifname,
        ifindex=link.ifindex,
        redirect_target=None if bits is None else "ndo-xmit" in bits,
        redirect_target_sg=None if bits is None else "ndo-xmit-sg" in bits,
    )


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
# The command


app = new_app()


@app.command("tx")
def command(
    device: Annotated[
        str,
        typer.Argument(
            metavar="DEV", show_default=False, autocompletion=complete_device, help="The interface."
        ),
    ],
    json_out: Annotated[
        bool, typer.Option("--json", "-j", help="Print JSON (schema: docs/cli.md).")
    ] = False,
) -> None:
    """A device's XDP TX resources: can it receive redirected frames."""
    report = collect(device)
    if json_out:
        output.write(json.dumps(to_dict(report), indent=2) + "\n")
    else:
        output.write(text(report))
