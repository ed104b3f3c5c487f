"""Bounded netlink fuzzing of the series' ops while XDP traffic is counted.

Malformed, truncated, oversized and out-of-range requests go to ethtool's
xdp-get (200) and xdp-set (201) and to the netdev family's qstats-get dump,
from a raw generic netlink socket, while AF_PACKET senders push frames
through two counting veths (native and generic XDP) and the counters are
toggled. Every request must be answered with an error (and, for an
attribute the kernel refuses, an extended ack that says why) or a
well-formed reply; the kernel log must stay clean (the clean_dmesg fixture
here, and scripts/vm-run's scan for WARN, KASAN, lockdep and kmemleak).
The random part is seeded, so a failure replays.
"""

from __future__ import annotations

import errno
import random
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from xdpvm.frames import ACTIONS, Senders, xdp_frame
from xdpvm.host import sh
from xdpvm.netns import Netns, in_netns, link
from xdpvm.stats import Ethnl

NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_MISS_TYPE = 1, 2, 5
NLA_F_NESTED = 0x8000
GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 0x10, 3, 1, 2
SOL_NETLINK, NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK = 270, 11, 10, 12
XDP_GET, XDP_SET, QSTATS_GET = 200, 201, 12
# ethtool: ETHTOOL_A_XDP_HEADER, _STATS_ENABLED; header: DEV_INDEX, DEV_NAME, FLAGS
A_XDP_HEADER, A_XDP_STATS_ENABLED, A_XDP_STATS = 1, 2, 3
A_HDR_DEV_INDEX, A_HDR_DEV_NAME, A_HDR_FLAGS = 1, 2, 3
# netdev qstats: IFINDEX, SCOPE
A_QSTATS_IFINDEX, A_QSTATS_SCOPE = 1, 4
RANDOM_REQUESTS = 400
SEED = 0x5EED


def nla(kind: int, payload: bytes) -> bytes:
    raw = struct.pack("=HH", 4 + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


def nest(kind: int, *attrs: bytes) -> bytes:
    return nla(kind | NLA_F_NESTED, b"".join(attrs))


def u8(v: int) -> bytes:
    return struct.pack("=B", v)


def u32(v: int) -> bytes:
    return struct.pack("=I", v)


def name(s: str) -> bytes:
    return s.encode() + b"\0"


@dataclass
class Reply:
    errno: int  # 0: a reply (or an ack)
    extack_msg: str | None = None
    extack_offset: int | None = None
    extack_missing: int | None = None  # the attribute a request lacks
    messages: int = 0


@dataclass
class Genl:
    """A raw generic netlink socket in a netns."""

    ns: str
    sock: socket.socket = field(init=False)
    seq: int = 0

    def __post_init__(self) -> None:
        def make() -> socket.socket:
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)  # NETLINK_GENERIC
            for opt in (NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK):
                s.setsockopt(SOL_NETLINK, opt, 1)
            s.settimeout(30)
            return s

        self.sock = in_netns(self.ns, make)

    def family(self, fam: str) -> int:
        reply = self.raw(GENL_ID_CTRL, struct.pack("=BBH", CTRL_CMD_GETFAMILY, 1, 0)
                         + nla(CTRL_ATTR_FAMILY_NAME, name(fam)), keep=True)
        assert reply.errno == 0, reply
        return self._family_id

    def raw(self, kind: int, body: bytes, flags: int = NLM_F_REQUEST | NLM_F_ACK,
            length: int | None = None, keep: bool = False) -> Reply:
        """Send one message (its nlmsg_len may lie) and read until the answer
        to it is complete: an error or ack, or a dump's DONE."""
        self.seq += 1
        hdr = struct.pack("=IHHII", length if length is not None else 16 + len(body), kind,
                          flags, self.seq, 0)
        self.sock.send(hdr + body)
        reply = Reply(0)
        while True:
            data = self.sock.recv(1 << 17)
            off = 0
            while off + 16 <= len(data):
                mlen, mtype, _flags, seq, _ = struct.unpack_from("=IHHII", data, off)
                assert mlen >= 16, f"kernel sent a message of {mlen} bytes"
                msg = data[off:off + mlen]
                off += (mlen + 3) & ~3
                if seq != self.seq:
                    continue
                if mtype == NLMSG_ERROR:
                    # The request is echoed, capped to its header (NETLINK_CAP_ACK).
                    return self._error(msg, 16 + 4 + 16, reply)
                if mtype == NLMSG_DONE:
                    # A dump's error comes here, its extack right after it.
                    return self._error(msg, 16 + 4, reply) if len(msg) >= 20 else reply
                reply.messages += 1
                if keep:
                    self._family_id = self._attr_u16(msg[20:], CTRL_ATTR_FAMILY_ID)
                if not flags & NLM_F_DUMP and not flags & NLM_F_ACK:
                    return reply

    @staticmethod
    def _attr_u16(attrs: bytes, want: int) -> int:
        off = 0
        while off + 4 <= len(attrs):
            alen, kind = struct.unpack_from("=HH", attrs, off)
            if kind & 0x3FFF == want:
                return struct.unpack_from("=H", attrs, off + 4)[0]
            off += (alen + 3) & ~3
        raise AssertionError(f"no attribute {want}")

    @staticmethod
    def _error(msg: bytes, off: int, reply: Reply) -> Reply:
        """The errno of an error or DONE message, and its extack from off."""
        reply.errno = -struct.unpack_from("=i", msg, 16)[0]
        while off + 4 <= len(msg):
            alen, kind = struct.unpack_from("=HH", msg, off)
            if alen < 4:
                break
            if kind == NLMSGERR_ATTR_MSG:
                reply.extack_msg = msg[off + 4:off + alen].rstrip(b"\0").decode()
            elif kind == NLMSGERR_ATTR_OFFS:
                reply.extack_offset = struct.unpack_from("=I", msg, off + 4)[0]
            elif kind == NLMSGERR_ATTR_MISS_TYPE:
                reply.extack_missing = struct.unpack_from("=I", msg, off + 4)[0]
            off += (alen + 3) & ~3
        return reply


