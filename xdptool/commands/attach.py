"""`xdptool attach DEV OBJ [--program NAME] [--mode native|generic|offload]
[--force]`: attach an XDP program from an object file through libxdp
(xdptool.attach), native unless asked otherwise, and say what runs now."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from xdptool import output
from xdptool.attach import Done, attach
from xdptool.commands import DeviceArgument, new_app
from xdptool.names import quoted, shown

app = new_app()


class Mode(StrEnum):
    native = "native"
    generic = "generic"
    offload = "offload"


def text(done: Done) -> str:
    how = ("through libxdp's dispatcher" if done.dispatcher
           else "on its own (no libxdp dispatcher)")
    line = (f"{shown(done.ifname)}: {quoted(done.program)} (id {done.prog_id}) attached "
            f"in {done.mode} mode, {how}")
    if done.replaced:
        gone = ", ".join(f"{quoted(name)} (id {i})" for name, i in done.replaced.programs)
        line += f"; replaced {gone}"
    return "".join(f"{text}\n" for text in (line, *(f"note: {n}" for n in done.notes)))


@app.command("attach")
def command(
    device: DeviceArgument,
    obj: Annotated[
        str,
        typer.Argument(metavar="OBJ", show_default=False,
                       help="A BPF object file (clang -target bpf)."),
    ],
    program: Annotated[
        str | None,
        typer.Option("--program", "-p", metavar="NAME",
                     help="The program to attach (default: the object's first XDP program)."),
    ] = None,
    mode: Annotated[
        Mode,
        typer.Option("--mode", "-m", case_sensitive=False,
                     help="native (the driver's, the default), generic (skb: slower, any "
                     "device) or offload (the NIC runs it)."),
    ] = Mode.native,
    force: Annotated[
        bool,
        typer.Option("--force", help="Attach even if the device lacks what the program "
                     "needs, and replace a program attached without libxdp's dispatcher "
                     "(by ip link, bpftool or libbpf), instead of refusing."),
    ] = False,
) -> None:
    """Attach an XDP program to DEV through libxdp, so that it runs next to
    programs attached by xdp-loader where the kernel allows libxdp's
    dispatcher. Native mode unless --mode says otherwise: never a silent
    fallback to generic XDP. In native mode, what the program calls
    (redirect helpers, RX-metadata kfuncs) is checked against the device's
    XDP features first."""
    output.write(text(attach(device, obj, program, mode.value, force)))
