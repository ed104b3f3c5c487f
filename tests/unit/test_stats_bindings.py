"""The bindings `xdptool stats` uses, against netlink bytes built by hand from
the series' uapi:

ethtool (include/uapi/linux/ethtool_netlink.h, private range 200 and up):
    ETHTOOL_MSG_XDP_GET 200, _XDP_SET 201                  (user -> kernel)
    ETHTOOL_MSG_XDP_GET_REPLY 200, _XDP_NTF 201            (kernel -> user)
    ETHTOOL_A_XDP_{HEADER 1, STATS_ENABLED 2 (u8), STATS 3 (nest)}
    ETHTOOL_A_XDP_STAT_{ABORTED 1 .. REDIRECT_ERRORS 7} (uint)
    ETHTOOL_A_HEADER_{DEV_INDEX 1 (u32), DEV_NAME 2 (string), FLAGS 3, PHY_INDEX 4}
    ETHTOOL_FLAG_STATS 1 << 2
netdev (include/uapi/linux/netdev.h):
    NETDEV_CMD_QSTATS_GET 12 (dump)
    NETDEV_A_QSTATS_{IFINDEX 1, QUEUE_TYPE 2, QUEUE_ID 3, SCOPE 4 (uint),
                     RX_PACKETS 8, ..., RX_XDP_ABORTED 200 .. RX_XDP_REDIRECT_ERRORS 206}
    NETDEV_QUEUE_TYPE_{RX 0, TX 1}, NETDEV_QSTATS_SCOPE_QUEUE 1

The bytes are packed with struct, independently of the generated code under
test. Nests carry NLA_F_NESTED, as the kernel sets it; uint attributes are 4
or 8 bytes, as nla_put_uint() chooses.
"""

from __future__ import annotations

import errno
import struct
from typing import Any

import pytest
from genl_fake import done, message, nest, nlattr, string, u8, u32, uint

from xdptool.ynl import runtime as rt
from xdptool.ynl.gen import main as gen
from xdptool.ynl.generated import ethtool, netdev
from xdptool.ynl.generated.ethtool import Header, HeaderFlags, Xdp, XdpStat
from xdptool.ynl.generated.netdev import Qstats, QstatsScope, QueueType

ETHTOOL_ID, NETDEV_ID = 21, 20  # what the kernel happened to give them on the build host
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTI = 0x1, 0x4, 0x300, 0x2

# ETHTOOL_A_XDP_STAT_*
ABORTED, DROP, PASS, TX, REDIRECT, UNKNOWN, REDIRECT_ERRORS = range(1, 8)
TOTAL = {ABORTED: 1, DROP: 2**40 + 3, PASS: 1000, TX: 4, REDIRECT: 50, UNKNOWN: 6,
         REDIRECT_ERRORS: 7}


def header(ifindex: int | None = None, ifname: str | None = None,
           flags: int | None = None) -> bytes:
    attrs = b""
    if ifindex is not None:
        attrs += u32(1, ifindex)
    if ifname is not None:
        attrs += string(2, ifname)
    if flags is not None:
        attrs += u32(3, flags)
    return nest(1, attrs)


def ethtool_msg(cmd: int, attrs: bytes, **kw: Any) -> bytes:
    return message(ETHTOOL_ID, cmd, attrs, **kw)


def stats_nest(values: dict[int, int]) -> bytes:
    return nest(3, *(uint(attr, value) for attr, value in values.items()))


def expected_stat(values: dict[int, int]) -> XdpStat:
    return XdpStat(aborted=values[ABORTED], drop=values[DROP], pass_=values[PASS],
                   tx=values[TX], redirect=values[REDIRECT], unknown=values[UNKNOWN],
                   redirect_errors=values[REDIRECT_ERRORS])


# ---------------------------------------------------------------------------
# Numbers: the generated modules against the series' uapi