def genl(cmd: int, *attrs: bytes) -> bytes:
    return struct.pack("=BBH", cmd, 1, 0) + b"".join(attrs)


@dataclass
class Target:
    genl: Genl
    ethtool: int
    netdev: int
    ifindex: int


@pytest.fixture
def traffic(quiet_netns: Netns, xdp_act_obj: Path, xdp_pass_obj: Path) -> Iterator[Target]:
    """Two veths counting XDP drops while senders flood them."""
    ns = quiet_netns
    eth = Ethnl(ns.name)
    floods = []
    for n, mode in ((0, "xdpdrv"), (1, "xdpgeneric")):
        a, b = f"fz{n}a", f"fz{n}b"
        sh("ip", "-n", ns.name, "link", "add", a, "type", "veth", "peer", "name", b)
        for dev in (a, b):
            sh("ip", "-n", ns.name, "link", "set", "dev", dev, "up")
        sh("ip", "-n", ns.name, "link", "set", "dev", b, "xdpdrv", "obj", str(xdp_pass_obj),
           "sec", "xdp")
        sh("ip", "-n", ns.name, "link", "set", "dev", a, mode, "obj", str(xdp_act_obj),
           "sec", "xdp")
        eth.set(a, 1)
        frame = xdp_frame(link(ns.name, a)["address"], ACTIONS["drop"])
        floods.append(Senders(ns.name, b, frame, (n,)))
    g = Genl(ns.name)
    try:
        yield Target(g, g.family("ethtool"), g.family("netdev"), link(ns.name, "fz0a")["ifindex"])
    finally:
        sent = [flood.stop() for flood in floods]
        g.sock.close()
    assert all(sent), f"a sender sent nothing: {sent}"
    assert all(eth.stats(f"fz{n}a").total["drop"] > 0 for n in (0, 1)), "nothing was counted"


