"""A generic netlink "kernel" behind fake sockets, for tests that run xdptool's
real netlink code (runtime, generated bindings, series check, stats) down to
the bytes, and record every request it sends.

Messages are packed here with struct from the uapi numbers, independently of
the code under test:

* the controller (GENL_ID_CTRL): CTRL_CMD_GETFAMILY from a table of
  families (their ops and flags), CTRL_CMD_GETPOLICY from canned reply
  messages per op (built by :func:`policy_messages`, or captured from a
  real kernel: tests/data/genl-policy);
* a family's own requests: a handler per cmd that returns reply attribute
  payloads, or raises :class:`Errno`.

:func:`install` makes ``socket.socket(AF_NETLINK, ...)`` return these fake
sockets for the duration of a test (other sockets are real).
"""

from __future__ import annotations

import errno as errno_mod
import socket
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x2, 0x4, 0x300
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLA_F_NESTED = 0x8000
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY, CTRL_CMD_GETPOLICY = 3, 10
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_OPS, CTRL_ATTR_MCAST_GROUPS = 1, 2, 6, 7
CTRL_ATTR_POLICY, CTRL_ATTR_OP_POLICY, CTRL_ATTR_OP = 8, 9, 10
CTRL_ATTR_POLICY_DO, CTRL_ATTR_POLICY_DUMP = 1, 2
GENL_ADMIN_PERM, DO, DUMP, HASPOL = 0x1, 0x2, 0x4, 0x8
# enum netlink_attribute_type
NESTED, U8, U32, NUL_STRING, UINT = 13, 2, 4, 12, 17
# enum netlink_policy_type_attr
PT_TYPE, PT_MIN_U, PT_MAX_U, PT_MAX_LENGTH, PT_POLICY_IDX, PT_POLICY_MAXTYPE, PT_MASK = (
    1, 4, 5, 7, 8, 9, 12)
U32_MAX = 0xFFFFFFFF


# ---------------------------------------------------------------------------
# Packing


def nlattr(kind: int, payload: bytes, nested: bool = False) -> bytes:
    out = struct.pack("=HH", 4 + len(payload), kind | (NLA_F_NESTED if nested else 0))
    return out + payload + b"\0" * (-len(payload) % 4)


def nest(kind: int, *attrs: bytes) -> bytes:
    return nlattr(kind, b"".join(attrs), nested=True)


def u8(kind: int, value: int) -> bytes:
    return nlattr(kind, struct.pack("=B", value))


def u16(kind: int, value: int) -> bytes:
    return nlattr(kind, struct.pack("=H", value))


def u32(kind: int, value: int) -> bytes:
    return nlattr(kind, struct.pack("=I", value))


def u64(kind: int, value: int) -> bytes:
    return nlattr(kind, struct.pack("=Q", value))


def uint(kind: int, value: int) -> bytes:
    """nla_put_uint(): 4 bytes when the value fits, else 8."""
    return nlattr(kind, struct.pack("=I" if value <= U32_MAX else "=Q", value))


def string(kind: int, value: str) -> bytes:
    return nlattr(kind, value.encode() + b"\0")


def message(msg_type: int, cmd: int, attrs: bytes, *, flags: int = 0, seq: int = 0,
            pid: int = 0, version: int = 1) -> bytes:
    body = struct.pack("=BBH", cmd, version, 0) + attrs
    return struct.pack("=IHHII", 16 + len(body), msg_type, flags, seq, pid) + body


def done(seq: int = 0, pid: int = 0) -> bytes:
    return struct.pack("=IHHIIi", 20, NLMSG_DONE, NLM_F_MULTI, seq, pid, 0)


def error(request: bytes, code: int, extack: str | None = None, pid: int = 0) -> bytes:
    """NLMSG_ERROR for ``request`` (capped: its header only), code 0 = ACK."""
    seq = struct.unpack_from("=IHHII", request)[3]
    tlvs = b"" if extack is None else string(1, extack)
    flags = NLM_F_CAPPED | (NLM_F_ACK_TLVS if tlvs else 0)
    body = struct.pack("=i", code) + request[:16] + tlvs
    return struct.pack("=IHHII", 16 + len(body), NLMSG_ERROR, flags, seq, pid) + body


def attrs_of(data: bytes) -> Iterator[tuple[int, bytes]]:
    offset = 0
    while offset + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, offset)
        if length < 4:
            return
        yield kind & 0x3FFF, data[offset + 4 : offset + length]
        offset += (length + 3) & ~3


