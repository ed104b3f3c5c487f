#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Capture raw netdev-family netlink traffic for tests/unit/test_ynl_bindings.py.

Run as root from the repository root:

    python3 tests/data/netdev/capture.py

It creates a throwaway network namespace with a veth pair (vx0/vx1), talks
to the kernel's netdev family over a plain AF_NETLINK socket (no pyroute2,
no xdptool code, so the captures are independent of what they test), writes
the request and reply datagrams next to this file, and deletes the
namespace. It never touches the host's own interfaces. See README.md.
"""

from __future__ import annotations

import json
import os
import platform
import select
import socket
import struct
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NETNS = f"xdptool-capture-{os.getpid()}"

SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_EXT_ACK = 11
NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_MCAST_GROUPS = 7
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
NETDEV_CMD_DEV_GET = 1
NETDEV_A_DEV_IFINDEX = 1


def nla(kind: int, payload: bytes) -> bytes:
    data = struct.pack("=HH", 4 + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)


def genl_request(family: int, flags: int, seq: int, cmd: int, attrs: bytes) -> bytes:
    body = struct.pack("=BBH", cmd, 1, 0) + attrs
    return struct.pack("=IHHII", 16 + len(body), family, flags, seq, 0) + body


def parse_attrs(data: bytes) -> dict[int, list[bytes]]:
    out: dict[int, list[bytes]] = {}
    offset = 0
    while offset + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, offset)
        if length < 4:
            break
        out.setdefault(kind & 0x3FFF, []).append(data[offset + 4 : offset + length])
        offset += (length + 3) & ~3
    return out


def messages(data: bytes) -> list[tuple[int, bytes]]:
    out = []
    offset = 0
    while offset + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, offset)
        out.append((kind, data[offset : offset + length]))
        offset += (length + 3) & ~3
    return out


def exchange(sock: socket.socket, request: bytes, until_done: bool) -> bytes:
    """Send a request, return every reply datagram concatenated."""
    sock.send(request)
    captured = b""
    while True:
        data = sock.recv(65536)
        captured += data
        kinds = [kind for kind, _ in messages(data)]
        if NLMSG_ERROR in kinds or NLMSG_DONE in kinds or not until_done:
            return captured


def inner() -> None:
    """Runs inside the namespace (via ip netns exec)."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    sock.bind((0, 0))

    req = genl_request(
        GENL_ID_CTRL, NLM_F_REQUEST, 1, CTRL_CMD_GETFAMILY, nla(CTRL_ATTR_FAMILY_NAME, b"netdev\0")
    )
    reply = exchange(sock, req, until_done=False)
    ((_, msg),) = messages(reply)
    attrs = parse_attrs(msg[20:])
    (family_id,) = struct.unpack("=H", attrs[CTRL_ATTR_FAMILY_ID][0][:2])
    groups = {}
    for group in parse_attrs(attrs[CTRL_ATTR_MCAST_GROUPS][0]).values():
        fields = parse_attrs(group[0])
        groups[fields[1][0].rstrip(b"\0").decode()] = struct.unpack("=I", fields[2][0])[0]

    vx0 = socket.if_nametoindex("vx0")
    vx1 = socket.if_nametoindex("vx1")
    files: dict[str, bytes] = {}

    def do(name: str, seq: int, attrs: bytes, flags: int = NLM_F_REQUEST) -> None:
        request = genl_request(family_id, flags, seq, NETDEV_CMD_DEV_GET, attrs)
        files[f"{name}.request.bin"] = request
        files[f"{name}.reply.bin"] = exchange(sock, request, until_done=bool(flags & NLM_F_DUMP))

    ifindex = NETDEV_A_DEV_IFINDEX
    do("dev-get-lo", 10, nla(ifindex, struct.pack("=I", 1)))
    do("dev-get-vx0", 11, nla(ifindex, struct.pack("=I", vx0)))
    do("dev-get-dump", 12, b"", NLM_F_REQUEST | NLM_F_DUMP)
    do("dev-get-err-range", 13, nla(ifindex, struct.pack("=I", 0)))
    do("dev-get-err-nodev", 14, nla(ifindex, struct.pack("=I", 99999)))
    do("dev-get-err-missing", 15, b"")

    # Notifications: join mgmt, add a veth pair, collect for a second.
    sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, groups["mgmt"])
    subprocess.run(["ip", "link", "add", "vy0", "type", "veth", "peer", "name", "vy1"], check=True)
    ntf = b""
    while select.select([sock], [], [], 1.0)[0]:
        ntf += sock.recv(65536)
    files["ntf-mgmt.bin"] = ntf

    for name, data in files.items():
        (HERE / name).write_bytes(data)
    meta = {
        "kernel": platform.release(),
        "family_id": family_id,
        "mcast_groups": groups,
        "ifindex": {
            "lo": 1,
            "vx0": vx0,
            "vx1": vx1,
            "vy0": socket.if_nametoindex("vy0"),
            "vy1": socket.if_nametoindex("vy1"),
        },
        "files": sorted(files),
    }
    (HERE / "capture.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        inner()
        return 0
    if os.geteuid() != 0:
        print("capture.py: needs root (ip netns add)", file=sys.stderr)
        return 1
    subprocess.run(["ip", "netns", "add", NETNS], check=True)
    try:

        def ns(*cmd: str) -> None:
            subprocess.run(["ip", "netns", "exec", NETNS, *cmd], check=True)

        ns("ip", "link", "add", "vx0", "type", "veth", "peer", "name", "vx1")
        # GRO on the peer lets veth accept redirected frames: vx0 then also
        # reports ndo-xmit / ndo-xmit-sg.
        ns("ethtool", "-K", "vx1", "gro", "on")
        ns("ip", "link", "set", "vx0", "up")
        ns("ip", "link", "set", "vx1", "up")
        ns(sys.executable, str(Path(__file__).resolve()), "--inner")
    finally:
        subprocess.run(["ip", "netns", "del", NETNS], check=False)
    print(f"captured into {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