def crafted(t: Target) -> list[tuple[str, int, bytes, int, int | None, int]]:
    """(what, family, body, flags, nlmsg_len or None, expected errno)."""
    hdr = nest(A_XDP_HEADER, nla(A_HDR_DEV_INDEX, u32(t.ifindex)))
    rq = NLM_F_REQUEST | NLM_F_ACK
    dump = NLM_F_REQUEST | NLM_F_DUMP
    return [
        ("get, valid", t.ethtool, genl(XDP_GET, hdr), rq, None, 0),
        ("get, stats flag", t.ethtool,
         genl(XDP_GET, nest(A_XDP_HEADER, nla(A_HDR_DEV_INDEX, u32(t.ifindex)),
                            nla(A_HDR_FLAGS, u32(4)))), rq, None, 0),
        ("get, unknown header flag", t.ethtool,
         genl(XDP_GET, nest(A_XDP_HEADER, nla(A_HDR_DEV_INDEX, u32(t.ifindex)),
                            nla(A_HDR_FLAGS, u32(1 << 20)))), rq, None, errno.EINVAL),
        ("get, no such device", t.ethtool,
         genl(XDP_GET, nest(A_XDP_HEADER, nla(A_HDR_DEV_INDEX, u32(0x7FFFFFF0)))), rq, None,
         errno.ENODEV),
        ("get, no device of that name", t.ethtool,
         genl(XDP_GET, nest(A_XDP_HEADER, nla(A_HDR_DEV_NAME, name("x" * 40)))), rq, None,
         errno.ENODEV),
        ("get, device name too long", t.ethtool,
         genl(XDP_GET, nest(A_XDP_HEADER, nla(A_HDR_DEV_NAME, name("x" * 200)))), rq, None,
         errno.EINVAL),
        ("get, header not nested", t.ethtool, genl(XDP_GET, nla(A_XDP_HEADER, u32(1))), rq, None,
         errno.EINVAL),
        ("get, dev-index of 2 bytes", t.ethtool,
         genl(XDP_GET, nest(A_XDP_HEADER, nla(A_HDR_DEV_INDEX, b"\1\0"))), rq, None,
         errno.EINVAL),
        ("set, out of range", t.ethtool, genl(XDP_SET, hdr, nla(A_XDP_STATS_ENABLED, u8(2))), rq,
         None, errno.ERANGE),
        ("set, 255", t.ethtool, genl(XDP_SET, hdr, nla(A_XDP_STATS_ENABLED, u8(255))), rq, None,
         errno.ERANGE),
        ("set, stats-enabled empty", t.ethtool, genl(XDP_SET, hdr, nla(A_XDP_STATS_ENABLED, b"")),
         rq, None, errno.EINVAL),
        ("set, reply-only stats attribute", t.ethtool,
         genl(XDP_SET, hdr, nest(A_XDP_STATS, nla(1, u32(1)))), rq, None, errno.EINVAL),
        ("set, attribute 0x3fff", t.ethtool, genl(XDP_SET, hdr, nla(0x3FFF, u32(0))), rq, None,
         errno.EINVAL),
        ("set, no header", t.ethtool, genl(XDP_SET, nla(A_XDP_STATS_ENABLED, u8(1))), rq, None,
         errno.EINVAL),
        ("set, as a dump", t.ethtool, genl(XDP_SET, hdr), dump, None, errno.EOPNOTSUPP),
        ("set, 64 KiB attribute", t.ethtool, genl(XDP_SET, hdr, nla(0x3FFE, bytes(65000))), rq,
         None, errno.EINVAL),
        ("get, attribute length beyond the message", t.ethtool,
         genl(XDP_GET) + struct.pack("=HH", 64, A_XDP_HEADER | NLA_F_NESTED), rq, None,
         errno.EINVAL),
        ("get, no genl header", t.ethtool, b"", rq, None, errno.EINVAL),
        ("qstats, valid dump", t.netdev,
         genl(QSTATS_GET, nla(A_QSTATS_IFINDEX, u32(t.ifindex)), nla(A_QSTATS_SCOPE, u32(1))),
         dump, None, 0),
        ("qstats, scope out of range", t.netdev,
         genl(QSTATS_GET, nla(A_QSTATS_SCOPE, u32(2))), dump, None, errno.EINVAL),
        ("qstats, no such device", t.netdev,
         genl(QSTATS_GET, nla(A_QSTATS_IFINDEX, u32(0x7FFFFFF0))), dump, None, errno.ENODEV),
        ("qstats, as a do", t.netdev, genl(QSTATS_GET), rq, None, errno.EOPNOTSUPP),
    ]


def test_crafted_requests_get_exact_errors(traffic: Target, clean_dmesg: None) -> None:
    t = traffic
    got = {}
    for what, fam, body, flags, length, want in crafted(t):
        reply = t.genl.raw(fam, body, flags, length)
        got[what] = reply.errno
        assert reply.errno == want, f"{what}: {reply}"
        if want not in (0, errno.EOPNOTSUPP) and "no genl header" not in what:
            # The kernel says why: a message, the offending attribute or
            # the missing one.
            assert (reply.extack_msg or reply.extack_offset is not None
                    or reply.extack_missing is not None), f"{what}: {reply}"
    assert t.genl.raw(t.ethtool, genl(XDP_SET, nla(A_XDP_STATS_ENABLED, u8(1)))).extack_missing \
        == A_XDP_HEADER
    # Toggling under traffic between requests, valid and not.
    for i in range(20):
        reply = t.genl.raw(t.ethtool, genl(XDP_SET, nest(A_XDP_HEADER, nla(
            A_HDR_DEV_INDEX, u32(t.ifindex))), nla(A_XDP_STATS_ENABLED, u8(i % 2))))
        assert reply.errno == 0, reply
    reply = t.genl.raw(t.ethtool, genl(XDP_SET, nest(A_XDP_HEADER, nla(
        A_HDR_DEV_INDEX, u32(t.ifindex))), nla(A_XDP_STATS_ENABLED, u8(1))))
    assert reply.errno == 0, reply


def mutate(rng: random.Random, body: bytes) -> bytes:
    data = bytearray(body)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(4)
        if op == 0 and data:  # flip a byte
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif op == 1 and len(data) > 4:  # truncate
            del data[rng.randrange(4, len(data)):]
        elif op == 2:  # append garbage, sometimes a lot
            data += rng.randbytes(rng.choice((1, 3, 8, 300, 4000)))
        elif op == 3 and len(data) > 8:  # corrupt an attribute length
            pos = rng.randrange(4, len(data) - 2)
            struct.pack_into("=H", data, pos, rng.randrange(65536))
    return bytes(data)


def test_random_requests_all_answered(traffic: Target, clean_dmesg: None) -> None:
    t = traffic
    rng = random.Random(SEED)
    seeds = [(fam, body, flags) for _, fam, body, flags, length, _ in crafted(t)
             if length is None and body]
    answered = {"error": 0, "reply": 0}
    for _ in range(RANDOM_REQUESTS):
        fam, body, flags = rng.choice(seeds)
        reply = t.genl.raw(fam, mutate(rng, body), flags)
        answered["error" if reply.errno else "reply"] += 1
        assert reply.errno >= 0
    assert sum(answered.values()) == RANDOM_REQUESTS
    assert answered["error"] > RANDOM_REQUESTS // 2, answered
