# SPDX-License-Identifier: GPL-2.0-only
"""Hand-written runtime for the bindings generated from ynl-specs/.

The modules in :mod:`xdptool.ynl.generated` are produced by
``scripts/ynl-gen-python``; they hold everything that comes from a spec (enums,
attribute maps, dataclasses, one family class). This module holds what is the
same for every family:

* the error types (:class:`YnlError`, :class:`FamilyNotFoundError`,
  :class:`YnlDecodeError`);
* base classes for spec enums and flags that know their spec names and keep
  values a newer kernel may send (``bit-N`` / ``value-N``);
* the attribute codec the generated classes describe themselves to;
* the transport, :class:`NetlinkSocket` and :class:`YnlSocket` on the stdlib
  socket module, with extended ACK reporting enabled;
* what the kernel says about a family: its operations and their flags
  (CTRL_CMD_GETFAMILY, when a socket is opened) and an operation's request
  policy (CTRL_CMD_GETPOLICY, :class:`OpPolicy`, parsed by :func:`parse_policy`);
* helpers the generated code calls, and ones that split raw netlink bytes
  (used by the tests on captured replies).

Only the standard library: pyroute2 was the transport until its package
import (~120 ms, more than the kernel's own YNL CLI takes for a whole dump)
was measured to be most of a command's run time (docs/cli.md, Start-up).
This module never parses YAML.
"""

from __future__ import annotations

import dataclasses
import enum
import errno as errno_mod
import os
import select
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Self, TypeVar

