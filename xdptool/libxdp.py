"""The libxdp calls of `xdptool attach` and `detach`, through ctypes on the
system's libxdp.so.1 (Debian's libxdp1, the library of xdp-tools'
xdp-loader): programs attached by either tool share libxdp's multi-program
dispatcher where the kernel lets libxdp build one, and libxdp's own
fallback (one program, attached directly) where it does not.

libxdp 1.3 returns a negative errno from int calls, and NULL (errno set)
or ERR_PTR(-errno) from constructors. libbpf's and libxdp's messages
(the kernel's extack among them) are captured while a call runs, so that
an error line can quote them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from xdptool.libbpf import LibbpfError
from xdptool.libbpf import _lib as _libbpf

# enum xdp_attach_mode
MODES = {"native": 1, "generic": 2, "offload": 3}
MODE_NAMES = {v: k for k, v in MODES.items()}
_MAX_ERRNO = 4095
_P = ctypes.c_void_p
# typedef int (*print_fn)(enum level, const char *fmt, va_list ap): on
# x86-64 a va_list argument is a pointer, which vsnprintf takes as is.
_PRINT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, _P)
_LOG: list[str] = []
_DEBUG = 2  # enum libbpf_print_level / libxdp_print_level: WARN, INFO, DEBUG


class XdpProgramOpts(ctypes.Structure):
    # struct xdp_program_opts (libxdp.h, LIBXDP_1.3.0)
    _fields_ = (("sz", ctypes.c_size_t), ("obj", _P), ("opts", _P),
                ("prog_name", ctypes.c_char_p), ("find_filename", ctypes.c_char_p),
                ("open_filename", ctypes.c_char_p), ("pin_path", ctypes.c_char_p),
                ("id", ctypes.c_uint32), ("fd", ctypes.c_int))


# libbpf prints a verifier log in one message: room for a long one.
_MESSAGE_MAX = 1 << 20


def _record(level: int, fmt: bytes, ap: int) -> int:
    if level < _DEBUG:
        buf = ctypes.create_string_buffer(_MESSAGE_MAX)
        _libc().vsnprintf(buf, len(buf), fmt, ap)
        _LOG.extend(line for line in buf.value.decode(errors="replace").splitlines() if line)
    return 0


# Kept alive for as long as the libraries may call it.
_PRINTER = _PRINT_FN(_record)


@cache
def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None)
    libc.vsnprintf.argtypes = (ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, _P)
    return libc


_Signature = tuple[str, object, tuple[object, ...]]


_BPF_CALLS: tuple[_Signature, ...] = (
    ("bpf_object__open_file", _P, (ctypes.c_char_p, _P)),
    ("bpf_object__next_program", _P, (_P, _P)),
    ("bpf_object__close", None, (_P,)),
    ("bpf_program__name", ctypes.c_char_p, (_P,)),
    ("bpf_program__section_name", ctypes.c_char_p, (_P,)),
    ("bpf_program__type", ctypes.c_int, (_P,)),
    ("bpf_program__set_autoload", ctypes.c_int, (_P, ctypes.c_bool)),
    ("bpf_program__fd", ctypes.c_int, (_P,)),
    ("bpf_prog_get_fd_by_id", ctypes.c_int, (ctypes.c_uint32,)),
    ("libbpf_bpf_prog_type_str", ctypes.c_char_p, (ctypes.c_int,)))


def _bind(lib: ctypes.CDLL, calls: tuple[_Signature, ...]) -> None:
    """Declare each call's types (pointers as c_void_p: ctypes would cut them to int)."""
    for fname, res, args in calls:
        fn = getattr(lib, fname)
        fn.restype, fn.argtypes = res, args


@cache
def bpf() -> ctypes.CDLL:
    """libbpf, its messages captured."""
    lib = _libbpf()
    _bind(lib, _BPF_CALLS)
    lib.libbpf_set_print.argtypes = (_PRINT_FN,)
    lib.libbpf_set_print(_PRINTER)
    return lib


@cache
def lib() -> ctypes.CDLL:
    name = ctypes.util.find_library("xdp") or "libxdp.so.1"
    try:
        xdp = ctypes.CDLL(name, use_errno=True)
    except OSError as err:
        raise LibbpfError(errno.ENOENT, f"libxdp is not installed ({err}): "
                          "install libxdp1") from None
    xdp_calls: tuple[_Signature, ...] = (
            ("libxdp_set_print", _P, (_PRINT_FN,)),
            ("xdp_program__create", _P, (ctypes.POINTER(XdpProgramOpts),)),
            ("xdp_program__close", None, (_P,)),
            ("xdp_program__name", ctypes.c_char_p, (_P,)),
            ("xdp_program__id", ctypes.c_uint32, (_P,)),
            ("xdp_program__set_xdp_frags_support", ctypes.c_int, (_P, ctypes.c_bool)),
            ("xdp_program__attach", ctypes.c_int, (_P, ctypes.c_int, ctypes.c_int, ctypes.c_uint)),
            ("xdp_multiprog__get_from_ifindex", _P, (ctypes.c_int,)),
            ("xdp_multiprog__close", None, (_P,)),
            ("xdp_multiprog__detach", ctypes.c_int, (_P,)),
            ("xdp_multiprog__next_prog", _P, (_P, _P)),
            ("xdp_multiprog__main_prog", _P, (_P,)),
            ("xdp_multiprog__hw_prog", _P, (_P,)),
            ("xdp_multiprog__is_legacy", ctypes.c_bool, (_P,)),
            ("xdp_multiprog__attach_mode", ctypes.c_int, (_P,)))
    _bind(xdp, xdp_calls)
    xdp.libxdp_set_print(_PRINTER)
    bpf()
    return xdp


