# SPDX-License-Identifier: GPL-2.0-only
"""Hand-written runtime for the bindings generated from ynl-specs/.

The modules in :mod:`xdptool.ynl.generated` are produced by
``scripts/ynl-gen-python``; they hold everything that comes from a spec (enums,
pyroute2 message classes, dataclasses, one family class). This module holds
what is the same for every family:

* the error types (:class:`YnlError`, :class:`FamilyNotFoundError`,
  :class:`YnlDecodeError`);
* base classes for spec enums and flags that know their spec names and keep
  values a newer kernel may send (``bit-N`` / ``value-N``);
* the transport, :class:`YnlSocket`, a thin layer over pyroute2's
  ``GenericNetlinkSocket`` with extended ACK reporting enabled;
* helpers the generated code calls to decode and encode attributes, and to
  split raw netlink bytes (used by the tests on captured replies).

pyroute2 decodes the generic netlink header and the attributes; this module
never parses YAML.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import errno as errno_mod
import os
import struct
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Self, TypeVar

from pyroute2.netlink import (  # type: ignore[import-untyped]
    CTRL_CMD_GETFAMILY,
    GENL_ID_CTRL,
    ctrlmsg,
    genlmsg,
    nla,
    nla_base_string,
)
from pyroute2.netlink.exceptions import NetlinkError  # type: ignore[import-untyped]
from pyroute2.netlink.generic import GenericNetlinkSocket  # type: ignore[import-untyped]

__all__ = [
    "FamilyNotFoundError",
    "GenlMessage",
    "NestedAttrs",
    "YnlDecodeError",
    "YnlEnum",
    "YnlError",
    "YnlFamily",
    "YnlFlags",
    "YnlSocket",
    "decode_as",
    "encode_message",
    "genl_cmd",
    "parse_error",
    "split_messages",
    "to_spec_dict",
]

T = TypeVar("T")

# <linux/netlink.h>
NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSG_HDRLEN = 16
GENL_HDRLEN = 4
NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
NETLINK_EXT_ACK = 11
NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2
NLMSGERR_ATTR_MISS_TYPE = 5
NLMSGERR_ATTR_MISS_NEST = 6
NLA_TYPE_MASK = 0x3FFF
# <linux/genetlink.h>: CTRL_ATTR_OP_FLAGS bits
GENL_ADMIN_PERM = 0x01
GENL_CMD_CAP_DO = 0x02
GENL_CMD_CAP_DUMP = 0x04
GENL_CMD_CAP_HASPOL = 0x08
GENL_UNS_ADMIN_PERM = 0x10

_NLMSGHDR = struct.Struct("=IHHII")
_NLATTR = struct.Struct("=HH")


# ---------------------------------------------------------------------------
# Errors


class YnlError(Exception):
    """The kernel refused a request (or the reply made no sense).

    ``errno`` is the positive error number (``errno.EPERM`` when the caller
    lacks CAP_NET_ADMIN), ``message`` the strerror text and ``extack`` the
    kernel's extended ACK message, or None when the kernel gave none.
    """

    def __init__(
        self,
        errno: int,
        message: str | None = None,
        extack: str | None = None,
        *,
        op: str | None = None,
        miss_type: int | None = None,
        miss_attr: str | None = None,
        bad_attr_offset: int | None = None,
    ) -> None:
        self.errno = errno
        self.message = message if message is not None else os.strerror(errno)
        self.extack = extack or None
        self.op = op
        self.miss_type = miss_type
        self.miss_attr = miss_attr
        self.bad_attr_offset = bad_attr_offset
        super().__init__(errno, self.message, self.extack)

    @property
    def is_permission_error(self) -> bool:
        """True for EPERM/EACCES: the operation needs CAP_NET_ADMIN."""
        return self.errno in (errno_mod.EPERM, errno_mod.EACCES)

    @property
    def is_unsupported(self) -> bool:
        """True when the kernel does not implement the operation."""
        return self.errno in (errno_mod.EOPNOTSUPP, errno_mod.ENOTSUP)

    def __str__(self) -> str:
        text = self.message
        if self.extack:
            text = f"{text}: {self.extack}"
        if self.miss_attr is not None:
            text = f"{text} (missing attribute: {self.miss_attr})"
        elif self.miss_type is not None:
            text = f"{text} (missing attribute type {self.miss_type})"
        if self.op:
            text = f"{self.op}: {text}"
        return text


class FamilyNotFoundError(YnlError):
    """The running kernel does not have this generic netlink family."""

    def __init__(self, family: str) -> None:
        super().__init__(errno_mod.ENOENT, f"generic netlink family {family!r} not found")
        self.family = family


class YnlDecodeError(YnlError):
    """A reply did not match the spec (e.g. a required attribute is missing)."""

    def __init__(self, message: str) -> None:
        super().__init__(errno_mod.EBADMSG, message)


# ---------------------------------------------------------------------------
# Enums and flags from spec definitions


class _SpecTables:
    """Names and docs of the values, from the spec; generated subclasses
    override both."""

    @classmethod
    def _spec_names(cls) -> Mapping[int, str]:
        return {}

    @classmethod
    def _spec_docs(cls) -> Mapping[int, str]:
        return {}


class YnlFlags(_SpecTables, enum.IntFlag):
    """Base of generated ``flags`` definitions.

    Values keep unknown bits (``enum.IntFlag`` boundary KEEP), so a newer
    kernel's bits survive decoding; :meth:`names` renders them as ``bit-N``.
    Subclasses provide :meth:`_spec_names` and :meth:`_spec_docs`.
    """

    @classmethod
    def names(cls, value: int) -> list[str]:
        """Spec names of the bits set in ``value``, lowest bit first.

        Bits the spec does not define are kept as ``bit-N``.
        """
        spec = cls._spec_names()
        raw = int(value)
        if raw < 0:
            raise ValueError(f"negative flags value {raw}")
        out = []
        for bit in range(raw.bit_length()):
            mask = 1 << bit
            if raw & mask:
                out.append(spec.get(mask, f"bit-{bit}"))
        return out

    @classmethod
    def from_names(cls, names: Sequence[str]) -> Self:
        """Inverse of :meth:`names` (accepts ``bit-N`` too)."""
        by_name = {name: mask for mask, name in cls._spec_names().items()}
        value = 0
        for name in names:
            if name in by_name:
                value |= by_name[name]
            elif name.startswith("bit-") and name[4:].isdigit():
                value |= 1 << int(name[4:])
            else:
                raise ValueError(f"{cls.__name__}: unknown flag {name!r}")
        return cls(value)

    @property
    def spec_name(self) -> str:
        """Spec name of this flag ("ndo-xmit"); several flags are joined by ','."""
        return ",".join(self.names(self))

    @property
    def doc(self) -> str:
        """Spec documentation of a single flag ('' if none)."""
        return self._spec_docs().get(int(self), "")


class YnlEnum(_SpecTables, enum.IntEnum):
    """Base of generated ``enum`` definitions.

    Unknown values (from a newer kernel) decode to a pseudo-member named
    ``value-N`` instead of raising.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, int) and not isinstance(value, bool):
            member = int.__new__(cls, value)
            member._name_ = f"value-{value}"
            member._value_ = value
            return member
        return None

    @classmethod
    def from_name(cls, name: str) -> Self:
        """Member for a spec name ("rx"); ``value-N`` is accepted too."""
        for value, spec in cls._spec_names().items():
            if spec == name:
                return cls(value)
        if name.startswith("value-") and name[6:].isdigit():
            return cls(int(name[6:]))
        raise ValueError(f"{cls.__name__}: unknown value {name!r}")

    @property
    def spec_name(self) -> str:
        """Spec name of this value, ``value-N`` for values the spec lacks."""
        return self._spec_names().get(int(self), f"value-{int(self)}")

    @property
    def doc(self) -> str:
        """Spec documentation of this value ('' if none)."""
        return self._spec_docs().get(int(self), "")


