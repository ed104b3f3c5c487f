"""xdptool.ynl.generated.ethtool (the series' XDP messages) against netlink bytes
built by hand from the series' uapi (include/uapi/linux/ethtool_netlink.h):

    ETHTOOL_MSG_XDP_GET 46, _XDP_SET 47, _XDP_STATS_GET 48          (user -> kernel)
    ETHTOOL_MSG_XDP_GET_REPLY 47, _XDP_NTF 48, _XDP_STATS_GET_REPLY 49 (kernel -> user)
    ETHTOOL_A_XDP_{HEADER 1, STATS_ENABLED 2 (u8)}
    ETHTOOL_A_XDP_STATS_{HEADER 1, TOTAL 2, QUEUE 3 (multi)}
    ETHTOOL_A_XDP_STATS_CNT_{PAD 1, QUEUE_ID 2 (u32), ABORTED 3 .. REDIRECT_ERRORS 9 (u64)}
    ETHTOOL_A_HEADER_{DEV_INDEX 1 (u32), DEV_NAME 2 (string), FLAGS 3, PHY_INDEX 4}

The bytes are packed with struct, independently of pyroute2 and the
generated code under test. Nests carry NLA_F_NESTED, as the kernel sets it.
"""

from __future__ import annotations

import errno
import struct
from typing import Any

import pytest

from xdptool.ynl import runtime as rt
from xdptool.ynl.gen import main as gen
from xdptool.ynl.generated import ethtool
from xdptool.ynl.generated.ethtool import Ethtool, Header, Xdp, XdpStats, XdpStatsCnt

FAMILY_ID = 21  # what the kernel happened to give ethtool on the build host
NLA_F_NESTED = 0x8000
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300

# ETHTOOL_A_XDP_STATS_CNT_*
PAD, QUEUE_ID, ABORTED, DROP, PASS, TX, REDIRECT, UNKNOWN, REDIRECT_ERRORS = range(1, 10)


def nlattr(kind: int, payload: bytes, nested: bool = False) -> bytes:
    out = struct.pack("=HH", 4 + len(payload), kind | (NLA_F_NESTED if nested else 0))
    return out + payload + b"\0" * (-len(payload) % 4)


def u8(kind: int, value: int) -> bytes:
    return nlattr(kind, struct.pack("=B", value))


def u32(kind: int, value: int) -> bytes:
    return nlattr(kind, struct.pack("=I", value))


def u64(kind: int, value: int) -> bytes:
    # nla_put_u64_64bit(): a zero-length PAD first where the arch needs
    # 8-byte alignment; x86 does not, but the decoder must cope with both.
    return nlattr(PAD, b"") + nlattr(kind, struct.pack("=Q", value))


def string(kind: int, value: str) -> bytes:
    return nlattr(kind, value.encode() + b"\0")


def header(ifindex: int | None = None, ifname: str | None = None) -> bytes:
    attrs = b""
    if ifindex is not None:
        attrs += u32(1, ifindex)
    if ifname is not None:
        attrs += string(2, ifname)
    return nlattr(1, attrs, nested=True)


def genl(cmd: int, attrs: bytes, *, flags: int = 0, seq: int = 0, pid: int = 0) -> bytes:
    body = struct.pack("=BBH", cmd, 1, 0) + attrs
    return struct.pack("=IHHII", 16 + len(body), FAMILY_ID, flags, seq, pid) + body


def cnt(kind: int, values: dict[int, int], queue_id: int | None = None) -> bytes:
    attrs = b"" if queue_id is None else u32(QUEUE_ID, queue_id)
    for attr, value in values.items():
        attrs += u64(attr, value)
    return nlattr(kind, attrs, nested=True)


TOTAL = {ABORTED: 1, DROP: 2**40 + 3, PASS: 1000, TX: 4, REDIRECT: 50, UNKNOWN: 6,
         REDIRECT_ERRORS: 7}
