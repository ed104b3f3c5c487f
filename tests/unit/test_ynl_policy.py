"""The runtime's request-policy reader (CTRL_CMD_GETPOLICY): parse_policy() on
replies captured from a real kernel (tests/data/genl-policy, see README.md
there) and on replies built by hand the way net/netlink/policy.c writes
them, and YnlSocket.get_policy() on the wire (a fake socket)."""

from __future__ import annotations

import errno
import json
import struct
from pathlib import Path

import pytest
from genl_fake import (
    DO,
    DUMP,
    HASPOL,
    SERIES_XDP_SET,
    U8,
    FakeKernel,
    Family,
    Pol,
    install,
    policy_messages,
)

from xdptool.ynl import runtime as rt
from xdptool.ynl.generated.ethtool import Ethtool
from xdptool.ynl.runtime import NlAttrType, OpPolicy, PolicyAttr

DATA = Path(__file__).resolve().parents[1] / "data" / "genl-policy"
META = json.loads((DATA / "capture.json").read_text())
U32_MAX = 2**32 - 1

# ethnl_header_policy as Linux 6.18 reports it: dev-index u32, dev-name
# NLA_NUL_STRING (ALTIFNAMSIZ - 1), flags NLA_POLICY_MASK(NLA_U32, 0x3).
HEADER_6_18 = {
    1: PolicyAttr(NlAttrType.U32, min_value=0, max_value=U32_MAX),
    2: PolicyAttr(NlAttrType.NUL_STRING, max_length=127),
    3: PolicyAttr(NlAttrType.U32, mask=0x3),
}
HEADER_NEST = PolicyAttr(NlAttrType.NESTED, policy_idx=1, policy_maxtype=3)


def captured(name: str) -> OpPolicy:
    data = (DATA / f"policy-{name}.reply.bin").read_bytes()
    return rt.parse_policy(rt.split_messages(data, rt.GENL_ID_CTRL), META["ops"][name])


def test_channels_get_do_and_dump_share_one_policy() -> None:
    policy = captured("ethtool-channels-get")
    assert (policy.cmd, policy.do, policy.dump) == (17, 0, 0)
    assert policy.policies == {0: {1: HEADER_NEST}, 1: HEADER_6_18}
    assert policy.policy("do") == {1: HEADER_NEST}
    assert policy.policy("dump") is policy.policy("do")
    assert policy.nested(HEADER_NEST) == HEADER_6_18


def test_channels_set_do_only_with_counts() -> None:
    policy = captured("ethtool-channels-set")
    assert (policy.do, policy.dump) == (0, None)
    assert policy.policy("dump") is None
    count = PolicyAttr(NlAttrType.U32, min_value=0, max_value=U32_MAX)
    # ETHTOOL_A_CHANNELS_{RX,TX,OTHER,COMBINED}_COUNT; the *_MAX ones (2..5)
    # are read-only: NLA_REJECT, which the kernel leaves out of the dump.
    assert policy.policy("do") == {1: HEADER_NEST, 6: count, 7: count, 8: count, 9: count}


def test_dump_only_op_labelled_zero() -> None:
    """6.18 labels the op of a dump-only split op 0 in CTRL_ATTR_OP_POLICY."""
    data = (DATA / "policy-netdev-qstats-get.reply.bin").read_bytes()
    raw = rt.split_messages(data, rt.GENL_ID_CTRL)
    (op_nest,) = (payload for kind, payload in rt.iter_attrs(raw[0][20:]) if kind == 9)
    assert [kind for kind, _ in rt.iter_attrs(op_nest)] == [0]
    policy = captured("netdev-qstats-get")
    assert (policy.cmd, policy.do, policy.dump) == (12, None, 0)
    assert policy.policy("dump") == {
        1: PolicyAttr(NlAttrType.U32, min_value=1, max_value=U32_MAX),  # ifindex, min 1
        4: PolicyAttr(NlAttrType.UINT, mask=0x1),  # scope: NLA_POLICY_MASK(NLA_UINT, queue)
    }


def test_unknown_op_is_enoent() -> None:
    data = (DATA / "policy-ethtool-200.reply.bin").read_bytes()
    with pytest.raises(rt.YnlError) as info:
        rt.split_messages(data, rt.GENL_ID_CTRL, op="getpolicy")
    assert info.value.errno == errno.ENOENT


