"""`--netns NAME`: move the whole process into a named network namespace.

Done once, before any socket is opened, so rtnetlink, genetlink and the
ethtool ioctl all see the same namespace (as `ip netns exec` would).
"""

from __future__ import annotations

import errno
import os

from pyroute2 import netns as pr_netns  # type: ignore[import-untyped]

from xdptool.errors import KernelUnsupportedError, PermissionDeniedError, XdptoolError

NETNS_RUN_DIR = "/run/netns"


def enter(name: str) -> None:
    if "/" in name or name in ("", ".", ".."):
        raise XdptoolError(f"invalid network namespace name: {name!r}")
    if not os.path.exists(os.path.join(NETNS_RUN_DIR, name)):
        raise XdptoolError(f"no such network namespace: {name} (see `ip netns list`)")
    try:
        pr_netns.setns(name, flags=0)  # flags=0: never create it
    except OSError as err:
        if err.errno in (errno.EPERM, errno.EACCES):
            raise PermissionDeniedError("entering a network namespace", "CAP_SYS_ADMIN") from err
        if err.errno in (errno.EINVAL, errno.ENOSYS):
            raise KernelUnsupportedError(
                "this kernel cannot switch network namespaces: "
                "boot one built with CONFIG_NET_NS=y") from err
        raise