Q0 = {ABORTED: 1, DROP: 2**40, PASS: 600, TX: 4, REDIRECT: 20, UNKNOWN: 6, REDIRECT_ERRORS: 0}
Q3 = {ABORTED: 0, DROP: 3, PASS: 400, TX: 0, REDIRECT: 30, UNKNOWN: 0, REDIRECT_ERRORS: 7}


def stats_reply() -> bytes:
    return genl(49, header(7, "veth0") + cnt(2, TOTAL) + cnt(3, Q0, 0) + cnt(3, Q3, 3),
                seq=5, pid=1234)


def expected_cnt(values: dict[int, int], queue_id: int | None = None) -> XdpStatsCnt:
    return XdpStatsCnt(queue_id=queue_id, aborted=values[ABORTED], drop=values[DROP],
                       pass_=values[PASS], tx=values[TX], redirect=values[REDIRECT],
                       unknown=values[UNKNOWN], redirect_errors=values[REDIRECT_ERRORS])


# ---------------------------------------------------------------------------
# Numbers: the generated module against the series' uapi


def test_message_ids_are_directional() -> None:
    assert ethtool.OPS == {
        "xdp-get": (46, 47),
        "xdp-set": (47, None),
        "xdp-ntf": (None, 48),
        "xdp-stats-get": (48, 49),
    }
    assert ethtool.OP_MODES == {
        "xdp-get": ("do", "dump"),
        "xdp-set": ("do",),
        "xdp-ntf": (),
        "xdp-stats-get": ("do", "dump"),
    }
    assert ethtool.MCAST_GROUPS == ("monitor",)
    assert Ethtool.op_ids is ethtool.OPS


def test_attribute_numbers_match_uapi() -> None:
    assert ethtool.XdpStatsCntNla.nla_map == (
        (1, "ETHTOOL_A_XDP_STATS_CNT_PAD", "none"),
        (2, "ETHTOOL_A_XDP_STATS_CNT_QUEUE_ID", "uint32"),
        (3, "ETHTOOL_A_XDP_STATS_CNT_ABORTED", "uint64"),
        (4, "ETHTOOL_A_XDP_STATS_CNT_DROP", "uint64"),
        (5, "ETHTOOL_A_XDP_STATS_CNT_PASS", "uint64"),
        (6, "ETHTOOL_A_XDP_STATS_CNT_TX", "uint64"),
        (7, "ETHTOOL_A_XDP_STATS_CNT_REDIRECT", "uint64"),
        (8, "ETHTOOL_A_XDP_STATS_CNT_UNKNOWN", "uint64"),
        (9, "ETHTOOL_A_XDP_STATS_CNT_REDIRECT_ERRORS", "uint64"),
    )
    assert ethtool.XdpStatsMsg.nla_map == (
        (1, "ETHTOOL_A_XDP_STATS_HEADER", "nest_header|nested"),
        (2, "ETHTOOL_A_XDP_STATS_TOTAL", "nest_xdp_stats_cnt|nested"),
        (3, "ETHTOOL_A_XDP_STATS_QUEUE", "nest_xdp_stats_cnt|nested"),
    )
    assert ethtool.XdpMsg.nla_map == (
        (1, "ETHTOOL_A_XDP_HEADER", "nest_header|nested"),
        (2, "ETHTOOL_A_XDP_STATS_ENABLED", "uint8"),
    )
    assert ethtool.HeaderNla.nla_map[:2] == (
        (1, "ETHTOOL_A_HEADER_DEV_INDEX", "uint32"),
        (2, "ETHTOOL_A_HEADER_DEV_NAME", "asciiz"),
    )
    assert int(ethtool.HeaderFlags.OMIT_REPLY) == 2


def test_model_from_spec_numbers_ops_like_nlspec() -> None:
    family = gen.load_family(gen.DEFAULT_SPEC_DIR / "ethtool.yaml",
                             gen.DEFAULT_SPEC_DIR / "schema")
    assert family.protocol == "genetlink-legacy"
    assert {op.name: (op.req_value, op.rsp_value) for op in family.ops} == ethtool.OPS
    stats = family.attr_sets["xdp-stats"]
    queue = stats.attr("queue")
    assert queue is not None and queue.multi and queue.nested == "xdp-stats-cnt"