# ---------------------------------------------------------------------------
# pyroute2 attribute types not in pyroute2 itself


class _VarUint(nla_base_string):  # type: ignore[misc]
    """YNL ``uint``: an unsigned integer sent as 4 or 8 bytes (NLA_UINT)."""

    signed = False

    def ft_encode(self, offset: int) -> Any:
        value = int(self["value"])
        lo, hi = (-(1 << 31), 1 << 31) if self.signed else (0, 1 << 32)
        size = 4 if lo <= value < hi else 8
        self["value"] = value.to_bytes(size, sys.byteorder, signed=self.signed)
        return super().ft_encode(offset)

    def decode(self) -> None:
        super().decode()
        self.value = int.from_bytes(self["value"], sys.byteorder, signed=self.signed)


class _VarSint(_VarUint):
    """YNL ``sint``: a signed integer sent as 4 or 8 bytes (NLA_SINT)."""

    signed = True


class _YnlAtoms:
    """Attribute types the generated nla_map may name besides pyroute2's own."""

    __slots__ = ()
    ynl_uint = _VarUint
    ynl_sint = _VarSint


class GenlMessage(_YnlAtoms, genlmsg):  # type: ignore[misc]
    """Base of generated top-level messages (a ``pyroute2.netlink.genlmsg``)."""

    __slots__ = ()