@contextmanager
def captured() -> Iterator[list[str]]:
    """The libraries' warnings and notes while the block runs."""
    bpf()
    _LOG.clear()
    yield _LOG


def pointer_error(ptr: int | None) -> int:
    """0, or the negative errno of a NULL or ERR_PTR-encoded pointer."""
    if ptr is None:
        return -(ctypes.get_errno() or errno.EINVAL)
    if ptr >= 2**64 - _MAX_ERRNO:
        return ptr - 2**64
    return 0


@dataclass(frozen=True)
class ObjProgram:
    name: str
    section: str
    type: str  # libbpf's name of the program type ("xdp", "sched_cls", ...)
    handle: int


def open_object(path: str) -> tuple[int, list[ObjProgram]]:
    """libbpf's bpf_object of path (not loaded) and its programs."""
    ctypes.set_errno(0)
    obj = bpf().bpf_object__open_file(os.fsencode(path), None)
    err = pointer_error(obj)
    if err:
        raise LibbpfError(-err, os.strerror(-err))
    return obj, programs(obj)


def programs(obj: int) -> list[ObjProgram]:
    b = bpf()
    progs, prog = [], None
    while prog := b.bpf_object__next_program(obj, prog):
        ptype = b.libbpf_bpf_prog_type_str(b.bpf_program__type(prog))
        progs.append(ObjProgram(b.bpf_program__name(prog).decode(errors="replace"),
                                b.bpf_program__section_name(prog).decode(errors="replace"),
                                (ptype or b"unknown").decode(), prog))
    return progs


def close_object(obj: int) -> None:
    bpf().bpf_object__close(obj)


def set_autoload(prog: ObjProgram, on: bool) -> None:
    bpf().bpf_program__set_autoload(prog.handle, on)


@dataclass(frozen=True)
class Attached:
    """What is attached to a device, by libxdp's view."""

    programs: list[tuple[str, int]]  # (name, id) of each program that runs
    mode: str
    dispatcher: bool  # libxdp's multi-program dispatcher, or a program on its own


def attached(ifindex: int) -> Attached | None:
    """What runs in XDP on ifindex, or None; LibbpfError when libxdp
    cannot tell (reading programs by id needs CAP_SYS_ADMIN)."""
    xdp = lib()
    mp = xdp.xdp_multiprog__get_from_ifindex(ifindex)
    err = -pointer_error(mp)
    if err == errno.ENOENT:
        return None
    if err:
        raise LibbpfError(err, os.strerror(err))
    try:
        progs, prog = [], None
        legacy = xdp.xdp_multiprog__is_legacy(mp)
        if legacy:
            main = xdp.xdp_multiprog__main_prog(mp) or xdp.xdp_multiprog__hw_prog(mp)
            if main:
                progs.append(_name_id(main))
        else:
            while prog := xdp.xdp_multiprog__next_prog(prog, mp):
                progs.append(_name_id(prog))
        if not progs:
            return None
        mode = MODE_NAMES.get(xdp.xdp_multiprog__attach_mode(mp), "unknown")
        return Attached(progs, mode, not legacy)
    finally:
        xdp.xdp_multiprog__close(mp)


def _name_id(prog: int) -> tuple[str, int]:
    xdp = lib()
    return xdp.xdp_program__name(prog).decode(errors="replace"), xdp.xdp_program__id(prog)


def attach(obj: int, prog: ObjProgram, ifindex: int, mode: str, frags: bool) -> int:
    """Attach prog of obj (loaded by libxdp, the object's other programs not
    loaded) to ifindex: its id, or a negative errno."""
    xdp = lib()
    for other in programs(obj):
        set_autoload(other, other.handle == prog.handle)
    opts = XdpProgramOpts(sz=ctypes.sizeof(XdpProgramOpts), obj=obj,
                          prog_name=prog.name.encode())
    ctypes.set_errno(0)
    p = xdp.xdp_program__create(ctypes.byref(opts))
    err = pointer_error(p)
    if err:
        return err
    try:
        if frags:
            xdp.xdp_program__set_xdp_frags_support(p, True)
        err = int(xdp.xdp_program__attach(p, ifindex, MODES[mode], 0))
        return err if err < 0 else int(xdp.xdp_program__id(p))
    finally:
        xdp.xdp_program__close(p)


def reattach(ifindex: int, prog_id: int, mode: str) -> int:
    """Put a program back by id (after a replacement failed): 0 or -errno."""
    from xdptool.libbpf import XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE

    fd = bpf().bpf_prog_get_fd_by_id(prog_id)
    if fd < 0:
        return fd
    try:
        flags = {"native": XDP_FLAGS_DRV_MODE, "generic": XDP_FLAGS_SKB_MODE}.get(mode, 0)
        return int(_libbpf().bpf_xdp_attach(ifindex, fd, flags, None))
    finally:
        os.close(fd)


def detach(ifindex: int) -> int:
    """Detach whatever runs in XDP on ifindex (a dispatcher and all its
    programs, or one program): 0, or a negative errno."""
    xdp = lib()
    mp = xdp.xdp_multiprog__get_from_ifindex(ifindex)
    err = pointer_error(mp)
    if err:
        return err
    try:
        return int(xdp.xdp_multiprog__detach(mp))
    finally:
        xdp.xdp_multiprog__close(mp)