# ---------------------------------------------------------------------------
# Requests: exact bytes


def test_encode_xdp_stats_get_do() -> None:
    msg = ethtool.xdp_stats_get_do_request(Header(dev_name="veth0"))
    raw = rt.encode_message(msg, msg_type=FAMILY_ID, flags=NLM_F_REQUEST, seq=9)
    assert raw == genl(48, header(ifname="veth0"), flags=NLM_F_REQUEST, seq=9)
    # the header nest carries NLA_F_NESTED (strict validation insists)
    assert struct.unpack_from("=HH", raw, 20) == (16, 1 | NLA_F_NESTED)


def test_encode_xdp_stats_get_dump_all_devices() -> None:
    msg = ethtool.xdp_stats_get_dump_request()
    raw = rt.encode_message(msg, msg_type=FAMILY_ID, flags=NLM_F_REQUEST | NLM_F_DUMP)
    assert raw == genl(48, b"", flags=NLM_F_REQUEST | NLM_F_DUMP)


def test_encode_xdp_set_enable_by_index() -> None:
    msg = ethtool.xdp_set_do_request(header=Header(dev_index=7), stats_enabled=1)
    raw = rt.encode_message(msg, msg_type=FAMILY_ID, flags=NLM_F_REQUEST | NLM_F_ACK)
    assert raw == genl(47, header(ifindex=7) + u8(2, 1), flags=NLM_F_REQUEST | NLM_F_ACK)


def test_encode_xdp_get_do() -> None:
    msg = ethtool.xdp_get_do_request(Header(dev_name="lo"))
    raw = rt.encode_message(msg, msg_type=FAMILY_ID)
    assert raw == genl(46, header(ifname="lo"), flags=NLM_F_REQUEST)


# ---------------------------------------------------------------------------
# Replies and notifications


def test_decode_stats_reply_total_and_queues() -> None:
    (raw,) = rt.split_messages(stats_reply() + done(), FAMILY_ID)
    assert rt.genl_cmd(raw) == 49
    reply = XdpStats.from_bytes(raw)
    assert reply.header == Header(dev_index=7, dev_name="veth0")
    assert reply.total == expected_cnt(TOTAL)
    assert reply.total is not None and reply.total.drop == 2**40 + 3  # u64, not truncated
    assert reply.queue == (expected_cnt(Q0, 0), expected_cnt(Q3, 3))


def test_decode_stats_reply_without_pad_attributes() -> None:
    # x86 kernels put no PAD before u64s: same result.
    attrs = struct.pack("=HHQ", 12, DROP, 5) + struct.pack("=HHI", 8, QUEUE_ID, 2)
    raw = genl(49, header(7, "veth0") + nlattr(3, attrs, nested=True))
    reply = XdpStats.from_bytes(raw)
    assert reply.total is None
    assert reply.queue == (XdpStatsCnt(queue_id=2, drop=5),)


def test_decode_dump_of_two_devices() -> None:
    data = (genl(49, header(7, "veth0") + cnt(2, TOTAL), flags=2)
            + genl(49, header(9, "veth1") + cnt(2, Q3), flags=2) + done())
    replies = [XdpStats.from_bytes(r) for r in rt.split_messages(data, FAMILY_ID)]
    assert [(r.header.dev_name, r.total) for r in replies] == [
        ("veth0", expected_cnt(TOTAL)),
        ("veth1", expected_cnt(Q3)),
    ]


def test_decode_xdp_get_reply_and_notification() -> None:
    reply = Xdp.from_bytes(genl(47, header(7, "veth0") + u8(2, 1)))
    assert reply == Xdp(header=Header(dev_index=7, dev_name="veth0"), stats_enabled=1)
    # xdp-ntf (48 kernel -> user) decodes with the same attribute set
    kind, fn = ethtool._NOTIFICATIONS[48]
    assert kind == "xdp-ntf"
    assert fn(genl(48, header(7, "veth0") + u8(2, 0))).stats_enabled == 0