class NestedAttrs(_YnlAtoms, nla):  # type: ignore[misc]
    """Base of generated nested attribute sets (a ``pyroute2.netlink.nla``)."""

    __slots__ = ()


class _RawGenlMessage(genlmsg):  # type: ignore[misc]
    """What the socket decodes first: just the genl header, attributes later."""

    __slots__ = ()
    nla_map = ()


# ---------------------------------------------------------------------------
# Decoding and encoding helpers called by the generated code

# A decoded pyroute2 message or nested attribute (anything with get_attr()).
Attrs = Any


def required(msg: Attrs, name: str, conv: Callable[[Any], T], where: str) -> T:
    """Value of a required attribute, converted; YnlDecodeError when absent."""
    value = msg.get_attr(name)
    if value is None:
        raise YnlDecodeError(f"{where}: kernel reply lacks required attribute {name}")
    return conv(value)


def optional(msg: Attrs, name: str, conv: Callable[[Any], T]) -> T | None:
    """Value of an attribute, converted, or None when the kernel did not send it."""
    value = msg.get_attr(name)
    return None if value is None else conv(value)


def flag(msg: Attrs, name: str) -> bool:
    """True when a ``flag`` attribute is present."""
    return msg.get_attr(name) is not None


def multi(msg: Attrs, name: str, conv: Callable[[Any], T]) -> tuple[T, ...]:
    """All values of a ``multi-attr`` attribute, converted, in wire order."""
    return tuple(conv(value) for value in msg.get_attrs(name) if value is not None)