__all__ = [
    "FamilyNotFoundError",
    "GenlMessage",
    "NestedAttrs",
    "NetlinkSocket",
    "NlAttrType",
    "OpPolicy",
    "Policy",
    "PolicyAttr",
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
    "parse_policy",
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
NLM_F_DUMP_INTR = 0x10
DUMP_ATTEMPTS = 3
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
    def detail(self) -> str:
        """Why, in one line for the user: strerror (for a reply that made no
        sense, what was wrong with it), then the kernel's extack if any."""
        reason = self.message if isinstance(self, YnlDecodeError) else os.strerror(self.errno)
        return f"{reason}: {self.extack}" if self.extack else reason

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
# Attribute codec
#
# Generated classes describe their attributes the way pyroute2 does, as an
# ``nla_map`` of (number, NAME, type) with ``nest_<set>|nested`` pointing at a
# class attribute; this module encodes and decodes that description itself,
# with struct, so the command line does not pay pyroute2's import time.

_SCALARS: dict[str, struct.Struct] = {
    "uint8": struct.Struct("=B"),
    "uint16": struct.Struct("=H"),
    "uint32": struct.Struct("=I"),
    "uint64": struct.Struct("=Q"),
    "int8": struct.Struct("=b"),
    "int16": struct.Struct("=h"),
    "int32": struct.Struct("=i"),
    "int64": struct.Struct("=q"),
    "be16": struct.Struct(">H"),
    "be32": struct.Struct(">I"),
    "be64": struct.Struct(">Q"),
    "sbe16": struct.Struct(">h"),
    "sbe32": struct.Struct(">i"),
    "sbe64": struct.Struct(">q"),
}
NLA_F_NESTED = 0x8000


def _nlattr(kind: int, payload: bytes) -> bytes:
    length = _NLATTR.size + len(payload)
    return _NLATTR.pack(length, kind) + payload + bytes(-length % 4)


def _var_int(payload: bytes, signed: bool) -> int:
    if len(payload) not in (4, 8):
        raise YnlDecodeError(f"variable-width integer of {len(payload)} bytes")
    return int.from_bytes(payload, sys.byteorder, signed=signed)


def decode_string(payload: bytes) -> str:
    """A NUL-terminated string attribute; bytes that are not UTF-8 survive as
    surrogate escapes (like os.fsdecode), so an interface name round-trips."""
    return payload.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def encode_string(value: str) -> bytes:
    """Inverse of :func:`decode_string`, NUL included."""
    return value.encode("utf-8", "surrogateescape") + b"\0"


class _AttrSet:
    """Decoded attributes of one message or nest: (NAME, value) in wire order.

    Values are ints, str (``asciiz``), bytes (``cdata``), True (``flag``),
    None (``none``) or the nested class's instance. Attributes the map does not
    know (a newer kernel's) are skipped.
    """

    __slots__ = ("attrs",)
    nla_map: ClassVar[tuple[tuple[int, str, str], ...]] = ()

    def __init__(self, attrs: Sequence[tuple[str, Any]] = ()) -> None:
        self.attrs: list[tuple[str, Any]] = list(attrs)

    def get_attr(self, name: str) -> Any:
        for key, value in self.attrs:
            if key == name:
                return value
        return None

    def get_attrs(self, name: str) -> list[Any]:
        return [value for key, value in self.attrs if key == name]

    @classmethod
    def _maps(cls) -> tuple[dict[int, tuple[str, str]], dict[str, tuple[int, str]]]:
        maps = cls.__dict__.get("_maps_cache")
        if maps is None:
            by_num = {num: (name, kind) for num, name, kind in cls.nla_map}
            by_name = {name: (num, kind) for num, name, kind in cls.nla_map}
            maps = (by_num, by_name)
            setattr(cls, "_maps_cache", maps)  # noqa: B010 (class, not slot)
        return maps  # type: ignore[no-any-return]

    @classmethod
    def _nested_class(cls, kind: str) -> type[_AttrSet]:
        nested: type[_AttrSet] = getattr(cls, kind.split("|", 1)[0])
        return nested

    @classmethod
    def decode_attrs(cls, data: bytes, offset: int = 0, end: int | None = None) -> Self:
        by_num = cls._maps()[0]
        out = cls()
        stop = len(data) if end is None else end
        for num, payload in _iter_nlattrs(data, offset, stop):
            entry = by_num.get(num)
            if entry is None:
                continue
            name, kind = entry
            out.attrs.append((name, cls._decode_value(kind, payload, name)))
        return out

    @classmethod
    def _decode_value(cls, kind: str, payload: bytes, name: str) -> Any:
        scalar = _SCALARS.get(kind)
        if scalar is not None:
            if len(payload) < scalar.size:
                raise YnlDecodeError(f"{name}: {len(payload)} bytes for a {kind}")
            return scalar.unpack_from(payload)[0]
        if kind in ("ynl_uint", "ynl_sint"):
            return _var_int(payload, kind == "ynl_sint")
        if kind == "asciiz":
            return decode_string(payload)
        if kind == "cdata":
            return bytes(payload)
        if kind == "flag":
            return True
        if kind == "none":
            return None
        if kind.endswith("|nested"):
            return cls._nested_class(kind).decode_attrs(payload)
        raise YnlDecodeError(f"{name}: unknown attribute type {kind!r}")

    def encode_attrs(self) -> bytes:
        by_name = self._maps()[1]
        out = bytearray()
        for name, value in self.attrs:
            num, kind = by_name[name]
            out += self._encode_value(num, kind, value)
        return bytes(out)

    @classmethod
    def _encode_value(cls, num: int, kind: str, value: Any) -> bytes:
        scalar = _SCALARS.get(kind)
        if scalar is not None:
            return _nlattr(num, scalar.pack(int(value)))
        if kind in ("ynl_uint", "ynl_sint"):
            signed = kind == "ynl_sint"
            lo, hi = (-(1 << 31), 1 << 31) if signed else (0, 1 << 32)
            size = 4 if lo <= int(value) < hi else 8
            return _nlattr(num, int(value).to_bytes(size, sys.byteorder, signed=signed))
        if kind == "asciiz":
            return _nlattr(num, encode_string(str(value)))
        if kind == "cdata":
            return _nlattr(num, bytes(value))
        if kind in ("flag", "none"):
            return _nlattr(num, b"")
        if kind.endswith("|nested"):
            nested = cls._nested_class(kind)
            attrs = value["attrs"] if isinstance(value, Mapping) else value.attrs
            return _nlattr(num | NLA_F_NESTED, nested(attrs).encode_attrs())
        raise ValueError(f"attribute {num}: unknown type {kind!r}")


class GenlMessage(_AttrSet):
    """Base of generated top-level messages: genl header (cmd, version) and attributes."""

    __slots__ = ("cmd", "version")

    def __init__(self, attrs: Sequence[tuple[str, Any]] = (), cmd: int = 0,
                 version: int = 1) -> None:
        super().__init__(attrs)
        self.cmd = cmd
        self.version = version


class NestedAttrs(_AttrSet):
    """Base of generated nested attribute sets."""

    __slots__ = ()


# ---------------------------------------------------------------------------
# Decoding and encoding helpers called by the generated code

# A decoded message or nested attribute set (anything with get_attr()).
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
    """A ``string`` attribute (decoded already, see :func:`decode_string`)."""
    return value if isinstance(value, str) else str(value)


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
    return cls(attrs, cmd=cmd, version=version)  # type: ignore[no-any-return]


def encode_message(
    msg: Any, *, msg_type: int, flags: int = NLM_F_REQUEST, seq: int = 0, pid: int = 0
) -> bytes:
    """Encode a request to the bytes that go on the wire."""
    payload = struct.pack("=BBH", msg.cmd, msg.version, 0) + msg.encode_attrs()
    return _NLMSGHDR.pack(NLMSG_HDRLEN + len(payload), msg_type, flags, seq, pid) + payload


def decode_as(msg_class: type[T], raw: bytes) -> T:
    """Decode one raw generic netlink message (header included) with msg_class."""
    cls: Any = msg_class
    if len(raw) < NLMSG_HDRLEN + GENL_HDRLEN:
        raise YnlDecodeError(f"message too short for a genl header ({len(raw)} bytes)")
    length = min(_NLMSGHDR.unpack_from(raw, 0)[0], len(raw))
    msg = cls.decode_attrs(raw, NLMSG_HDRLEN + GENL_HDRLEN, length)
    msg.cmd, msg.version = raw[NLMSG_HDRLEN], raw[NLMSG_HDRLEN + 1]
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


def iter_attrs(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(type, payload) of each netlink attribute in data, flags masked off."""
    return _iter_nlattrs(data, 0, len(data))


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


def iter_messages(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(type, sequence number, raw message) of each message of a datagram."""
    offset = 0
    while offset + NLMSG_HDRLEN <= len(data):
        length, kind, _flags, seq, _pid = _NLMSGHDR.unpack_from(data, offset)
        if length < NLMSG_HDRLEN or offset + length > len(data):
            raise YnlDecodeError(f"truncated netlink message at offset {offset}")
        yield kind, seq, data[offset : offset + length]
        offset += (length + 3) & ~3


def _is_end(kind: int, raw: bytes, attr_names: Mapping[int, str] | None,
            op: str | None) -> bool:
    """True for NLMSG_DONE and an ACK; raises YnlError for an error message."""
    if kind not in (NLMSG_ERROR, NLMSG_DONE):
        return False
    err = parse_error(raw, attr_names, op) if len(raw) >= NLMSG_HDRLEN + 4 else None
    if err is not None:
        raise err
    return True


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
    for kind, _seq, raw in iter_messages(data):
        if _is_end(kind, raw, attr_names, op):
            if kind == NLMSG_DONE:
                break
            continue
        if kind == NLMSG_NOOP or kind < 0x10:
            continue
        if family_id is None or kind == family_id:
            out.append(bytes(raw))
    return out


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


# <linux/netlink.h>, <linux/genetlink.h>
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_GENERIC = 16
NETLINK_ROUTE = 0
CTRL_CMD_GETFAMILY = 3
GENL_ID_CTRL = 16
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_OPS = 6
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_OP_ID = 1
CTRL_ATTR_OP_FLAGS = 2
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2
CTRL_CMD_GETPOLICY = 10
CTRL_ATTR_POLICY = 8
CTRL_ATTR_OP_POLICY = 9
CTRL_ATTR_OP = 10
CTRL_ATTR_POLICY_DO = 1
CTRL_ATTR_POLICY_DUMP = 2
# <linux/netlink.h>: enum netlink_policy_type_attr
NL_POLICY_TYPE_ATTR_TYPE = 1
NL_POLICY_TYPE_ATTR_MIN_VALUE_S = 2
NL_POLICY_TYPE_ATTR_MAX_VALUE_S = 3
NL_POLICY_TYPE_ATTR_MIN_VALUE_U = 4
NL_POLICY_TYPE_ATTR_MAX_VALUE_U = 5
NL_POLICY_TYPE_ATTR_MIN_LENGTH = 6
NL_POLICY_TYPE_ATTR_MAX_LENGTH = 7
NL_POLICY_TYPE_ATTR_POLICY_IDX = 8
NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE = 9
NL_POLICY_TYPE_ATTR_BITFIELD32_MASK = 10
NL_POLICY_TYPE_ATTR_MASK = 12
# Dumps come in datagrams of at most 32 KiB (netlink_recvmsg caps what it learns).
_RECV_SIZE = 1 << 16


class NetlinkSocket:
    """A plain AF_NETLINK socket (stdlib only) that sends one request at a time.

    Extended ACK reporting (NETLINK_EXT_ACK) is enabled, so errors carry the
    kernel's message. ``netns`` names a network namespace (as in ``ip netns``)
    to open the socket in instead of the caller's; it must exist. Messages with
    sequence number 0 (multicast notifications) that arrive while waiting for a
    reply are kept for :meth:`notifications`.
    """

    def __init__(self, proto: int, *, netns: str | None = None) -> None:
        if netns is None:
            self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto)
        else:
            from xdptool.netns import run_in

            try:
                self._sock = run_in(netns, lambda: socket.socket(
                    socket.AF_NETLINK, socket.SOCK_RAW, proto))
            except OSError as err:
                code = err.errno or errno_mod.EINVAL
                raise YnlError(
                    code, f"cannot open a netlink socket in netns {netns!r}: {os.strerror(code)}"
                ) from err
        try:
            self._sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
            self._sock.bind((0, 0))
        except BaseException:
            self._sock.close()
            raise
        self._seq = int(time.time()) & 0x7FFFFFFF or 1
        self._pending: list[bytes] = []
        self._closed = False

    def fileno(self) -> int:
        return self._sock.fileno()

    def _recv(self) -> bytes:
        data, _ = self._sock.recvfrom(_RECV_SIZE, socket.MSG_TRUNC)
        if len(data) > _RECV_SIZE:  # pragma: no cover - the kernel never sends more
            raise YnlDecodeError(f"netlink datagram of {len(data)} bytes truncated")
        return data

    def request(
        self,
        msg_type: int,
        flags: int,
        payload: bytes,
        *,
        op: str | None = None,
        attr_names: Mapping[int, str] | None = None,
    ) -> list[bytes]:
        """Send one message and collect its replies (raw, header included).

        A dump ends at NLMSG_DONE, a request with NLM_F_ACK at its ACK, any
        other request at its first reply. Raises YnlError for an error reply.
        A dump the kernel marks interrupted (NLM_F_DUMP_INTR: the objects
        changed while it ran) is asked again, up to DUMP_ATTEMPTS times.
        """
        for _ in range(DUMP_ATTEMPTS):
            replies, interrupted = self._exchange(msg_type, flags, payload, op, attr_names)
            if not interrupted:
                return replies
        raise YnlError(errno_mod.EINTR, op=op, extack=(
            f"the dump was interrupted by concurrent changes {DUMP_ATTEMPTS} times"))

    def _exchange(self, msg_type: int, flags: int, payload: bytes, op: str | None,
                  attr_names: Mapping[int, str] | None) -> tuple[list[bytes], bool]:
        self._seq = self._seq % 0x7FFFFFFF + 1
        seq = self._seq
        self._sock.send(_NLMSGHDR.pack(NLMSG_HDRLEN + len(payload), msg_type, flags, seq, 0)
                        + payload)
        replies: list[bytes] = []
        interrupted = False
        while True:
            for kind, mseq, raw in iter_messages(self._recv()):
                if mseq != seq:
                    if mseq == 0:
                        self._pending.append(raw)
                    continue  # a stale reply to an earlier, abandoned request
                interrupted |= bool(_NLMSGHDR.unpack_from(raw)[2] & NLM_F_DUMP_INTR)
                if _is_end(kind, raw, attr_names, op):
                    return replies, interrupted
                if kind == NLMSG_NOOP:
                    continue
                replies.append(raw)
                if not flags & (NLM_F_DUMP | NLM_F_ACK):
                    return replies, interrupted

    def add_membership(self, group_id: int) -> None:
        self._sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group_id)

    def notifications(self, timeout: float | None = None) -> Iterator[bytes]:
        """Raw messages with sequence number 0, as they arrive.

        Stops after ``timeout`` seconds in total (never when None).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            while self._pending:
                yield self._pending.pop(0)
            remaining = None
            if deadline is not None:
                remaining = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._sock], [], [], remaining)
            if not ready:
                return
            self._pending.extend(raw for kind, mseq, raw in iter_messages(self._recv())
                                 if mseq == 0 and kind >= 0x10)

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if not self._closed:
            self._closed = True
            self._sock.close()


class _CtrlOp(NestedAttrs):
    __slots__ = ()
    nla_map = ((CTRL_ATTR_OP_ID, "ID", "uint32"), (CTRL_ATTR_OP_FLAGS, "FLAGS", "uint32"))


class _CtrlGroup(NestedAttrs):
    __slots__ = ()
    nla_map = ((CTRL_ATTR_MCAST_GRP_NAME, "NAME", "asciiz"),
               (CTRL_ATTR_MCAST_GRP_ID, "ID", "uint32"))


class _CtrlList(NestedAttrs):
    """A nest whose attributes (numbered 1, 2, ...) are all nests of one kind."""

    __slots__ = ()
    nested: ClassVar[type[NestedAttrs]] = NestedAttrs

    @classmethod
    def decode_attrs(cls, data: bytes, offset: int = 0, end: int | None = None) -> Self:
        out = cls()
        stop = len(data) if end is None else end
        for _num, payload in _iter_nlattrs(data, offset, stop):
            out.attrs.append(("ENTRY", cls.nested.decode_attrs(payload)))
        return out


class _CtrlOps(_CtrlList):
    __slots__ = ()
    nested = _CtrlOp


class _CtrlGroups(_CtrlList):
    __slots__ = ()
    nested = _CtrlGroup


class _CtrlMsg(GenlMessage):
    __slots__ = ()
    nest_ops = _CtrlOps
    nest_groups = _CtrlGroups
    nla_map = (
        (CTRL_ATTR_FAMILY_ID, "FAMILY_ID", "uint16"),
        (CTRL_ATTR_FAMILY_NAME, "FAMILY_NAME", "asciiz"),
        (CTRL_ATTR_OPS, "OPS", "nest_ops|nested"),
        (CTRL_ATTR_MCAST_GROUPS, "MCAST_GROUPS", "nest_groups|nested"),
        (CTRL_ATTR_OP, "OP", "uint32"),
    )


# ---------------------------------------------------------------------------
# Request policies (CTRL_CMD_GETPOLICY)


class NlAttrType(enum.IntEnum):
    """<linux/netlink.h> enum netlink_attribute_type: what a policy accepts."""

    FLAG = 1
    U8 = 2
    U16 = 3
    U32 = 4
    U64 = 5
    S8 = 6
    S16 = 7
    S32 = 8
    S64 = 9
    BINARY = 10
    STRING = 11
    NUL_STRING = 12
    NESTED = 13
    NESTED_ARRAY = 14
    BITFIELD32 = 15
    SINT = 16
    UINT = 17


# Short names, as YNL specs spell the types ("nest", not "nested").
_NL_ATTR_TYPE_NAMES = {
    NlAttrType.FLAG: "flag", NlAttrType.U8: "u8", NlAttrType.U16: "u16",
    NlAttrType.U32: "u32", NlAttrType.U64: "u64", NlAttrType.S8: "s8",
    NlAttrType.S16: "s16", NlAttrType.S32: "s32", NlAttrType.S64: "s64",
    NlAttrType.BINARY: "binary", NlAttrType.STRING: "string",
    NlAttrType.NUL_STRING: "nul-string", NlAttrType.NESTED: "nest",
    NlAttrType.NESTED_ARRAY: "nest-array", NlAttrType.BITFIELD32: "bitfield32",
    NlAttrType.SINT: "sint", NlAttrType.UINT: "uint",
}


def nl_attr_type_name(kind: int) -> str:
    """"u8", "nest", ... for an NL_ATTR_TYPE_* value; ``type-N`` for one newer than us."""
    return _NL_ATTR_TYPE_NAMES.get(kind, f"type-{kind}")  # type: ignore[call-overload]


@dataclasses.dataclass(frozen=True)
class PolicyAttr:
    """What a kernel policy accepts for one attribute (an entry of CTRL_ATTR_POLICY).

    ``type`` is an NL_ATTR_TYPE_* value (:class:`NlAttrType`); the other
    fields are None when the kernel did not state them. Integer types come
    with their range (``min_value``/``max_value``) or, when validated by a
    mask, with ``mask`` instead; nests with the index of their own policy.
    """

    type: int
    min_value: int | None = None
    max_value: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    policy_idx: int | None = None
    policy_maxtype: int | None = None
    bitfield32_mask: int | None = None
    mask: int | None = None

    @property
    def type_name(self) -> str:
        return nl_attr_type_name(self.type)

    def describe(self) -> str:
        """Short text for messages: "u8 0..1", "u32 mask 0x7", "nest", "nul-string max 15"."""
        text = self.type_name
        if self.mask is not None:
            text += f" mask {self.mask:#x}"
        elif self.min_value is not None and self.max_value is not None:
            text += f" {self.min_value}..{self.max_value}"
        if self.bitfield32_mask is not None:
            text += f" mask {self.bitfield32_mask:#x}"
        if self.min_length is not None:
            text += f" min {self.min_length}"
        if self.max_length is not None:
            text += f" max {self.max_length}"
        return text

    @classmethod
    def decode(cls, payload: bytes) -> PolicyAttr:
        """From the nest the kernel writes for one attribute (netlink_policy_dump_write)."""
        fields: dict[str, int] = {}
        kind = None
        for num, data in _iter_nlattrs(payload, 0, len(payload)):
            if num == NL_POLICY_TYPE_ATTR_TYPE:
                kind = _var_int(data, False)
            elif num in _POLICY_FIELDS:
                name, signed = _POLICY_FIELDS[num]
                fields[name] = _var_int(data, signed)
        if kind is None:
            raise YnlDecodeError("getpolicy: an attribute policy without NL_POLICY_TYPE_ATTR_TYPE")
        return cls(type=kind, **fields)


_POLICY_FIELDS: dict[int, tuple[str, bool]] = {
    NL_POLICY_TYPE_ATTR_MIN_VALUE_S: ("min_value", True),
    NL_POLICY_TYPE_ATTR_MAX_VALUE_S: ("max_value", True),
    NL_POLICY_TYPE_ATTR_MIN_VALUE_U: ("min_value", False),
    NL_POLICY_TYPE_ATTR_MAX_VALUE_U: ("max_value", False),
    NL_POLICY_TYPE_ATTR_MIN_LENGTH: ("min_length", False),
    NL_POLICY_TYPE_ATTR_MAX_LENGTH: ("max_length", False),
    NL_POLICY_TYPE_ATTR_POLICY_IDX: ("policy_idx", False),
    NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE: ("policy_maxtype", False),
    NL_POLICY_TYPE_ATTR_BITFIELD32_MASK: ("bitfield32_mask", False),
    NL_POLICY_TYPE_ATTR_MASK: ("mask", False),
}

# A policy: attribute number -> what is accepted. Attributes it rejects (or
# ignores: NLA_UNSPEC) are not listed, as the kernel does not list them.
Policy = Mapping[int, PolicyAttr]


@dataclasses.dataclass(frozen=True)
class OpPolicy:
    """The request policies of one operation of a family, as CTRL_CMD_GETPOLICY reports them.

    ``do`` and ``dump`` are the indices (into ``policies``) of the policy
    that validates ``do`` and ``dump`` requests, None when that mode has
    none; ``policies`` holds them and every policy they nest, by index.
    """

    cmd: int
    do: int | None
    dump: int | None
    policies: Mapping[int, Policy]

    def policy(self, mode: str) -> Policy | None:
        """The top-level policy of "do" or "dump" requests (None: no policy)."""
        if mode not in ("do", "dump"):
            raise ValueError(f"mode must be 'do' or 'dump', not {mode!r}")
        idx = self.do if mode == "do" else self.dump
        return None if idx is None else self.policies.get(idx, {})

    def nested(self, attr: PolicyAttr) -> Policy:
        """The policy of a nest's attributes ({} when the kernel gave none)."""
        if attr.policy_idx is None:
            return {}
        return self.policies.get(attr.policy_idx, {})


