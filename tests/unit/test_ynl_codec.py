"""The runtime's attribute codec (xdptool.ynl.runtime): exact bytes for every
attribute type a generated nla_map can name, packed here with struct."""

from __future__ import annotations

import struct

import pytest

from xdptool.ynl import runtime as rt


class Inner(rt.NestedAttrs):
    __slots__ = ()
    nla_map = ((1, "X", "uint32"),)


class Msg(rt.GenlMessage):
    __slots__ = ()
    nest_inner = Inner
    nla_map = (
        (1, "U8", "uint8"), (2, "U16", "uint16"), (3, "U32", "uint32"), (4, "U64", "uint64"),
        (5, "S8", "int8"), (6, "S16", "int16"), (7, "S32", "int32"), (8, "S64", "int64"),
        (9, "BE16", "be16"), (10, "BE32", "be32"), (11, "BE64", "be64"),
        (12, "SBE16", "sbe16"), (13, "SBE32", "sbe32"), (14, "SBE64", "sbe64"),
        (15, "UINT", "ynl_uint"), (16, "SINT", "ynl_sint"), (17, "STR", "asciiz"),
        (18, "BIN", "cdata"), (19, "FLAG", "flag"), (20, "PAD", "none"),
        (21, "NEST", "nest_inner|nested"),
    )


def attr(kind: int, payload: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(payload), kind) + payload + bytes(-len(payload) % 4)


CASES = [
    ("U8", 200, attr(1, b"\xc8")),
    ("U16", 0xBEEF, attr(2, struct.pack("=H", 0xBEEF))),
    ("U32", 2**32 - 1, attr(3, struct.pack("=I", 2**32 - 1))),
    ("U64", 2**64 - 1, attr(4, struct.pack("=Q", 2**64 - 1))),
    ("S8", -1, attr(5, b"\xff")),
    ("S16", -2, attr(6, struct.pack("=h", -2))),
    ("S32", -3, attr(7, struct.pack("=i", -3))),
    ("S64", -(2**63), attr(8, struct.pack("=q", -(2**63)))),
    ("BE16", 0x1234, attr(9, b"\x12\x34")),
    ("BE32", 0x12345678, attr(10, b"\x12\x34\x56\x78")),
    ("BE64", 1, attr(11, b"\0" * 7 + b"\1")),
    ("SBE16", -2, attr(12, b"\xff\xfe")),
    ("SBE32", -2, attr(13, b"\xff\xff\xff\xfe")),
    ("SBE64", -2, attr(14, b"\xff" * 7 + b"\xfe")),
    ("UINT", 7, attr(15, struct.pack("=I", 7))),  # NLA_UINT: 4 bytes when it fits
    ("UINT", 2**32, attr(15, struct.pack("=Q", 2**32))),  # else 8
    ("SINT", -1, attr(16, struct.pack("=i", -1))),
    ("SINT", -(2**31) - 1, attr(16, struct.pack("=q", -(2**31) - 1))),
    ("STR", "veth0", attr(17, b"veth0\0")),
    ("STR", "odd\udcff", attr(17, b"odd\xff\0")),  # names are bytes (surrogate escapes)
    ("BIN", b"\x00\x01\x02", attr(18, b"\x00\x01\x02")),
    ("FLAG", True, attr(19, b"")),
]


@pytest.mark.parametrize(("name", "value", "wire"), CASES)
def test_encode_and_decode(name: str, value: object, wire: bytes) -> None:
    assert Msg([(name, value)]).encode_attrs() == wire
    assert Msg.decode_attrs(wire).attrs == [(name, value)]


def test_nest_carries_nla_f_nested_and_decodes_to_its_class() -> None:
    wire = Msg([("NEST", {"attrs": [("X", 5)]})]).encode_attrs()
    assert wire == struct.pack("=HH", 12, 21 | rt.NLA_F_NESTED) + attr(1, struct.pack("=I", 5))
    (name, inner), = Msg.decode_attrs(wire).attrs
    assert name == "NEST" and isinstance(inner, Inner) and inner.get_attr("X") == 5


def test_pad_unknown_and_truncated() -> None:
    assert Msg.decode_attrs(attr(20, b"") + attr(99, b"new")).attrs == [("PAD", None)]
    with pytest.raises(rt.YnlDecodeError, match="U32: 2 bytes for a uint32"):
        Msg.decode_attrs(attr(3, b"\1\2"))
    with pytest.raises(rt.YnlDecodeError, match="variable-width integer of 2 bytes"):
        Msg.decode_attrs(attr(15, b"\1\2"))
    # a length running past the buffer ends decoding, as the kernel's nla_for_each does
    assert Msg.decode_attrs(struct.pack("=HH", 64, 3) + b"\0" * 4).attrs == []


def test_message_header_roundtrip() -> None:
    msg = rt.new_request(Msg, 7, [("U8", 1)], version=2)
    raw = rt.encode_message(msg, msg_type=0x20, flags=rt.NLM_F_REQUEST | rt.NLM_F_ACK, seq=3)
    assert raw[:20] == struct.pack("=IHHIIBBH", 28, 0x20, 5, 3, 0, 7, 2, 0)
    again = rt.decode_as(Msg, raw)
    assert (again.cmd, again.version, again.attrs) == (7, 2, [("U8", 1)])