def test_describe() -> None:
    policy = captured("ethtool-channels-get")
    header = policy.nested(HEADER_NEST)
    assert [header[n].describe() for n in (1, 2, 3)] == [
        "u32 0..4294967295", "nul-string max 127", "u32 mask 0x3"]
    assert HEADER_NEST.describe() == "nest"
    assert PolicyAttr(NlAttrType.S32, min_value=-5, max_value=5).describe() == "s32 -5..5"
    assert PolicyAttr(99).describe() == "type-99"
    assert rt.nl_attr_type_name(NlAttrType.NESTED_ARRAY) == "nest-array"


def test_hand_built_series_policy() -> None:
    replies = policy_messages(21, 201, SERIES_XDP_SET, do=0, dump=None)
    policy = rt.parse_policy(replies, 201)
    assert policy.policy("do") == {
        1: HEADER_NEST,
        2: PolicyAttr(NlAttrType.U8, min_value=0, max_value=1),
    }
    assert policy.nested(HEADER_NEST)[3] == PolicyAttr(NlAttrType.U32, mask=0x3)


def test_signed_range_and_other_fields() -> None:
    def nla(kind: int, fmt: str, *value: int) -> bytes:
        payload = struct.pack(fmt, *value)
        return struct.pack("=HH", 4 + len(payload), kind) + payload

    payload = nla(1, "=I", 8) + nla(2, "=q", -10) + nla(3, "=q", 10)
    assert PolicyAttr.decode(payload) == PolicyAttr(NlAttrType.S32, min_value=-10, max_value=10)
    payload = nla(1, "=I", 15) + nla(10, "=I", 0x5)
    assert PolicyAttr.decode(payload) == PolicyAttr(NlAttrType.BITFIELD32, bitfield32_mask=5)
    # NL_POLICY_TYPE_ATTR_PAD (11, empty) is skipped
    payload = nla(1, "=I", 10) + nla(6, "=I", 2) + nla(7, "=I", 16) + nla(11, "")
    assert PolicyAttr.decode(payload) == PolicyAttr(NlAttrType.BINARY, min_length=2,
                                                    max_length=16)
    with pytest.raises(rt.YnlDecodeError, match="without NL_POLICY_TYPE_ATTR_TYPE"):
        PolicyAttr.decode(nla(4, "=Q", 1))


def test_reply_for_another_op_or_none_is_an_error() -> None:
    replies = policy_messages(21, 18, {0: {1: Pol(U8, min=0, max=1)}}, do=0, dump=None)
    with pytest.raises(rt.YnlDecodeError, match="asked for op 201, got op 18"):
        rt.parse_policy(replies, 201)
    with pytest.raises(rt.YnlDecodeError, match="no policy of op 201"):
        rt.parse_policy(replies[1:], 201)
    with pytest.raises(ValueError, match="'do' or 'dump'"):
        rt.parse_policy(replies, 18).policy("doit")


# ---------------------------------------------------------------------------
# On the wire


XDP_SET = Ethtool.op_ids["xdp-set"][0]
assert XDP_SET is not None


def series_kernel() -> FakeKernel:
    return FakeKernel(Family("ethtool", 21, {200: DO | DUMP | HASPOL, XDP_SET: DO | HASPOL},
                             policies={XDP_SET: policy_messages(21, XDP_SET, SERIES_XDP_SET,
                                                                do=0, dump=None)}))


def test_get_policy_request_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = series_kernel()
    install(monkeypatch, kernel)
    with Ethtool() as family:
        policy = family.get_policy("xdp-set")  # by spec name: the bindings' id
        assert family.get_policy(XDP_SET) == policy
    assert policy.cmd == XDP_SET and policy.policy("do") is not None
    getfamily, getpolicy, _ = kernel.sent
    assert (getfamily.msg_type, getfamily.cmd) == (rt.GENL_ID_CTRL, 3)
    # CTRL_CMD_GETPOLICY to the controller, a dump, with the family id and the op
    assert (getpolicy.msg_type, getpolicy.cmd) == (rt.GENL_ID_CTRL, 10)
    assert getpolicy.flags == rt.NLM_F_REQUEST | rt.NLM_F_DUMP
    assert getpolicy.attrs == {1: struct.pack("=H", 21), 10: struct.pack("=I", XDP_SET)}
    assert kernel.sent_to("ethtool") == []


def test_get_policy_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = series_kernel()
    install(monkeypatch, kernel)
    with Ethtool() as family:
        with pytest.raises(rt.YnlError) as info:
            family.get_policy(200)  # registered, but no policy: ENODATA
        assert info.value.errno == errno.ENODATA
        with pytest.raises(rt.YnlError) as info:
            family.get_policy(46)
        assert info.value.errno == errno.ENOENT
        with pytest.raises(ValueError, match="no request operation 'xdp-ntf'"):
            family.get_policy("xdp-ntf")
