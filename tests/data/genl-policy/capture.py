#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Capture CTRL_CMD_GETFAMILY and CTRL_CMD_GETPOLICY replies for the unit tests
of the policy parser and the series' op verification (tests/unit/test_ynl_policy.py,
tests/unit/test_series_verify.py).

Run from the repository root (no privileges needed, nothing is changed):

    python3 tests/data/genl-policy/capture.py

It asks the generic netlink controller of the running kernel, over a plain
AF_NETLINK socket (hand-packed requests: no xdptool code, so the captures
are independent of what they test), for the ethtool family's description
and for the request policies of a few upstream operations, and writes the
reply datagrams next to this file with capture.json. See README.md.
"""

from __future__ import annotations

import json
import platform
import socket
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent

SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_CMD_GETPOLICY = 10
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_OP = 10
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3

# <linux/ethtool_netlink.h> (upstream ids, stable since they were added)
ETHTOOL_MSG_CHANNELS_GET = 17
ETHTOOL_MSG_CHANNELS_SET = 18
# The series' ids before it moved to a private range: other commands on
# Linux >= 6.13 (46 TSCONFIG_GET on 6.18).
ETHTOOL_MSG_46 = 46
# The series' xdp-get: absent from an upstream kernel.
ETHTOOL_MSG_200 = 200
# <linux/netdev.h>
NETDEV_CMD_QSTATS_GET = 12


def nla(kind: int, payload: bytes) -> bytes:
    data = struct.pack("=HH", 4 + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)


def genl_request(flags: int, seq: int, cmd: int, attrs: bytes) -> bytes:
    body = struct.pack("=BBH", cmd, 1, 0) + attrs
    return struct.pack("=IHHII", 16 + len(body), GENL_ID_CTRL, flags, seq, 0) + body


def messages(data: bytes) -> list[tuple[int, bytes]]:
    out = []
    offset = 0
    while offset + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, offset)
        out.append((kind, data[offset : offset + length]))
        offset += (length + 3) & ~3
    return out


def parse_attrs(data: bytes) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    offset = 0
    while offset + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, offset)
        if length < 4:
            break
        out.setdefault(kind & 0x3FFF, data[offset + 4 : offset + length])
        offset += (length + 3) & ~3
    return out


def exchange(sock: socket.socket, request: bytes, dump: bool) -> bytes:
    sock.send(request)
    captured = b""
    while True:
        data = sock.recv(65536)
        captured += data
        kinds = [kind for kind, _ in messages(data)]
        if NLMSG_ERROR in kinds or NLMSG_DONE in kinds or not dump:
            return captured


def main() -> None:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    sock.bind((0, 0))
    files: dict[str, bytes] = {}
    ids: dict[str, int] = {}
    seq = 0
    for family in ("ethtool", "netdev"):
        seq += 1
        request = genl_request(NLM_F_REQUEST, seq, CTRL_CMD_GETFAMILY,
                               nla(CTRL_ATTR_FAMILY_NAME, family.encode() + b"\0"))
        reply = exchange(sock, request, dump=False)
        if family == "ethtool":
            files["ethtool-getfamily.reply.bin"] = reply
        ((_, msg),) = messages(reply)
        (ids[family],) = struct.unpack("=H", parse_attrs(msg[20:])[CTRL_ATTR_FAMILY_ID][:2])

    captures = [
        ("ethtool", ETHTOOL_MSG_CHANNELS_GET, "ethtool-channels-get"),
        ("ethtool", ETHTOOL_MSG_CHANNELS_SET, "ethtool-channels-set"),
        ("ethtool", ETHTOOL_MSG_46, "ethtool-46"),
        ("ethtool", ETHTOOL_MSG_200, "ethtool-200"),
        ("netdev", NETDEV_CMD_QSTATS_GET, "netdev-qstats-get"),
    ]
    for family, op, name in captures:
        seq += 1
        request = genl_request(NLM_F_REQUEST | NLM_F_DUMP, seq, CTRL_CMD_GETPOLICY,
                               nla(CTRL_ATTR_FAMILY_ID, struct.pack("=H", ids[family]))
                               + nla(CTRL_ATTR_OP, struct.pack("=I", op)))
        files[f"policy-{name}.request.bin"] = request
        files[f"policy-{name}.reply.bin"] = exchange(sock, request, dump=True)
    sock.close()

    for name, data in files.items():
        (HERE / name).write_bytes(data)
    meta = {
        "kernel": platform.release(),
        "family_id": ids,
        "ops": {name: op for _, op, name in captures},
        "files": sorted(files),
    }
    (HERE / "capture.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    print(f"captured {len(files)} files on {meta['kernel']}")


if __name__ == "__main__":
    main()