def to_str(value: Any) -> str:
    """A ``string`` attribute (pyroute2 leaves invalid UTF-8 as bytes)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


def to_bytes(value: Any) -> bytes:
    """A ``binary`` attribute."""
    if isinstance(value, str):
        return value.encode()
    return bytes(value)


AttrList = list[tuple[str, object]]


def _wire(value: object) -> object:
    if isinstance(value, enum.Enum):
        return int(value.value)
    return value


def put(attrs: AttrList, name: str, value: object) -> None:
    """Append a scalar attribute unless ``value`` is None."""
    if value is not None:
        attrs.append((name, _wire(value)))


def put_flag(attrs: AttrList, name: str, value: bool | None) -> None:
    """Append a ``flag`` attribute when ``value`` is true."""
    if value:
        attrs.append((name, True))


def put_nest(attrs: AttrList, name: str, value: Any) -> None:
    """Append a nested attribute set built from a generated dataclass."""
    if value is not None:
        attrs.append((name, {"attrs": value.to_attrs()}))


def put_multi(attrs: AttrList, name: str, values: Sequence[object] | None) -> None:
    """Append one attribute per value (``multi-attr``)."""
    for value in values or ():
        attrs.append((name, _wire(value)))


def put_multi_nest(attrs: AttrList, name: str, values: Sequence[Any] | None) -> None:
    """Append one nested attribute set per dataclass value (``multi-attr`` nest)."""
    for value in values or ():
        attrs.append((name, {"attrs": value.to_attrs()}))


def new_request(msg_class: type[T], cmd: int, attrs: AttrList, version: int = 1) -> T:
    """A request message (genl header + attributes), not yet encoded."""
    cls: Any = msg_class
    msg = cls()
    msg["cmd"] = cmd
    msg["version"] = version
    msg["reserved"] = 0
    msg["attrs"] = [list(attr) for attr in attrs]
    return msg  # type: ignore[no-any-return]


def encode_message(
    msg: Any, *, msg_type: int, flags: int = NLM_F_REQUEST, seq: int = 0, pid: int = 0
) -> bytes:
    """Encode a request to the bytes that go on the wire (for tests and tools)."""
    msg["header"]["type"] = msg_type
    msg["header"]["flags"] = flags
    msg["header"]["sequence_number"] = seq
    msg["header"]["pid"] = pid
    msg.reset()
    msg.encode()
    return bytes(msg.data)


def decode_as(msg_class: type[T], raw: bytes) -> T:
    """Decode one raw generic netlink message (header included) with msg_class."""
    cls: Any = msg_class
    msg = cls(bytes(raw))
    msg.decode()
    return msg  # type: ignore[no-any-return]


def genl_cmd(raw: bytes) -> int:
    """The generic netlink ``cmd`` of one raw message."""
    if len(raw) < NLMSG_HDRLEN + GENL_HDRLEN:
        raise YnlDecodeError(f"message too short for a genl header ({len(raw)} bytes)")
    return raw[NLMSG_HDRLEN]


def _iter_nlattrs(data: bytes, offset: int, end: int) -> Iterator[tuple[int, bytes]]:
    while offset + _NLATTR.size <= end:
        length, kind = _NLATTR.unpack_from(data, offset)
        if length < _NLATTR.size or offset + length > end:
            break
        yield kind & NLA_TYPE_MASK, data[offset + _NLATTR.size : offset + length]
        offset += (length + 3) & ~3


def parse_error(
    raw: bytes, attr_names: Mapping[int, str] | None = None, op: str | None = None
) -> YnlError | None:
    """Decode an NLMSG_ERROR (or an NLMSG_DONE carrying an error).

    Returns None for a positive ACK, else a YnlError with the extended ACK
    message and the missing-attribute type when the kernel reported them.
    """
    length, kind, flags, _seq, _pid = _NLMSGHDR.unpack_from(raw, 0)
    (error,) = struct.unpack_from("=i", raw, NLMSG_HDRLEN)
    if error == 0:
        return None
    extack = None
    miss_type = None
    offs = None
    if flags & NLM_F_ACK_TLVS:
        offset = NLMSG_HDRLEN + 4
        if kind == NLMSG_ERROR:
            # struct nlmsgerr: the request's nlmsghdr, plus its payload
            # unless the kernel capped it.
            (orig_len,) = struct.unpack_from("=I", raw, offset)
            offset += NLMSG_HDRLEN if flags & NLM_F_CAPPED else (orig_len + 3) & ~3
        for attr_type, payload in _iter_nlattrs(raw, offset, min(length, len(raw))):
            if attr_type == NLMSGERR_ATTR_MSG:
                extack = payload.split(b"\0", 1)[0].decode("utf-8", "replace")
            elif attr_type == NLMSGERR_ATTR_MISS_TYPE and len(payload) >= 4:
                (miss_type,) = struct.unpack_from("=I", payload)
            elif attr_type == NLMSGERR_ATTR_OFFS and len(payload) >= 4:
                (offs,) = struct.unpack_from("=I", payload)
    miss_attr = None
    if miss_type is not None and attr_names is not None:
        miss_attr = attr_names.get(miss_type)
    return YnlError(
        -error,
        extack=extack,
        op=op,
        miss_type=miss_type,
        miss_attr=miss_attr,
        bad_attr_offset=offs,
    )


def split_messages(
    data: bytes,
    family_id: int | None = None,
    attr_names: Mapping[int, str] | None = None,
    op: str | None = None,
) -> list[bytes]:
    """Split a netlink datagram (or several, concatenated) into raw messages.

    Keeps the family's messages (all non-control messages when family_id is
    None), drops ACKs and NOOPs, stops at NLMSG_DONE and raises YnlError for
    an error message.
    """
    out = []
    offset = 0
    while offset + NLMSG_HDRLEN <= len(data):
        length, kind, _flags, _seq, _pid = _NLMSGHDR.unpack_from(data, offset)
        if length < NLMSG_HDRLEN or offset + length > len(data):
            raise YnlDecodeError(f"truncated netlink message at offset {offset}")
        raw = data[offset : offset + length]
        offset += (length + 3) & ~3
        if kind in (NLMSG_ERROR, NLMSG_DONE):
            err = parse_error(raw, attr_names, op) if length >= NLMSG_HDRLEN + 4 else None
            if err is not None:
                raise err
            if kind == NLMSG_DONE:
                break
            continue
        if kind == NLMSG_NOOP or kind < 0x10:
            continue
        if family_id is None or kind == family_id:
            out.append(bytes(raw))
    return out


def raw_bytes(msg: Any) -> bytes:
    """The raw bytes of a message pyroute2 has parsed out of a datagram."""
    start = msg.offset
    return bytes(msg.data[start : start + msg["header"]["length"]])


def to_spec_dict(obj: Any) -> Any:
    """A generated dataclass as JSON-ready data keyed by spec names.

    Flags become lists of spec names, enums their spec name, nested sets
    dicts, and attributes the kernel did not send are left out; the result
    looks like the kernel's ``ynl`` CLI output.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {}
        for field in dataclasses.fields(obj):
            value = getattr(obj, field.name)
            if value is None or (field.metadata.get("ynl-multi") and not value):
                continue
            if field.metadata.get("ynl-type") == "flag" and not value:
                continue
            out[field.metadata.get("ynl-name", field.name)] = to_spec_dict(value)
        return out
    if isinstance(obj, YnlFlags):
        return obj.names(obj)
    if isinstance(obj, YnlEnum):
        return obj.spec_name
    if isinstance(obj, tuple | list):
        return [to_spec_dict(item) for item in obj]
    if isinstance(obj, bytes):
        return obj.hex()
    return obj


