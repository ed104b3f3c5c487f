"""`xdptool devmap add MAP KEY DEV`: put DEV into a pinned devmap, after
making it a redirect target (xdptool.redirect_target), so that frames
redirected through the map are not dropped at DEV."""

from __future__ import annotations

import errno
import os
import struct
from typing import Annotated

import typer

from xdptool import libbpf, links, output
from xdptool.commands import DeviceArgument, new_app
from xdptool.commands.redirect_target import text
from xdptool.errors import PermissionDeniedError, XdptoolError
from xdptool.names import quoted
from xdptool.redirect_target import make_redirect_target

app = new_app(name="devmap", help="Pinned devmaps (BPF_MAP_TYPE_DEVMAP, _HASH).",
              no_args_is_help=True)

_DEVMAPS = (libbpf.BPF_MAP_TYPE_DEVMAP, libbpf.BPF_MAP_TYPE_DEVMAP_HASH)


@app.callback()
def group() -> None:
    """Pinned devmaps (BPF_MAP_TYPE_DEVMAP, _HASH)."""


def devmap_value(ifindex: int, value_size: int) -> bytes:
    """The map value for a device: its ifindex, or struct bpf_devmap_val
    with no program (fd 0) when the map has room for one."""
    if value_size == 4:
        return struct.pack("=I", ifindex)
    if value_size == 8:
        return struct.pack("=Ii", ifindex, 0)
    raise XdptoolError(f"a devmap value of {value_size} bytes is neither an ifindex "
                       "nor struct bpf_devmap_val")


def add(pin: str, key: int, ifname: str, workaround: bool = False) -> str:
    """Make ifname a redirect target, then map[key] = ifname; what was done."""
    ifindex = links.ifindex_of(ifname)
    try:
        fd = libbpf.obj_get(pin)
    except libbpf.LibbpfError as err:
        if err.errno in (errno.EPERM, errno.EACCES):
            raise PermissionDeniedError(f"opening {quoted(pin)}", "CAP_BPF") from None
        raise XdptoolError(f"{quoted(pin)}: {os.strerror(err.errno or errno.EIO)}") from None
    try:
        info = libbpf.map_info(fd)
        if info.type not in _DEVMAPS:
            raise XdptoolError(f"{quoted(pin)} is not a devmap (map type {info.type})")
        if info.key_size != 4:
            raise XdptoolError(f"{quoted(pin)}: keys of {info.key_size} bytes, not 4")
        value = devmap_value(ifindex, info.value_size)
        outcome = make_redirect_target(ifname, workaround)
        try:
            libbpf.map_update(fd, struct.pack("=I", key), value)
        except libbpf.LibbpfError as err:
            raise XdptoolError(f"{quoted(pin)}[{key}] = {ifname}: "
                               f"{os.strerror(err.errno or errno.EIO)}") from None
    except libbpf.LibbpfError as err:
        raise XdptoolError(f"{quoted(pin)}: {err.strerror}") from None
    finally:
        os.close(fd)
    return text(outcome) + f"{quoted(pin)}[{key}] = {ifname} (ifindex {ifindex})\n"


@app.command("add")
def add_command(
    pin: Annotated[str, typer.Argument(metavar="MAP", show_default=False,
                                       help="The pinned devmap (a bpffs path).")],
    key: Annotated[int, typer.Argument(metavar="KEY", show_default=False, min=0,
                                       max=2**32 - 1, help="The map key.")],
    device: DeviceArgument,
    workaround: Annotated[
        bool, typer.Option("--workaround", help="As for xdptool redirect-target.")
    ] = False,
) -> None:
    """Make DEV a redirect target (as xdptool redirect-target), then put it
    in MAP at KEY."""
    output.write(add(pin, key, device, workaround))