def attr_dict(data: bytes) -> dict[int, bytes]:
    return dict(attrs_of(data))


def messages(data: bytes) -> Iterator[bytes]:
    offset = 0
    while offset + 16 <= len(data):
        (length,) = struct.unpack_from("=I", data, offset)
        yield data[offset : offset + length]
        offset += (length + 3) & ~3


# ---------------------------------------------------------------------------
# Policies, as the kernel writes them (net/netlink/policy.c)


@dataclass(frozen=True)
class Pol:
    """One attribute of a policy: NL_ATTR_TYPE_* and what the kernel states with it."""

    type: int
    min: int | None = None
    max: int | None = None
    mask: int | None = None
    max_length: int | None = None
    policy_idx: int | None = None
    maxtype: int | None = None

    def encode(self, attr: int) -> bytes:
        inner = b""
        if self.policy_idx is not None:
            inner += u32(PT_POLICY_IDX, self.policy_idx) + u32(PT_POLICY_MAXTYPE,
                                                               self.maxtype or 0)
        if self.mask is not None:
            inner += u64(PT_MASK, self.mask)
        if self.min is not None:
            inner += u64(PT_MIN_U, self.min)
        if self.max is not None:
            inner += u64(PT_MAX_U, self.max)
        if self.max_length is not None:
            inner += u32(PT_MAX_LENGTH, self.max_length)
        inner += u32(PT_TYPE, self.type)
        return nlattr(attr, inner, nested=True)


Policies = Mapping[int, Mapping[int, Pol]]


def policy_messages(family_id: int, cmd: int, policies: Policies, do: int | None,
                    dump: int | None) -> list[bytes]:
    """The CTRL_CMD_GETPOLICY reply messages for one op (seq and pid 0; the fake
    socket fills them in): the op's policy indices, then one message per
    attribute of each policy."""
    modes = b""
    if do is not None:
        modes += u32(CTRL_ATTR_POLICY_DO, do)
    if dump is not None:
        modes += u32(CTRL_ATTR_POLICY_DUMP, dump)
    fam = u16(CTRL_ATTR_FAMILY_ID, family_id)
    out = [message(GENL_ID_CTRL, CTRL_CMD_GETPOLICY,
                   fam + nest(CTRL_ATTR_OP_POLICY, nest(cmd, modes)),
                   flags=NLM_F_MULTI, version=2)]
    for idx, table in sorted(policies.items()):
        for attr, pol in sorted(table.items()):
            out.append(message(GENL_ID_CTRL, CTRL_CMD_GETPOLICY,
                               fam + nest(CTRL_ATTR_POLICY, nest(idx, pol.encode(attr))),
                               flags=NLM_F_MULTI, version=2))
    return out


def relabel_policy(data: bytes, cmd: int) -> list[bytes]:
    """Captured GETPOLICY reply messages (NLMSG_DONE dropped) with the op in
    CTRL_ATTR_OP_POLICY relabelled ``cmd``: another op's policy, as if
    message ``cmd`` were that op."""
    out = []
    for raw in messages(data):
        kind = struct.unpack_from("=IH", raw)[1]
        if kind != GENL_ID_CTRL:
            continue
        attrs = b""
        for num, payload in attrs_of(raw[20:]):
            if num == CTRL_ATTR_OP_POLICY:
                ((_, modes),) = attrs_of(payload)
                payload = nest(cmd, modes)
                attrs += nlattr(num, payload, nested=True)
            elif num == CTRL_ATTR_POLICY:
                attrs += nlattr(num, payload, nested=True)
            else:
                attrs += nlattr(num, payload)
        out.append(message(GENL_ID_CTRL, raw[16], attrs, flags=NLM_F_MULTI, version=raw[17]))
    return out


# The series' request policies (net/ethtool/xdp.c on its 6.12 base):
# ethnl_header_policy{,_stats} (dev-index u32, dev-name NLA_NUL_STRING of
# ALTIFNAMSIZ - 1, flags masked by ETHTOOL_FLAGS_BASIC 0x3 or _STATS 0x7).
def header_policy(flags_mask: int) -> dict[int, Pol]:
    return {1: Pol(U32, min=0, max=U32_MAX), 2: Pol(NUL_STRING, max_length=127),
            3: Pol(U32, mask=flags_mask)}


