"""BPF program names via the bpf(2) syscall (no libbpf, no bpftool).

BPF_PROG_GET_FD_BY_ID needs CAP_SYS_ADMIN; without it the name is simply
unknown, never an error: the attach state itself comes from rtnetlink.
"""

from __future__ import annotations

import ctypes
import os
import platform

_BPF_PROG_GET_FD_BY_ID = 13
_BPF_OBJ_GET_INFO_BY_FD = 15
_BPF_OBJ_NAME_LEN = 16

# bpf(2) syscall numbers per architecture (asm/unistd.h).
_NR_BPF = {
    "x86_64": 321,
    "aarch64": 280,
    "riscv64": 280,
    "loongarch64": 280,
    "ppc64le": 361,
    "s390x": 351,
    "i686": 357,
    "armv7l": 386,
}


class _GetFdById(ctypes.Structure):
    _fields_ = (("prog_id", ctypes.c_uint32), ("next_id", ctypes.c_uint32),
                ("open_flags", ctypes.c_uint32))


class _InfoByFd(ctypes.Structure):
    _fields_ = (("bpf_fd", ctypes.c_uint32), ("info_len", ctypes.c_uint32),
                ("info", ctypes.c_uint64))


class _ProgInfo(ctypes.Structure):
    """Prefix of struct bpf_prog_info up to name; the kernel copies min(len) bytes."""

    _fields_ = (
        ("type", ctypes.c_uint32),
        ("id", ctypes.c_uint32),
        ("tag", ctypes.c_uint8 * 8),
        ("jited_prog_len", ctypes.c_uint32),
        ("xlated_prog_len", ctypes.c_uint32),
        ("jited_prog_insns", ctypes.c_uint64),
        ("xlated_prog_insns", ctypes.c_uint64),
        ("load_time", ctypes.c_uint64),
        ("created_by_uid", ctypes.c_uint32),
        ("nr_map_ids", ctypes.c_uint32),
        ("map_ids", ctypes.c_uint64),
        ("name", ctypes.c_char * _BPF_OBJ_NAME_LEN),
    )


_libc = ctypes.CDLL(None, use_errno=True)


def _bpf(cmd: int, attr: ctypes.Structure) -> int:
    nr = _NR_BPF.get(platform.machine())
    if nr is None:
        raise OSError(0, f"bpf(2) syscall number unknown on {platform.machine()}")
    ret = int(_libc.syscall(nr, cmd, ctypes.byref(attr), ctypes.sizeof(attr)))
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


def prog_name(prog_id: int) -> str | None:
    """The program's object name (at most 15 chars, as the kernel stores it), or None
    when it cannot be read (no CAP_SYS_ADMIN, program gone, no bpf(2))."""
    try:
        fd = _bpf(_BPF_PROG_GET_FD_BY_ID, _GetFdById(prog_id=prog_id))
    except OSError:
        return None
    try:
        info = _ProgInfo()
        attr = _InfoByFd(bpf_fd=fd, info_len=ctypes.sizeof(info),
                         info=ctypes.addressof(info))
        _bpf(_BPF_OBJ_GET_INFO_BY_FD, attr)
        name: bytes = info.name  # c_char array: bytes up to the first NUL
        return name.decode(errors="replace")
    except OSError:
        return None
    finally:
        os.close(fd)
