"""`xdptool detach DEV`: detach every XDP program from DEV (libxdp's
dispatcher and its programs, or a program attached on its own)."""

from __future__ import annotations

from xdptool import output
from xdptool.attach import detach
from xdptool.commands import DeviceArgument, new_app
from xdptool.libxdp import Attached
from xdptool.names import quoted, shown

app = new_app()


def text(ifname: str, gone: Attached) -> str:
    progs = ", ".join(f"{quoted(name)} (id {i})" for name, i in gone.programs)
    return f"{shown(ifname)}: detached {progs} ({gone.mode} mode)\n"


@app.command("detach")
def command(
    device: DeviceArgument,
) -> None:
    """Detach every XDP program from DEV, whoever attached it (xdptool,
    xdp-loader, ip link, bpftool)."""
    output.write(text(device, detach(device)))
