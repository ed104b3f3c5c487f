"""Driver name via the ETHTOOL_GDRVINFO ioctl (what `ethtool -i` prints).

ethtool netlink has no driver-info message, so this is the one ioctl left;
its struct is small enough to lay out here. The name is passed as its bytes
(xdptool.names), so devices whose names are not UTF-8 work too.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import socket
import struct

from xdptool import names

_SIOCETHTOOL = 0x8946
_ETHTOOL_GDRVINFO = 0x00000003
_IFNAMSIZ = 16
# struct ethtool_drvinfo: cmd, driver[32], version[32], fw_version[32],
# bus_info[32], erom_version[32], reserved2[12], then five __u32 counters.
_DRVINFO = struct.Struct("I32s32s32s32s32s12s5I")


def driver_name(ifname: str) -> str | None:
    """Driver name, or None when the device has no ethtool driver info (e.g. lo)."""
    buf = bytearray(_DRVINFO.size)
    struct.pack_into("I", buf, 0, _ETHTOOL_GDRVINFO)
    # struct ifreq: ifr_name[IFNAMSIZ] then a union whose ifr_data points at buf.
    # ctypes pins the buffer and gives its address for the kernel to fill in.
    cbuf = (ctypes.c_char * len(buf)).from_buffer(buf)
    ifreq = struct.pack(f"{_IFNAMSIZ}sP", names.to_kernel(ifname), ctypes.addressof(cbuf))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            fcntl.ioctl(sock.fileno(), _SIOCETHTOOL, ifreq)
        except OSError as err:
            # EOPNOTSUPP: no ethtool_ops (lo); ENODEV: device vanished meanwhile.
            if err.errno in (errno.EOPNOTSUPP, errno.ENODEV):
                return None
            raise
    driver = _DRVINFO.unpack_from(buf)[1]
    return driver.split(b"\0", 1)[0].decode(errors="replace") or None