# ---------------------------------------------------------------------------
# Transport


class YnlSocket:
    """A generic netlink socket bound to one family (pyroute2 underneath).

    Extended ACK reporting (NETLINK_EXT_ACK) is enabled, so errors carry the
    kernel's message. ``netns`` names a network namespace (as in
    ``ip netns``) to talk to instead of the caller's; it must exist.
    """

    def __init__(self, family: str, *, netns: str | None = None) -> None:
        self.family = family
        kwargs: dict[str, Any] = {"ext_ack": True}
        if netns is not None:
            kwargs.update(netns=netns, flags=0)
        try:
            self._sock: Any = GenericNetlinkSocket(**kwargs)
        except OSError as err:
            if netns is None:
                raise
            code = err.errno or errno_mod.EINVAL
            raise YnlError(
                code, f"cannot open a netlink socket in netns {netns!r}: {os.strerror(code)}"
            ) from err
        try:
            self._sock.asyncore.module_err_level = "debug"
            # Let pyroute2 hand us the raw error message, so that we parse
            # the extended ACK ourselves (missing-attribute type included).
            self._sock.asyncore.exception_factory = self._exception_from_reply
            self._error_ctx: tuple[Mapping[int, str] | None, str | None] = (None, None)
            self._sock.bind(family, _RawGenlMessage)
        except NetlinkError as err:
            self._sock.close()
            if err.code == errno_mod.ENOENT:
                raise FamilyNotFoundError(family) from None
            raise self._convert(err, None) from None
        except BaseException:
            self._sock.close()
            raise
        self.family_id: int = self._sock.prid
        self.mcast_groups: dict[str, int] = dict(self._sock.mcast_groups)
        self._kernel_ops: dict[int, int] | None = None
        self._closed = False

    def _exception_from_reply(self, error: Exception, msg: Any) -> Exception:
        attr_names, op = self._error_ctx
        try:
            err = parse_error(raw_bytes(msg), attr_names, op)
        except Exception:  # pragma: no cover - defensive: fall back to pyroute2's view
            err = None
        if err is None:
            return self._convert(error, op)
        return err

    @staticmethod
    def _convert(error: Exception, op: str | None) -> Exception:
        if isinstance(error, NetlinkError):
            code = int(error.code)
            text = error.args[1] if len(error.args) > 1 else None
            extack = text if text and text != os.strerror(code) else None
            return YnlError(code, extack=extack, op=op)
        return error

    def request(
        self,
        msg: Any,
        *,
        dump: bool,
        ack: bool = False,
        op: str | None = None,
        attr_names: Mapping[int, str] | None = None,
    ) -> list[bytes]:
        """Send one request; return the raw reply messages of this family.

        ``dump`` sends NLM_F_DUMP; ``ack`` asks for an ACK (use it for ``do``
        operations without a reply, so that success is confirmed). Raises
        YnlError with the kernel's errno and extended ACK message.
        """
        flags = NLM_F_REQUEST | (NLM_F_DUMP if dump else 0) | (NLM_F_ACK if ack else 0)
        self._error_ctx = (attr_names, op)
        try:
            replies = self._sock.nlm_request(msg, msg_type=self.family_id, msg_flags=flags)
            return [
                raw_bytes(reply)
                for reply in replies
                if reply["header"].get("type") == self.family_id
            ]
        except NetlinkError as err:
            raise self._convert(err, op) from None
        finally:
            self._error_ctx = (None, None)

    def kernel_ops(self) -> dict[int, int]:
        """The family's operations as the running kernel registered them.

        Maps each request cmd to its ``CTRL_ATTR_OP_FLAGS`` (``GENL_CMD_CAP_DO``,
        ``GENL_CMD_CAP_DUMP``, ``GENL_ADMIN_PERM``, ...), from one
        ``CTRL_CMD_GETFAMILY`` request; cached.
        """
        if self._kernel_ops is None:
            msg = ctrlmsg()
            msg["cmd"] = CTRL_CMD_GETFAMILY
            msg["version"] = 1
            msg["attrs"] = [["CTRL_ATTR_FAMILY_NAME", self.family]]
            try:
                replies = self._sock.nlm_request(
                    msg, msg_type=GENL_ID_CTRL, msg_flags=NLM_F_REQUEST
                )
            except NetlinkError as err:
                raise self._convert(err, "getfamily") from None
            ops: dict[int, int] = {}
            for reply in replies:
                for op in reply.get_attr("CTRL_ATTR_OPS") or ():
                    cmd = op.get_attr("CTRL_ATTR_OP_ID")
                    if cmd is not None:
                        ops[int(cmd)] = int(op.get_attr("CTRL_ATTR_OP_FLAGS") or 0)
            self._kernel_ops = ops
        return dict(self._kernel_ops)

    def subscribe(self, group: str) -> None:
        """Join a multicast group of the family by its spec name."""
        if group not in self.mcast_groups:
            raise YnlError(
                errno_mod.ENOENT,
                f"family {self.family!r} has no multicast group {group!r} on this kernel",
            )
        self._sock.add_membership(group)

    def notifications(self, timeout: float | None = None) -> Iterator[bytes]:
        """Raw messages of this family that are not replies (seq 0).

        Stops after ``timeout`` seconds in total (never when None) or when
        the socket is closed.
        """
        core = self._sock.asyncore
        loop = core.event_loop
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
            try:
                data = loop.run_until_complete(
                    asyncio.wait_for(core.msg_queue.get(0), remaining)
                )
            except TimeoutError:
                return
            if not data:
                return
            # Multicast messages have seq 0; stale ACKs also land in queue 0.
            yield from split_messages(data, self.family_id)

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if not getattr(self, "_closed", True):
            self._closed = True
            self._sock.close()