def test_message_ids_are_directional() -> None:
    assert ethtool.OPS == {"xdp-get": (200, 200), "xdp-set": (201, None),
                           "xdp-ntf": (None, 201)}
    assert ethtool.OP_MODES == {"xdp-get": ("do", "dump"), "xdp-set": ("do",), "xdp-ntf": ()}
    assert ethtool.MCAST_GROUPS == ("monitor",)
    assert not hasattr(ethtool, "XdpStats")  # the old xdp-stats-get is gone
    assert netdev.OPS["qstats-get"] == (12, 12)
    assert netdev.OP_MODES["qstats-get"] == ("dump",)


def test_attribute_numbers_match_uapi() -> None:
    assert ethtool.XdpMsg.nla_map == (
        (1, "ETHTOOL_A_XDP_HEADER", "nest_header|nested"),
        (2, "ETHTOOL_A_XDP_STATS_ENABLED", "uint8"),
        (3, "ETHTOOL_A_XDP_STATS", "nest_xdp_stat|nested"),
        (4, "ETHTOOL_A_XDP_TX", "nest_xdp_tx|nested"),
        (5, "ETHTOOL_A_XDP_FEATURE_CHECK", "uint32"),
        (6, "ETHTOOL_A_XDP_IMPLICIT_GENERIC", "uint32"),
    )
    assert ethtool.XdpStatNla.nla_map == tuple(
        (i, f"ETHTOOL_A_XDP_STAT_{name}", "ynl_uint") for i, name in enumerate(
            ("ABORTED", "DROP", "PASS", "TX", "REDIRECT", "UNKNOWN", "REDIRECT_ERRORS",
             "XMIT", "XMIT_DROPS"), 1))
    assert ethtool.XdpTxNla.nla_map == (
        (1, "ETHTOOL_A_XDP_TX_MODE", "uint32"),
        (2, "ETHTOOL_A_XDP_TX_COUNT", "uint32"),
        (3, "ETHTOOL_A_XDP_TX_SELECTION", "uint32"),
        (4, "ETHTOOL_A_XDP_TX_MAX_COUNT", "uint32"),
        (5, "ETHTOOL_A_XDP_TX_TARGET", "uint8"),
    )
    assert [(int(m), m.spec_name) for m in ethtool.XdpTxMode] == [(0, "auto"), (1, "on")]
    assert [(int(m), m.spec_name) for m in ethtool.XdpTxSelection] == [
        (0, "auto"), (1, "per-cpu"), (2, "shared")]
    assert ethtool.HeaderNla.nla_map[:3] == (
        (1, "ETHTOOL_A_HEADER_DEV_INDEX", "uint32"),
        (2, "ETHTOOL_A_HEADER_DEV_NAME", "asciiz"),
        (3, "ETHTOOL_A_HEADER_FLAGS", "uint32"),
    )
    assert int(HeaderFlags.STATS) == 4
    rx_xdp = [(n, name) for n, name, _ in netdev.QstatsMsg.nla_map if n >= 200]
    assert rx_xdp == [(200 + i, f"NETDEV_A_QSTATS_RX_XDP_{name}") for i, name in enumerate(
        ("ABORTED", "DROP", "PASS", "TX", "REDIRECT", "UNKNOWN", "REDIRECT_ERRORS"))]
    assert netdev.QstatsMsg.nla_map[:4] == (
        (1, "NETDEV_A_QSTATS_IFINDEX", "uint32"),
        (2, "NETDEV_A_QSTATS_QUEUE_TYPE", "uint32"),
        (3, "NETDEV_A_QSTATS_QUEUE_ID", "uint32"),
        (4, "NETDEV_A_QSTATS_SCOPE", "ynl_uint"),
    )
    assert (int(QueueType.RX), int(QueueType.TX), int(QstatsScope.QUEUE)) == (0, 1, 1)


def test_model_from_spec_numbers_ops_like_nlspec() -> None:
    family = gen.load_family(gen.DEFAULT_SPEC_DIR / "ethtool.yaml",
                             gen.DEFAULT_SPEC_DIR / "schema")
    assert family.protocol == "genetlink-legacy"
    assert {op.name: (op.req_value, op.rsp_value) for op in family.ops} == ethtool.OPS
    stats = family.attr_sets["xdp"].attr("stats")
    assert stats is not None and stats.nested == "xdp-stat" and not stats.multi


