"""`xdptool redirect-target DEV [--workaround]`: make DEV able to receive
XDP_REDIRECTed frames, the best way the running kernel allows
(xdptool.redirect_target), and say what was done."""

from __future__ import annotations

from typing import Annotated

import typer

from xdptool import output
from xdptool.commands import DeviceArgument, new_app
from xdptool.names import shown
from xdptool.redirect_target import Outcome, make_redirect_target

app = new_app()


def text(outcome: Outcome) -> str:
    lines = [f"{shown(outcome.ifname)}: {outcome.done}"]
    if outcome.undo:
        lines.append(f"undo: {outcome.undo}")
    return "\n".join(lines) + "\n"


@app.command("redirect-target")
def command(
    device: DeviceArgument,
    workaround: Annotated[
        bool,
        typer.Option("--workaround",
                     help="On a kernel without the xdptool series: GRO on a veth's peer, "
                     "or a minimal XDP_PASS program on other devices."),
    ] = False,
) -> None:
    """Make DEV able to receive redirected frames (before putting it in a
    devmap): XDP TX mode on with the xdptool series, else, with --workaround,
    today's workarounds. Says what it did and how to undo it."""
    output.write(text(make_redirect_target(device, workaround)))