SERIES_XDP_GET: dict[int, dict[int, Pol]] = {
    0: {1: Pol(NESTED, policy_idx=1, maxtype=3)},
    1: header_policy(0x7),
}
SERIES_XDP_SET: dict[int, dict[int, Pol]] = {
    0: {1: Pol(NESTED, policy_idx=1, maxtype=3), 2: Pol(U8, min=0, max=1)},
    1: header_policy(0x3),
}
# With the XDP TX patches: xdp-set's tx nest (mode, an enum of two values;
# selection, of three; count any u32; max-count and target read-only, beyond
# maxtype).
SERIES_XDP_SET_TX: dict[int, dict[int, Pol]] = {
    0: {**SERIES_XDP_SET[0], 4: Pol(NESTED, policy_idx=2, maxtype=3)},
    1: header_policy(0x3),
    2: {1: Pol(U32, min=0, max=1), 2: Pol(U32, min=0, max=U32_MAX), 3: Pol(U32, min=0, max=2)},
}
# The policy patch adds two enums: feature-check (off|enforce), implicit-generic (allow|deny).
SERIES_XDP_SET_POLICY: dict[int, dict[int, Pol]] = {
    **SERIES_XDP_SET_TX,
    0: {**SERIES_XDP_SET_TX[0], 5: Pol(U32, min=0, max=1), 6: Pol(U32, min=0, max=1)},
}
# ETHTOOL_MSG_XDP_GET: .doit and .dumpit; _XDP_SET: .doit, GENL_ADMIN_PERM.
SERIES_OPS = {200: DO | DUMP | HASPOL, 201: DO | HASPOL | GENL_ADMIN_PERM}


# ---------------------------------------------------------------------------
# The fake kernel


class Errno(Exception):
    """Raised by a handler: the kernel answers NLMSG_ERROR -code (with extack)."""

    def __init__(self, code: int, extack: str | None = None) -> None:
        super().__init__(code, extack)
        self.code = code
        self.extack = extack


# handler(attrs of the request, dump) -> attribute payloads of the reply messages
Handler = Callable[[dict[int, bytes], bool], Sequence[bytes]]


@dataclass
class Family:
    name: str
    id: int
    ops: dict[int, int]  # cmd -> CTRL_ATTR_OP_FLAGS
    policies: dict[int, list[bytes]] = field(default_factory=dict)  # cmd -> GETPOLICY replies
    handlers: dict[int, Handler] = field(default_factory=dict)
    reply_cmd: dict[int, int] = field(default_factory=dict)  # request cmd -> reply cmd
    mcast_groups: dict[str, int] = field(default_factory=dict)


@dataclass
class Sent:
    """One request as the kernel received it."""

    msg_type: int
    flags: int
    cmd: int
    attrs: dict[int, bytes]
    raw: bytes