# ---------------------------------------------------------------------------
# Requests: exact bytes


def test_encode_xdp_get_with_stats_flag() -> None:
    msg = ethtool.xdp_get_do_request(Header(dev_index=7, flags=HeaderFlags.STATS))
    raw = rt.encode_message(msg, msg_type=ETHTOOL_ID, flags=NLM_F_REQUEST, seq=9)
    assert raw == ethtool_msg(200, header(ifindex=7, flags=4), flags=NLM_F_REQUEST, seq=9)
    # the header nest carries NLA_F_NESTED (strict validation insists)
    assert struct.unpack_from("=HH", raw, 20) == (20, 1 | 0x8000)


def test_encode_xdp_get_dump_all_devices() -> None:
    msg = ethtool.xdp_get_dump_request(header=Header(flags=HeaderFlags.STATS))
    raw = rt.encode_message(msg, msg_type=ETHTOOL_ID, flags=NLM_F_REQUEST | NLM_F_DUMP)
    assert raw == ethtool_msg(200, header(flags=4), flags=NLM_F_REQUEST | NLM_F_DUMP)


def test_encode_xdp_set_enable_by_index() -> None:
    msg = ethtool.xdp_set_do_request(header=Header(dev_index=7), stats_enabled=1)
    raw = rt.encode_message(msg, msg_type=ETHTOOL_ID, flags=NLM_F_REQUEST | NLM_F_ACK)
    assert raw == ethtool_msg(201, header(ifindex=7) + u8(2, 1),
                              flags=NLM_F_REQUEST | NLM_F_ACK)


def test_encode_qstats_dump_of_one_device_per_queue() -> None:
    msg = netdev.qstats_get_dump_request(ifindex=7, scope=QstatsScope.QUEUE)
    raw = rt.encode_message(msg, msg_type=NETDEV_ID, flags=NLM_F_REQUEST | NLM_F_DUMP)
    # scope is a uint: 4 bytes for a small value
    assert raw == message(NETDEV_ID, 12, u32(1, 7) + u32(4, 1),
                          flags=NLM_F_REQUEST | NLM_F_DUMP)


# ---------------------------------------------------------------------------
# Replies and notifications


def test_decode_xdp_get_reply_with_stats() -> None:
    data = ethtool_msg(200, header(7, "veth0") + u8(2, 1) + stats_nest(TOTAL), seq=5)
    (raw,) = rt.split_messages(data + done(5), ETHTOOL_ID)
    assert rt.genl_cmd(raw) == 200
    reply = Xdp.from_bytes(raw)
    assert reply.header == Header(dev_index=7, dev_name="veth0")
    assert reply.stats_enabled == 1
    assert reply.stats == expected_stat(TOTAL)
    assert reply.stats is not None and reply.stats.drop == 2**40 + 3  # 8-byte uint


def test_decode_xdp_get_reply_without_stats() -> None:
    # counting off, or the request did not set the stats flag: no nest
    reply = Xdp.from_bytes(ethtool_msg(200, header(7, "veth0") + u8(2, 0)))
    assert (reply.stats_enabled, reply.stats) == (0, None)
    # a counter missing from the nest stays None (never 0)
    reply = Xdp.from_bytes(ethtool_msg(200, header(7) + u8(2, 1) + nest(3, uint(DROP, 5))))
    assert reply.stats == XdpStat(drop=5)


def test_decode_xdp_get_dump_of_two_devices() -> None:
    data = (ethtool_msg(200, header(7, "veth0") + u8(2, 1) + stats_nest(TOTAL),
                        flags=NLM_F_MULTI)
            + ethtool_msg(200, header(9, "veth1") + u8(2, 0), flags=NLM_F_MULTI) + done())
    replies = [Xdp.from_bytes(r) for r in rt.split_messages(data, ETHTOOL_ID)]
    assert [(r.header.dev_name, r.stats_enabled, r.stats) for r in replies] == [
        ("veth0", 1, expected_stat(TOTAL)),
        ("veth1", 0, None),
    ]


