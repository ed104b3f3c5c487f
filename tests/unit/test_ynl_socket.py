"""NetlinkSocket's reply loop on canned datagrams: an interrupted dump
(NLM_F_DUMP_INTR) is asked again, and given up on after DUMP_ATTEMPTS."""

from __future__ import annotations

import errno
import struct

import pytest

from xdptool.ynl import runtime as rt


class CannedKernel:
    """Stands in for the socket: answers each request with the next dump,
    with the request's sequence number."""

    def __init__(self, dumps: list[tuple[bool, list[bytes]]]) -> None:
        self.dumps = dumps
        self.requests = 0
        self.seq = 0

    def send(self, data: bytes) -> int:
        self.seq = struct.unpack_from("=IHHII", data)[3]
        self.requests += 1
        return len(data)

    def recvfrom(self, size: int, flags: int) -> tuple[bytes, object]:
        interrupted, payloads = self.dumps.pop(0)
        extra = rt.NLM_F_DUMP_INTR if interrupted else 0
        out = b"".join(struct.pack("=IHHII", 16 + len(p), 0x20, rt.NLM_F_MULTI | extra,
                                   self.seq, 1) + p for p in payloads)
        out += struct.pack("=IHHIIi", 20, rt.NLMSG_DONE, rt.NLM_F_MULTI | extra, self.seq, 1, 0)
        return out, None

    def close(self) -> None:
        pass


def socket_with(kernel: CannedKernel) -> rt.NetlinkSocket:
    sock = rt.NetlinkSocket(rt.NETLINK_GENERIC)
    sock._sock.close()
    sock._sock = kernel  # type: ignore[assignment]
    return sock


def dump(sock: rt.NetlinkSocket) -> list[bytes]:
    return sock.request(0x20, rt.NLM_F_REQUEST | rt.NLM_F_DUMP, b"\x01\x01\x00\x00", op="x")


def test_interrupted_dump_is_asked_again() -> None:
    kernel = CannedKernel([(True, [b"old!"]), (False, [b"new!", b"two!"])])
    replies = dump(socket_with(kernel))
    assert [r[16:] for r in replies] == [b"new!", b"two!"]
    assert kernel.requests == 2


def test_dump_interrupted_every_time_is_an_error() -> None:
    kernel = CannedKernel([(True, [b"a!!!"])] * rt.DUMP_ATTEMPTS)
    with pytest.raises(rt.YnlError) as info:
        dump(socket_with(kernel))
    assert info.value.errno == errno.EINTR
    assert "interrupted by concurrent changes 3 times" in str(info.value)
    assert kernel.requests == rt.DUMP_ATTEMPTS