def test_stats_reply_roundtrip_through_to_attrs() -> None:
    reply = XdpStats.from_bytes(stats_reply())
    msg: Any = rt.new_request(ethtool.XdpStatsMsg, 49, reply.to_attrs())
    again = XdpStats.from_bytes(rt.encode_message(msg, msg_type=FAMILY_ID))
    assert again == reply


def done() -> bytes:
    return struct.pack("=IHHIIi", 20, 3, 2, 5, 1234, 0)


def nlmsgerr(error: int, extack: str | None) -> bytes:
    orig = struct.pack("=IHHII", 36, FAMILY_ID, NLM_F_REQUEST, 5, 0)  # capped: header only
    tlvs = b"" if extack is None else nlattr(1, extack.encode() + b"\0")
    flags = 0x100 | (0x200 if tlvs else 0)  # NLM_F_CAPPED | NLM_F_ACK_TLVS
    body = struct.pack("=i", error) + orig + tlvs
    return struct.pack("=IHHII", 16 + len(body), 2, flags, 5, 1234) + body


def test_error_enodata_with_extack() -> None:
    text = "XDP statistics are not enabled on this device"
    with pytest.raises(rt.YnlError) as info:
        rt.split_messages(nlmsgerr(-errno.ENODATA, text), FAMILY_ID, op="xdp-stats-get")
    assert info.value.errno == errno.ENODATA
    assert info.value.extack == text


def test_error_unknown_command_has_no_extack() -> None:
    with pytest.raises(rt.YnlError) as info:
        rt.split_messages(nlmsgerr(-errno.EOPNOTSUPP, None), FAMILY_ID)
    assert info.value.is_unsupported and info.value.extack is None


# ---------------------------------------------------------------------------
# kernel_supports(): ids and do/dump modes from CTRL_CMD_GETFAMILY

DO, DUMP, HASPOL, UNS_ADMIN = 0x2, 0x4, 0x8, 0x10


class FakeSock:
    def __init__(self, ops: dict[int, int]) -> None:
        self.ops = ops
        self.closed = False

    def kernel_ops(self) -> dict[int, int]:
        return dict(self.ops)

    def close(self) -> None:
        self.closed = True


SERIES = {45: DO | DUMP | HASPOL, 46: DO | DUMP | HASPOL, 47: DO | HASPOL | UNS_ADMIN,
          48: DO | DUMP | HASPOL}
LINUX_6_12 = {45: DO | DUMP | HASPOL}
# Linux 6.18 as measured on the build host: 46 TSCONFIG_GET, 47 TSCONFIG_SET, 48 RSS_SET.
LINUX_6_18 = {46: DO | DUMP | HASPOL, 47: DO | HASPOL | UNS_ADMIN, 48: DO | HASPOL | UNS_ADMIN,
              49: DO | HASPOL | UNS_ADMIN, 50: DO | HASPOL | UNS_ADMIN}


@pytest.mark.parametrize(
    ("ops", "expected"),
    [(SERIES, True), (LINUX_6_12, False), (LINUX_6_18, False)],
    ids=["series", "6.12", "6.18-id-collision"],
)
def test_kernel_supports_needs_ids_and_modes(ops: dict[int, int], expected: bool) -> None:
    with Ethtool(sock=FakeSock(ops)) as family:  # type: ignore[arg-type]
        assert family.kernel_supports("xdp-get", "xdp-set", "xdp-stats-get") is expected


def test_kernel_supports_single_ops_on_6_18() -> None:
    family = Ethtool(sock=FakeSock(LINUX_6_18))  # type: ignore[arg-type]
    # the ids of xdp-get/xdp-set exist with the same modes: only the set tells
    assert family.kernel_supports("xdp-get")
    assert not family.kernel_supports("xdp-stats-get")


def test_kernel_supports_rejects_non_requests() -> None:
    family = Ethtool(sock=FakeSock(SERIES))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a do/dump"):
        family.kernel_supports("xdp-ntf")
    with pytest.raises(ValueError, match="no operation"):
        family.kernel_supports("rss-set")