def test_decode_notification() -> None:
    # xdp-ntf (201 kernel -> user) decodes with the xdp attribute set
    kind, fn = ethtool._NOTIFICATIONS[201]
    assert kind == "xdp-ntf"
    assert fn(ethtool_msg(201, header(7, "veth0") + u8(2, 1))).stats_enabled == 1


def test_xdp_reply_roundtrip_through_to_attrs() -> None:
    reply = Xdp.from_bytes(ethtool_msg(200, header(7, "veth0") + u8(2, 1) + stats_nest(TOTAL)))
    msg: Any = rt.new_request(ethtool.XdpMsg, 200, reply.to_attrs())
    assert Xdp.from_bytes(rt.encode_message(msg, msg_type=ETHTOOL_ID)) == reply


def qstats_row(ifindex: int, qtype: int, qid: int, xdp: tuple[int, ...] | None) -> bytes:
    attrs = u32(1, ifindex) + u32(2, qtype) + u32(3, qid) + uint(8, 123) + uint(9, 4567)
    if xdp is not None:
        attrs += b"".join(uint(200 + i, v) for i, v in enumerate(xdp))
    return message(NETDEV_ID, 12, attrs, flags=NLM_F_MULTI)


def test_decode_qstats_queue_dump() -> None:
    data = (qstats_row(7, 0, 0, (1, 2, 3, 4, 5, 6, 7))
            + qstats_row(7, 0, 1, (0, 2**33, 0, 0, 0, 0, 0))
            + qstats_row(7, 1, 0, None) + done())
    rows = [Qstats.from_bytes(r) for r in rt.split_messages(data, NETDEV_ID)]
    assert [(r.ifindex, r.queue_type, r.queue_id) for r in rows] == [
        (7, QueueType.RX, 0), (7, QueueType.RX, 1), (7, QueueType.TX, 0)]
    assert rows[0].rx_xdp_aborted == 1 and rows[0].rx_xdp_redirect_errors == 7
    assert rows[1].rx_xdp_drop == 2**33
    assert rows[2].rx_xdp_pass is None and rows[2].rx_packets == 123


def test_decode_qstats_unknown_attributes_skipped() -> None:
    # a newer kernel's counters (e.g. rx-alloc-fail 12) are skipped
    data = message(NETDEV_ID, 12, u32(1, 7) + uint(12, 9) + uint(201, 3))
    row = Qstats.from_bytes(data)
    assert (row.ifindex, row.rx_xdp_drop, row.queue_id) == (7, 3, None)


# ---------------------------------------------------------------------------
# Errors


def nlmsgerr(error: int, extack: str | None) -> bytes:
    orig = struct.pack("=IHHII", 36, ETHTOOL_ID, NLM_F_REQUEST, 5, 0)  # capped: header only
    tlvs = b"" if extack is None else nlattr(1, extack.encode() + b"\0")
    flags = 0x100 | (0x200 if tlvs else 0)  # NLM_F_CAPPED | NLM_F_ACK_TLVS
    body = struct.pack("=i", error) + orig + tlvs
    return struct.pack("=IHHII", 16 + len(body), 2, flags, 5, 1234) + body


def test_error_with_extack() -> None:
    text = "cannot allocate XDP statistics counters"
    with pytest.raises(rt.YnlError) as info:
        rt.split_messages(nlmsgerr(-errno.ENOMEM, text), ETHTOOL_ID, op="xdp-set")
    assert info.value.errno == errno.ENOMEM
    assert info.value.extack == text


def test_error_permission() -> None:
    with pytest.raises(rt.YnlError) as info:
        rt.split_messages(nlmsgerr(-errno.EPERM, None), ETHTOOL_ID)
    assert info.value.is_permission_error and info.value.extack is None
