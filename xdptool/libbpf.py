"""The few libbpf calls xdptool makes, through ctypes on the system's
libbpf.so.1 (Debian's libbpf1): loading the minimal XDP_PASS program of the
redirect-target workaround, attaching it, and updating a pinned devmap.

libbpf 1.x returns a negative errno (and sets errno) on failure; each call
here raises LibbpfError with it, and the callers turn that into one line.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import struct
from dataclasses import dataclass
from functools import cache

BPF_PROG_TYPE_XDP = 6
BPF_MAP_TYPE_DEVMAP = 14
BPF_MAP_TYPE_DEVMAP_HASH = 25
BPF_ANY = 0
XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0
XDP_FLAGS_SKB_MODE = 1 << 1
XDP_FLAGS_DRV_MODE = 1 << 2
XDP_PASS = 2

# struct bpf_insn: code, dst_reg:4 | src_reg:4, off, imm
_INSN = struct.Struct("<BBhi")
# r0 = XDP_PASS; exit
XDP_PASS_INSNS = (_INSN.pack(0xB7, 0, 0, XDP_PASS) + _INSN.pack(0x95, 0, 0, 0))
XDP_PASS_NAME = "xdptool_pass"


class LibbpfError(OSError):
    """A libbpf call failed; errno and strerror as for OSError."""


class _MapInfo(ctypes.Structure):
    # The head of struct bpf_map_info (<linux/bpf.h>), enough for a devmap.
    _fields_ = (("type", ctypes.c_uint32), ("id", ctypes.c_uint32),
                ("key_size", ctypes.c_uint32), ("value_size", ctypes.c_uint32),
                ("max_entries", ctypes.c_uint32), ("map_flags", ctypes.c_uint32),
                ("name", ctypes.c_char * 16))


@dataclass(frozen=True)
class MapInfo:
    type: int
    id: int
    key_size: int
    value_size: int
    max_entries: int


@cache
def _lib() -> ctypes.CDLL:
    name = ctypes.util.find_library("bpf") or "libbpf.so.1"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError as err:
        raise LibbpfError(errno.ENOENT, f"libbpf is not installed ({err}): "
                          "install libbpf1") from None
    # libbpf prints the kernel's extack itself; xdptool's error line says it.
    lib.libbpf_set_print.argtypes = (ctypes.c_void_p,)
    lib.libbpf_set_print.restype = ctypes.c_void_p
    lib.libbpf_set_print(None)
    lib.bpf_prog_load.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
                                  ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p)
    lib.bpf_xdp_attach.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_uint32,
                                   ctypes.c_void_p)
    lib.bpf_obj_get.argtypes = (ctypes.c_char_p,)
    lib.bpf_obj_get_info_by_fd.argtypes = (ctypes.c_int, ctypes.c_void_p,
                                           ctypes.POINTER(ctypes.c_uint32))
    lib.bpf_map_update_elem.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                        ctypes.c_uint64)
    return lib


def _check(ret: int, what: str) -> int:
    if ret < 0:
        code = -ret
        raise LibbpfError(code, f"{what}: {os.strerror(code)}")
    return ret


def load_xdp_pass() -> int:
    """Load a two-instruction XDP program that returns XDP_PASS; its fd."""
    return _check(_lib().bpf_prog_load(BPF_PROG_TYPE_XDP, XDP_PASS_NAME.encode(), b"GPL",
                                       XDP_PASS_INSNS, len(XDP_PASS_INSNS) // _INSN.size,
                                       None), "loading an XDP_PASS program")


def xdp_attach(ifindex: int, prog_fd: int, flags: int) -> None:
    """Attach (prog_fd >= 0) or detach (-1) an XDP program through netlink."""
    _check(_lib().bpf_xdp_attach(ifindex, prog_fd, flags, None), "attaching XDP")


def obj_get(path: str) -> int:
    """An fd for a pinned BPF object."""
    return _check(_lib().bpf_obj_get(os.fsencode(path)), f"opening {path}")


def map_info(fd: int) -> MapInfo:
    info = _MapInfo()
    size = ctypes.c_uint32(ctypes.sizeof(info))
    _check(_lib().bpf_obj_get_info_by_fd(fd, ctypes.byref(info), ctypes.byref(size)),
           "reading the map's info")
    return MapInfo(info.type, info.id, info.key_size, info.value_size, info.max_entries)


def map_update(fd: int, key: bytes, value: bytes) -> None:
    _check(_lib().bpf_map_update_elem(fd, key, value, BPF_ANY), "updating the map")