def parse_policy(replies: Sequence[bytes], cmd: int) -> OpPolicy:
    """An OpPolicy from the raw replies to a CTRL_CMD_GETPOLICY dump for one op.

    Each reply carries either CTRL_ATTR_OP_POLICY (op -> the policy indices
    of its do and dump requests) or CTRL_ATTR_POLICY (policy index ->
    attribute number -> NL_POLICY_TYPE_ATTR_*).
    """
    do = dump = None
    seen_op = False
    policies: dict[int, dict[int, PolicyAttr]] = {}
    for raw in replies:
        if len(raw) < NLMSG_HDRLEN + GENL_HDRLEN:
            raise YnlDecodeError(f"getpolicy: message too short ({len(raw)} bytes)")
        end = min(_NLMSGHDR.unpack_from(raw)[0], len(raw))
        for kind, payload in _iter_nlattrs(raw, NLMSG_HDRLEN + GENL_HDRLEN, end):
            if kind == CTRL_ATTR_OP_POLICY:
                for op, modes in iter_attrs(payload):
                    # Linux 6.18 labels a dump-only op 0 (the cmd of its absent do).
                    if op not in (cmd, 0):
                        raise YnlDecodeError(f"getpolicy: asked for op {cmd}, got op {op}")
                    seen_op = True
                    for mode, value in iter_attrs(modes):
                        if mode == CTRL_ATTR_POLICY_DO:
                            do = _var_int(value, False)
                        elif mode == CTRL_ATTR_POLICY_DUMP:
                            dump = _var_int(value, False)
            elif kind == CTRL_ATTR_POLICY:
                for idx, attrs in iter_attrs(payload):
                    table = policies.setdefault(idx, {})
                    for num, attr in iter_attrs(attrs):
                        table[num] = PolicyAttr.decode(attr)
    if not seen_op:
        raise YnlDecodeError(f"getpolicy: no policy of op {cmd} in the reply")
    return OpPolicy(cmd=cmd, do=do, dump=dump, policies=policies)


