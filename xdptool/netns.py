"""`--netns NAME`: move the whole process into a named network namespace.

Done once, before any socket is opened, so rtnetlink, genetlink and the
ethtool ioctl all see the same namespace (as `ip netns exec` would).
setns(2) through ctypes: os.setns only exists from Python 3.12.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from typing import TypeVar

from xdptool.errors import PermissionDeniedError, XdptoolError
from xdptool.names import quoted

NETNS_RUN_DIR = "/run/netns"
_CLONE_NEWNET = 0x40000000
T = TypeVar("T")


def _setns(fd: int) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, _CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _open(name: str) -> int:
    """An fd on /run/netns/NAME, or an XdptoolError saying what is wrong with NAME."""
    if not name or "/" in name or name in (".", "..") or "\0" in name:
        raise XdptoolError(f"invalid network namespace name: {quoted(name)}")
    try:
        # O_NONBLOCK: a FIFO left under /run/netns must not hang us
        return os.open(os.path.join(NETNS_RUN_DIR, name),
                       os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        raise XdptoolError(
            f"no such network namespace: {quoted(name)} (see `ip netns list`)") from None
    except PermissionError:
        raise PermissionDeniedError("opening a network namespace", "root") from None
    except OSError as err:
        raise XdptoolError(
            f"cannot open network namespace {quoted(name)}: {err.strerror}") from None


def _enter_fd(fd: int, name: str) -> None:
    try:
        _setns(fd)
    except OSError as err:
        if err.errno in (errno.EPERM, errno.EACCES):
            raise PermissionDeniedError("entering a network namespace", "CAP_SYS_ADMIN") from err
        if err.errno == errno.EINVAL:
            # A file under /run/netns that is not (or no longer) a bind mount
            # of a namespace: left behind when `ip netns add` was interrupted,
            # or the mount was lost.
            path = os.path.join(NETNS_RUN_DIR, name)
            raise XdptoolError(
                f"{quoted(path)} is not a network namespace "
                f"(a stale entry? `ip netns delete {quoted(name)}` removes it)") from err
        raise


def enter(name: str) -> None:
    """Move this process into network namespace NAME for good."""
    fd = _open(name)
    try:
        _enter_fd(fd, name)
    finally:
        os.close(fd)


def run_in(name: str, fn: Callable[[], T]) -> T:
    """fn() called inside network namespace NAME, then back to the current one
    (sockets fn opens stay in NAME)."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        fd = _open(name)
        try:
            _enter_fd(fd, name)
        finally:
            os.close(fd)
        try:
            return fn()
        finally:
            _setns(own)
    finally:
        os.close(own)