class FakeKernel:
    def __init__(self, *families: Family) -> None:
        self.families = {f.name: f for f in families}
        self.sent: list[Sent] = []
        self.sockets: list[FakeSocket] = []

    def by_id(self, family_id: int) -> Family | None:
        return next((f for f in self.families.values() if f.id == family_id), None)

    def sent_to(self, family: str) -> list[Sent]:
        """Requests sent to a family itself (not to the controller)."""
        fid = self.families[family].id
        return [s for s in self.sent if s.msg_type == fid]

    def answer(self, request: bytes) -> list[bytes]:
        _, msg_type, flags, seq, _ = struct.unpack_from("=IHHII", request)
        cmd = request[16]
        attrs = attr_dict(request[20:])
        self.sent.append(Sent(msg_type, flags, cmd, attrs, request))
        dump = flags & NLM_F_DUMP == NLM_F_DUMP
        try:
            if msg_type == GENL_ID_CTRL:
                replies = self._ctrl(cmd, attrs)
            else:
                replies = self._family(msg_type, cmd, attrs, dump)
        except Errno as err:
            return [error(request, -err.code, err.extack)]
        out = [reply[:8] + struct.pack("=I", seq) + reply[12:] for reply in replies]
        if dump:
            out.append(done(seq))
        elif flags & NLM_F_ACK:
            out.append(error(request, 0))
        return out

    def _ctrl(self, cmd: int, attrs: dict[int, bytes]) -> list[bytes]:
        if cmd == CTRL_CMD_GETFAMILY:
            name = attrs[CTRL_ATTR_FAMILY_NAME].rstrip(b"\0").decode()
            fam = self.families.get(name)
            if fam is None:
                raise Errno(errno_mod.ENOENT)
            ops = b"".join(nest(i, u32(1, op), u32(2, flags))
                           for i, (op, flags) in enumerate(sorted(fam.ops.items()), 1))
            groups = b"".join(nest(i, string(1, gname), u32(2, gid))
                              for i, (gname, gid) in enumerate(fam.mcast_groups.items(), 1))
            body = (u16(CTRL_ATTR_FAMILY_ID, fam.id) + string(CTRL_ATTR_FAMILY_NAME, fam.name)
                    + nest(CTRL_ATTR_OPS, ops)
                    + (nest(CTRL_ATTR_MCAST_GROUPS, groups) if groups else b""))
            return [message(GENL_ID_CTRL, 1, body, version=2)]  # CTRL_CMD_NEWFAMILY
        if cmd == CTRL_CMD_GETPOLICY:
            (fid,) = struct.unpack("=H", attrs[CTRL_ATTR_FAMILY_ID][:2])
            (op,) = struct.unpack("=I", attrs[CTRL_ATTR_OP])
            fam = self.by_id(fid)
            if fam is None or op not in fam.ops:
                raise Errno(errno_mod.ENOENT)
            if op not in fam.policies:
                raise Errno(errno_mod.ENODATA)
            return list(fam.policies[op])
        raise Errno(errno_mod.EOPNOTSUPP)

    def _family(self, msg_type: int, cmd: int, attrs: dict[int, bytes],
                dump: bool) -> list[bytes]:
        fam = self.by_id(msg_type)
        if fam is None:
            raise Errno(errno_mod.ENOENT)
        flags = fam.ops.get(cmd)
        if flags is None or not flags & (DUMP if dump else DO) or cmd not in fam.handlers:
            raise Errno(errno_mod.EOPNOTSUPP)
        reply = fam.reply_cmd.get(cmd, cmd)
        return [message(fam.id, reply, payload, flags=NLM_F_MULTI if dump else 0)
                for payload in fam.handlers[cmd](attrs, dump)]


class FakeSocket:
    """Stands in for socket.socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC)."""

    def __init__(self, kernel: FakeKernel) -> None:
        self.kernel = kernel
        self.pending: list[bytes] = []
        self.closed = False

    def setsockopt(self, *args: Any) -> None:
        pass

    def bind(self, addr: Any) -> None:
        pass

    def fileno(self) -> int:
        return -1

    def send(self, data: bytes) -> int:
        assert not self.closed
        self.pending.append(b"".join(self.kernel.answer(data)))
        return len(data)

    def recvfrom(self, size: int, flags: int = 0) -> tuple[bytes, Any]:
        assert self.pending, "recv with nothing to receive: the request was not answered"
        return self.pending.pop(0), None

    def close(self) -> None:
        self.closed = True


def install(monkeypatch: pytest.MonkeyPatch, kernel: FakeKernel) -> None:
    """Make every AF_NETLINK socket a fake socket of ``kernel`` during the test."""
    real = socket.socket

    def factory(family: int = -1, type: int = -1, proto: int = -1, *args: Any) -> Any:
        if family == socket.AF_NETLINK:
            sock = FakeSocket(kernel)
            kernel.sockets.append(sock)
            return sock
        return real(family, type, proto, *args)

    monkeypatch.setattr(socket, "socket", factory)


class FakeSeriesFamily:
    """A fake of the series' ethtool family: what series.verify() asks (the
    ops and the request policies of 200 and 201, with xdp-set's ``set_policy``),
    and how many sockets are open. Tests add xdp_get/xdp_set."""

    def __init__(self, set_policy: Mapping[int, Mapping[int, Pol]]) -> None:
        from xdptool.ynl import runtime as rt

        self.policies = {
            200: rt.parse_policy(policy_messages(21, 200, SERIES_XDP_GET, 0, 0), 200),
            201: rt.parse_policy(policy_messages(21, 201, set_policy, 0, None), 201),
        }
        self.open_sockets = 0

    def __call__(self) -> Any:
        self.open_sockets += 1
        return self

    def close(self) -> None:
        self.open_sockets -= 1

    def kernel_ops(self) -> dict[int, int]:
        return dict(SERIES_OPS)

    def get_policy(self, op: str | int) -> Any:
        return self.policies[int(op)]