class YnlSocket:
    """A generic netlink socket bound to one family.

    Resolves the family (CTRL_CMD_GETFAMILY) when opened: its id, multicast
    groups and the operations the running kernel registered. Raises
    FamilyNotFoundError when the kernel lacks the family. ``netns`` as for
    :class:`NetlinkSocket`.
    """

    def __init__(self, family: str, *, netns: str | None = None) -> None:
        self.family = family
        self._nl = NetlinkSocket(NETLINK_GENERIC, netns=netns)
        try:
            request = new_request(_CtrlMsg, CTRL_CMD_GETFAMILY, [("FAMILY_NAME", family)])
            payload = encode_message(request, msg_type=GENL_ID_CTRL)[NLMSG_HDRLEN:]
            try:
                replies = self._nl.request(GENL_ID_CTRL, NLM_F_REQUEST, payload,
                                           op="getfamily")
            except YnlError as err:
                if err.errno == errno_mod.ENOENT:
                    raise FamilyNotFoundError(family) from None
                raise
            if len(replies) != 1:
                raise YnlDecodeError(f"getfamily {family!r}: {len(replies)} replies")
            reply = decode_as(_CtrlMsg, replies[0])
            self.family_id: int = required(reply, "FAMILY_ID", int, "getfamily")
            groups = reply.get_attr("MCAST_GROUPS")
            self.mcast_groups: dict[str, int] = {
                group.get_attr("NAME"): group.get_attr("ID")
                for group in (groups.get_attrs("ENTRY") if groups is not None else ())
            }
            ops = reply.get_attr("OPS")
            self._kernel_ops: dict[int, int] = {
                op.get_attr("ID"): op.get_attr("FLAGS") or 0
                for op in (ops.get_attrs("ENTRY") if ops is not None else ())
                if op.get_attr("ID") is not None
            }
        except BaseException:
            self._nl.close()
            raise

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
        payload = encode_message(msg, msg_type=self.family_id)[NLMSG_HDRLEN:]
        replies = self._nl.request(self.family_id, flags, payload, op=op, attr_names=attr_names)
        return [raw for raw in replies if _NLMSGHDR.unpack_from(raw)[1] == self.family_id]

    def kernel_ops(self) -> dict[int, int]:
        """The family's operations as the running kernel registered them.

        Maps each request cmd to its ``CTRL_ATTR_OP_FLAGS`` (``GENL_CMD_CAP_DO``,
        ``GENL_CMD_CAP_DUMP``, ``GENL_ADMIN_PERM``, ...), as CTRL_CMD_GETFAMILY
        reported them when the socket was opened.
        """
        return dict(self._kernel_ops)

    def get_policy(self, cmd: int) -> OpPolicy:
        """The request policy of one operation (request cmd), asked now.

        Sends CTRL_CMD_GETPOLICY (a dump, to the controller: nothing goes to
        the family itself). Raises YnlError: ENOENT when the family has no
        such operation, ENODATA when the operation has no policy.
        """
        request = new_request(_CtrlMsg, CTRL_CMD_GETPOLICY,
                              [("FAMILY_ID", self.family_id), ("OP", cmd)])
        payload = encode_message(request, msg_type=GENL_ID_CTRL)[NLMSG_HDRLEN:]
        replies = self._nl.request(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_DUMP, payload,
                                   op="getpolicy")
        return parse_policy(
            [raw for raw in replies if _NLMSGHDR.unpack_from(raw)[1] == GENL_ID_CTRL], cmd)

    def subscribe(self, group: str) -> None:
        """Join a multicast group of the family by its spec name."""
        if group not in self.mcast_groups:
            raise YnlError(
                errno_mod.ENOENT,
                f"family {self.family!r} has no multicast group {group!r} on this kernel",
            )
        self._nl.add_membership(self.mcast_groups[group])

    def notifications(self, timeout: float | None = None) -> Iterator[bytes]:
        """Raw messages of this family that are not replies (seq 0).

        Stops after ``timeout`` seconds in total (never when None).
        """
        for raw in self._nl.notifications(timeout):
            if _NLMSGHDR.unpack_from(raw)[1] == self.family_id:
                yield raw

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self._nl.close()


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

    def kernel_ops(self) -> dict[int, int]:
        """Request cmd -> CTRL_ATTR_OP_FLAGS, as the running kernel registered them."""
        return self._sock.kernel_ops()

    def get_policy(self, op: str | int) -> OpPolicy:
        """The running kernel's request policy of an operation (spec name or request cmd).

        See :meth:`YnlSocket.get_policy`; asks the kernel every time.
        """
        if isinstance(op, str):
            if op not in self.op_ids or self.op_ids[op][0] is None:
                raise ValueError(f"{self.family_name}: no request operation {op!r} in the spec")
            cmd = self.op_ids[op][0]
            assert cmd is not None
            op = cmd
        return self._sock.get_policy(op)

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