class YnlFamily:
    """Base of the generated family classes: owns one :class:`YnlSocket`.

    Use as a context manager, or call :meth:`close`.
    """

    family_name: ClassVar[str] = ""
    mcast_groups: ClassVar[tuple[str, ...]] = ()
    # Spec operation name -> (request cmd, reply/notification cmd), and the
    # modes ("do", "dump") the spec gives it; set by the generated subclass.
    op_ids: ClassVar[Mapping[str, tuple[int | None, int | None]]] = {}
    op_modes: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __init__(self, *, netns: str | None = None, sock: YnlSocket | None = None) -> None:
        self._sock = sock if sock is not None else YnlSocket(self.family_name, netns=netns)

    @property
    def family_id(self) -> int:
        """The numeric generic netlink id the kernel gave the family."""
        return self._sock.family_id

    def close(self) -> None:
        """Close the netlink socket."""
        self._sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def kernel_supports(self, *ops: str) -> bool:
        """True when the running kernel implements every named operation as the spec says.

        An operation counts as implemented when the kernel registered its
        request cmd with exactly the spec's modes (``do`` and/or ``dump``), per
        ``CTRL_CMD_GETFAMILY``. The id alone proves nothing for families that
        number their commands in one growing enum (ethtool): a kernel without
        the operation may use the same id for another one. Raises ValueError
        for names the spec lacks and for notifications (no request cmd).
        """
        kernel = self._sock.kernel_ops()
        for name in ops:
            if name not in self.op_ids:
                raise ValueError(f"{self.family_name}: no operation {name!r} in the spec")
            req, _ = self.op_ids[name]
            modes = self.op_modes.get(name, ())
            if req is None or not modes:
                raise ValueError(f"{self.family_name}: {name!r} is not a do/dump operation")
            flags = kernel.get(req)
            if flags is None:
                return False
            want = (GENL_CMD_CAP_DO if "do" in modes else 0) | (
                GENL_CMD_CAP_DUMP if "dump" in modes else 0
            )
            if flags & (GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP) != want:
                return False
        return True

    def subscribe(self, *groups: str) -> None:
        """Join multicast groups by spec name (default: all the family's groups)."""
        for group in groups or self.mcast_groups:
            if group not in self.mcast_groups:
                raise ValueError(f"{self.family_name}: no multicast group {group!r} in the spec")
            self._sock.subscribe(group)

    def _request(
        self,
        msg: Any,
        *,
        op: str,
        dump: bool = False,
        ack: bool = False,
        attr_names: Mapping[int, str] | None = None,
    ) -> list[bytes]:
        return self._sock.request(msg, dump=dump, ack=ack, op=op, attr_names=attr_names)

    def _single(self, replies: list[bytes], op: str) -> bytes:
        if len(replies) != 1:
            raise YnlDecodeError(f"{op}: expected one reply, got {len(replies)}")
        return replies[0]

    def _raw_notifications(self, timeout: float | None) -> Iterator[tuple[int, bytes]]:
        for raw in self._sock.notifications(timeout):
            yield genl_cmd(raw), raw
