"""xdptool.series: the check that ethtool messages 200 and 201 are the series'
xdp-get and xdp-set before anything is sent to them.

First the verifier alone, against families described by their op flags and
request policies (hand-built like net/ethtool/xdp.c, or captured from a real
kernel's upstream ops: tests/data/genl-policy); then `xdptool stats` end to
end on a fake kernel (tests/unit/genl_fake.py) that records every netlink
request: where the ids mean something else, xdptool refuses in one line and
sends nothing to the ethtool family.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import struct
from collections.abc import Sequence
from pathlib import Path

import pytest
from genl_fake import (
    DO,
    DUMP,
    GENL_ADMIN_PERM,
    GENL_ID_CTRL,
    HASPOL,
    NLM_F_ACK,
    NLM_F_DUMP,
    NLM_F_REQUEST,
    SERIES_OPS,
    SERIES_XDP_GET,
    SERIES_XDP_SET,
    SERIES_XDP_SET_POLICY,
    SERIES_XDP_SET_TX,
    U8,
    U32,
    Errno,
    FakeKernel,
    Family,
    Pol,
    attr_dict,
    attrs_of,
    header_policy,
    install,
    messages,
    nest,
    policy_messages,
    relabel_policy,
    string,
    u8,
    u32,
    uint,
)
from typer.testing import CliRunner

from xdptool import cli, series
from xdptool.commands import stats
from xdptool.errors import KernelUnsupportedError, NoSuchDeviceError
from xdptool.ynl import runtime as rt
from xdptool.ynl.gen import main as gen

DATA = Path(__file__).resolve().parents[1] / "data" / "genl-policy"
META = json.loads((DATA / "capture.json").read_text())
ETHTOOL_ID, NETDEV_ID = 21, 20
TAIL = ": this kernel's series is a version xdptool does not speak"


def captured_as(name: str, cmd: int) -> list[bytes]:
    """A captured upstream op's GETPOLICY reply, relabelled as message ``cmd``."""
    return relabel_policy((DATA / f"policy-{name}.reply.bin").read_bytes(), cmd)


def series_policies() -> dict[int, list[bytes]]:
    return {200: policy_messages(ETHTOOL_ID, 200, SERIES_XDP_GET, do=0, dump=0),
            201: policy_messages(ETHTOOL_ID, 201, SERIES_XDP_SET, do=0, dump=None)}


class PolicyFamily:
    """The two things verify() asks of the ethtool family, from tables."""

    def __init__(self, ops: dict[int, int], policies: dict[int, list[bytes]]) -> None:
        self.ops = ops
        self.policies = policies
        self.asked: list[int] = []

    def kernel_ops(self) -> dict[int, int]:
        return dict(self.ops)

    def get_policy(self, op: str | int) -> rt.OpPolicy:
        assert isinstance(op, int)
        self.asked.append(op)
        if op not in self.policies:
            raise rt.YnlError(errno.ENODATA, op="getpolicy")
        return rt.parse_policy(self.policies[op], op)


def refusal(family: PolicyFamily, ops: Sequence[series.ExpectedOp] = series.SERIES) -> str:
    with pytest.raises(KernelUnsupportedError) as info:
        series.verify(family, ops)
    return str(info.value)


def mismatch(cmd: int, name: str, what: str) -> str:
    return f"ethtool message {cmd} on this kernel is not the XDP series' {name} ({what}){TAIL}"


# ---------------------------------------------------------------------------
# The expectation


def test_expectation_follows_the_spec() -> None:
    """Ids, modes and request attributes come from ynl-specs/ethtool.yaml."""
    family = gen.load_family(gen.DEFAULT_SPEC_DIR / "ethtool.yaml", None)
    for expected in series.SERIES:
        op = family.op(expected.name)
        assert op is not None and op.req_value == expected.cmd
        assert expected.modes == tuple(m for m in ("do", "dump") if getattr(op, m))
        assert op.attr_set is not None
        aset = family.attr_sets[op.attr_set]
        spec_request = {aset.attr(name).value: name  # type: ignore[union-attr]
                        for name in op.do.request or []}  # type: ignore[union-attr]
        assert {num: a.name for num, a in expected.attrs.items()} == spec_request
    assert (series.XDP_GET.cmd, series.XDP_SET.cmd) == (200, 201)
    assert series.XDP_SET.attrs[2].describe() == "u8 max 1"
    assert series.XDP_GET.attrs[1].nested[3].describe() == "u32 accepting stats=0x4"


# ---------------------------------------------------------------------------
# The verifier


def test_series_kernel_passes() -> None:
    family = PolicyFamily(SERIES_OPS, series_policies())
    assert series.verify(family) == frozenset()
    assert family.asked == [200, 201]


def test_series_with_tx_patches_passes_and_says_so() -> None:
    policies = {**series_policies(),
                201: policy_messages(ETHTOOL_ID, 201, SERIES_XDP_SET_TX, do=0, dump=None)}
    family = PolicyFamily(SERIES_OPS, policies)
    assert series.verify(family) == frozenset({series.TX})
    assert family.asked == [200, 201]


def test_series_with_policy_patches_passes_and_says_so() -> None:
    policies = {**series_policies(),
                201: policy_messages(ETHTOOL_ID, 201, SERIES_XDP_SET_POLICY, do=0, dump=None)}
    family = PolicyFamily(SERIES_OPS, policies)
    assert series.verify(family) == frozenset(
        {series.TX, series.FEATURE_CHECK, series.IMPLICIT_GENERIC})


@pytest.mark.parametrize(("top", "what"), [
    ({5: Pol(U32, min=0, max=2)}, "attribute 5 feature-check: u32 0..2, expected u32 max 1"),
    ({6: Pol(U8, min=0, max=1)}, "attribute 6 implicit-generic: u8 0..1, expected u32 max 1"),
    ({7: Pol(U32, min=0, max=1)}, "attribute 7 (u32 0..1): not in xdp-set's request"),
])
def test_policy_attrs_that_are_not_the_series(top: dict[int, Pol], what: str) -> None:
    table = {**SERIES_XDP_SET_POLICY, 0: {**SERIES_XDP_SET_POLICY[0], **top}}
    policies = {**series_policies(),
                201: policy_messages(ETHTOOL_ID, 201, table, do=0, dump=None)}
    assert refusal(PolicyFamily(SERIES_OPS, policies)) == mismatch(201, "xdp-set", what)


@pytest.mark.parametrize(("nested", "what"), [
    ({1: Pol(U32, min=0, max=2)}, "attribute 4.1 tx.mode: u32 0..2, expected u32 max 1"),
    ({3: Pol(U8, min=0, max=2)}, "attribute 4.3 tx.selection: u8 0..2, expected u32 max 2"),
    # a series from before selection auto (per-cpu was 0): numbers that mean
    # something else, so not the series xdptool speaks
    ({3: Pol(U32, min=0, max=1)}, "attribute 4.3 tx.selection: u32 0..1, expected u32 max 2"),
    ({2: None}, "attribute 4.2 tx.count: not taken, expected u32"),
])
def test_tx_nest_that_is_not_the_series(nested: dict[int, Pol | None], what: str) -> None:
    """An optional part may be missing, but when it is there it must be the series'."""
    table = {k: v for k, v in {**SERIES_XDP_SET_TX[2], **nested}.items() if v is not None}
    policies = {**series_policies(),
                201: policy_messages(ETHTOOL_ID, 201, {**SERIES_XDP_SET_TX, 2: table},
                                     do=0, dump=None)}
    assert refusal(PolicyFamily(SERIES_OPS, policies)) == mismatch(201, "xdp-set", what)


@pytest.mark.parametrize("ops", [
    {1: DO | DUMP | HASPOL, 45: DO | DUMP | HASPOL},  # Linux 6.12
    {46: DO | DUMP | HASPOL, 47: DO | HASPOL, 48: DO | HASPOL},  # 6.18: the old ids taken
], ids=["6.12", "6.18"])
def test_no_series(ops: dict[int, int]) -> None:
    family = PolicyFamily(ops, {})
    assert refusal(family) == series.NO_SERIES
    assert family.asked == []


def test_no_series_on_captured_6_18() -> None:
    """The ethtool ops of this project's 6.18 host (CTRL_CMD_GETFAMILY, captured)."""
    (raw,) = messages((DATA / "ethtool-getfamily.reply.bin").read_bytes())
    ops_nest = attr_dict(raw[20:])[6]  # CTRL_ATTR_OPS
    ops = {}
    for _, op in attrs_of(ops_nest):
        fields = attr_dict(op)
        ops[struct.unpack("=I", fields[1])[0]] = struct.unpack("=I", fields[2])[0]
    assert ops[46] == DO | DUMP | HASPOL and 200 not in ops and 201 not in ops
    family = PolicyFamily(ops, {})
    assert refusal(family) == series.NO_SERIES
    assert family.asked == []


def test_one_id_missing() -> None:
    family = PolicyFamily({200: SERIES_OPS[200]}, series_policies())
    assert refusal(family) == mismatch(201, "xdp-set", "absent, while message 200 is there")
    family = PolicyFamily({201: SERIES_OPS[201]}, series_policies())
    assert refusal(family) == mismatch(200, "xdp-get", "absent, while message 201 is there")


@pytest.mark.parametrize(("ops", "line"), [
    ({200: DO | HASPOL, 201: DO | HASPOL},
     mismatch(200, "xdp-get", "do only, expected do and dump")),
    ({200: DUMP | HASPOL, 201: DO | HASPOL},
     mismatch(200, "xdp-get", "dump only, expected do and dump")),
    ({200: DO | DUMP | HASPOL, 201: DO | DUMP | HASPOL},
     mismatch(201, "xdp-set", "do and dump, expected do only")),
    ({200: DO | DUMP, 201: DO | HASPOL},
     mismatch(200, "xdp-get", "no request policy, expected attributes 1 header")),
])
def test_modes_differ(ops: dict[int, int], line: str) -> None:
    family = PolicyFamily(ops, series_policies())
    assert refusal(family) == line
    cmd = int(line.split()[2])
    assert cmd not in family.asked  # the modes alone decide: its policy is not asked for


def wrong(cmd: int, policies: dict[int, dict[int, Pol]], do: int | None = 0,
          dump: int | None = 0) -> dict[int, list[bytes]]:
    out = series_policies()
    out[cmd] = policy_messages(ETHTOOL_ID, cmd, policies, do=do, dump=dump)
    return out


@pytest.mark.parametrize(("policies", "line"), [
    # xdp-set's stats-enabled without the series' upper bound
    (wrong(201, {0: {1: Pol(13, policy_idx=1, maxtype=3), 2: Pol(U8, min=0, max=255)},
                 1: header_policy(0x3)}, dump=None),
     mismatch(201, "xdp-set", "attribute 2 stats-enabled: u8 0..255, expected u8 max 1")),
    # a u32 where the series has a u8
    (wrong(201, {0: {1: Pol(13, policy_idx=1, maxtype=3), 2: Pol(U32, min=0, max=1)},
                 1: header_policy(0x3)}, dump=None),
     mismatch(201, "xdp-set", "attribute 2 stats-enabled: u32 0..1, expected u8 max 1")),
    # a header whose flags do not take the stats flag
    (wrong(200, {0: {1: Pol(13, policy_idx=1, maxtype=3)}, 1: header_policy(0x3)}),
     mismatch(200, "xdp-get", "attribute 1.3 header.flags: u32 mask 0x3, "
                              "expected u32 accepting stats=0x4")),
    # a header that does not take the device by index
    (wrong(200, {0: {1: Pol(13, policy_idx=1, maxtype=3)},
                 1: {k: v for k, v in header_policy(0x7).items() if k != 1}}),
     mismatch(200, "xdp-get", "attribute 1.1 header.dev-index: not taken, expected u32")),
    # one attribute more
    (wrong(200, {0: {1: Pol(13, policy_idx=1, maxtype=3), 2: Pol(U32, min=0, max=7)},
                 1: header_policy(0x7)}),
     mismatch(200, "xdp-get", "attribute 2 (u32 0..7): not in xdp-get's request")),
    # the header is not a nest
    (wrong(200, {0: {1: Pol(U32, min=0, max=9)}}),
     mismatch(200, "xdp-get", "attribute 1 header: u32 0..9, expected nest")),
    # no policy for dump requests
    (wrong(200, SERIES_XDP_GET, dump=None),
     mismatch(200, "xdp-get", "no policy for dump requests, expected attributes 1 header")),
    # no policy at all (ENODATA), though the op claims one
    ({200: series_policies()[200]},
     mismatch(201, "xdp-set", "no request policy, expected attributes 1 header, "
                              "2 stats-enabled, 4 tx (optional), 5 feature-check (optional), "
                              "6 implicit-generic (optional)")),
])
def test_policy_differs(policies: dict[int, list[bytes]], line: str) -> None:
    assert refusal(PolicyFamily(SERIES_OPS, policies)) == line


def test_do_and_dump_policies_checked_both() -> None:
    table = {**SERIES_XDP_GET, 2: {1: Pol(U32, min=0, max=9)}}
    policies = series_policies()
    policies[200] = policy_messages(ETHTOOL_ID, 200, table, do=0, dump=2)
    assert refusal(PolicyFamily(SERIES_OPS, policies)) == mismatch(
        200, "xdp-get", "attribute 1 header: u32 0..9, expected nest")


def test_upstream_ops_at_the_series_ids() -> None:
    """Real upstream policies (captured) under the series' ids: refused."""
    family = PolicyFamily(SERIES_OPS, {200: captured_as("ethtool-channels-get", 200),
                                       201: captured_as("ethtool-channels-set", 201)})
    assert refusal(family) == mismatch(
        200, "xdp-get", "attribute 1.3 header.flags: u32 mask 0x3, "
                        "expected u32 accepting stats=0x4")
    family.policies[200] = series_policies()[200]
    count = "u32 0..4294967295"
    assert refusal(family) == mismatch(
        201, "xdp-set", f"attribute 2 stats-enabled: not taken, expected u8 max 1; "
                        f"attribute 6 implicit-generic: {count}, expected u32 max 1; "
                        f"attributes 7 ({count}), 8 ({count}), 9 ({count}): "
                        "not in xdp-set's request")


def test_linux_6_18_tsconfig_get_is_not_xdp_get() -> None:
    """On 6.18, message 46 (TSCONFIG_GET; xdp-get's id in an older series) has
    xdp-get's modes and a header-only policy: only the stats flag tells them apart."""
    ours = dataclasses.replace(series.XDP_GET, cmd=46)
    family = PolicyFamily({46: DO | DUMP | HASPOL},
                          {46: relabel_policy((DATA / "policy-ethtool-46.reply.bin")
                                              .read_bytes(), 46)})
    assert refusal(family, (ours,)) == mismatch(
        46, "xdp-get", "attribute 1.3 header.flags: u32 mask 0x3, "
                       "expected u32 accepting stats=0x4")


def test_other_getpolicy_errors_are_not_a_verdict() -> None:
    class Failing(PolicyFamily):
        def get_policy(self, op: str | int) -> rt.OpPolicy:
            raise rt.YnlError(errno.EINTR, op="getpolicy")

    with pytest.raises(series.XdptoolError) as info:
        series.verify(Failing(SERIES_OPS, {}))
    assert not isinstance(info.value, KernelUnsupportedError)
    assert str(info.value) == ("ethtool netlink family: reading the policy of message 200: "
                               "getpolicy: Interrupted system call")


# ---------------------------------------------------------------------------
# `xdptool stats` on a fake kernel, down to the bytes

runner = CliRunner()
COUNTERS7 = (200, 201, 202, 203, 204, 205, 206)  # NETDEV_A_QSTATS_RX_XDP_*


@dataclasses.dataclass
class Device:
    ifindex: int
    name: str
    enabled: bool
    total: tuple[int, ...]  # ETHTOOL_A_XDP_STAT_ABORTED .. _REDIRECT_ERRORS
    queues: dict[int, tuple[int, ...]]


def ethtool_family(ops: dict[int, int], policies: dict[int, list[bytes]],
                   devices: dict[int, Device]) -> Family:
    def header_dev(attrs: dict[int, bytes]) -> tuple[Device, int]:
        header = attr_dict(attrs[1])
        (ifindex,) = struct.unpack("=I", header[1])
        flags = struct.unpack("=I", header[3])[0] if 3 in header else 0
        if ifindex not in devices:
            raise Errno(errno.ENODEV, "no device matches ifindex")
        return devices[ifindex], flags

    def xdp_get(attrs: dict[int, bytes], dump: bool) -> list[bytes]:
        dev, flags = header_dev(attrs)
        body = nest(1, u32(1, dev.ifindex), string(2, dev.name)) + u8(2, int(dev.enabled))
        if dev.enabled and flags & 0x4:
            body += nest(3, *(uint(i, v) for i, v in enumerate(dev.total, 1)))
        return [body]

    def xdp_set(attrs: dict[int, bytes], dump: bool) -> list[bytes]:
        dev, _ = header_dev(attrs)
        dev.enabled = bool(attrs[2][0])
        return []

    return Family("ethtool", ETHTOOL_ID, ops, policies=policies,
                  handlers={200: xdp_get, 201: xdp_set}, mcast_groups={"monitor": 5})


def netdev_family(devices: dict[int, Device]) -> Family:
    def qstats_get(attrs: dict[int, bytes], dump: bool) -> list[bytes]:
        (ifindex,) = struct.unpack("=I", attrs[1])
        assert struct.unpack("=I", attrs[4]) == (1,)  # scope queue
        dev = devices[ifindex]
        rows = []
        for qid, values in sorted(dev.queues.items()):
            rows.append(u32(1, ifindex) + u32(2, 0) + u32(3, qid) + uint(8, 1000)
                        + b"".join(uint(a, v) for a, v in zip(COUNTERS7, values, strict=True)))
            rows.append(u32(1, ifindex) + u32(2, 1) + u32(3, qid) + uint(10, 5))  # TX
        return rows

    return Family("netdev", NETDEV_ID, {1: DO | DUMP | HASPOL, 12: DUMP | HASPOL},
                  handlers={12: qstats_get}, mcast_groups={"mgmt": 4})


@pytest.fixture
def devices(monkeypatch: pytest.MonkeyPatch) -> dict[int, Device]:
    devs = {7: Device(7, "veth0", True, (1, 20, 300, 4, 50, 0, 9),
                      {0: (1, 10, 100, 4, 20, 0, 3), 1: (0, 10, 150, 0, 30, 0, 4)})}
    by_name = {d.name: i for i, d in devs.items()}

    def ifindex_of(name: str) -> int:
        if name not in by_name:
            raise NoSuchDeviceError(name)
        return by_name[name]

    monkeypatch.setattr(stats, "ifindex_of", ifindex_of)
    return devs


def run_cli(monkeypatch: pytest.MonkeyPatch, kernel: FakeKernel, *args: str):  # type: ignore[no-untyped-def]
    install(monkeypatch, kernel)
    result = runner.invoke(cli.app, list(args), prog_name="xdptool")
    assert all(sock.closed for sock in kernel.sockets), "socket left open"
    return result


def test_series_kernel_end_to_end(monkeypatch: pytest.MonkeyPatch,
                                  devices: dict[int, Device]) -> None:
    kernel = FakeKernel(ethtool_family(SERIES_OPS, series_policies(), devices),
                        netdev_family(devices))
    result = run_cli(monkeypatch, kernel, "stats", "veth0", "--per-queue")
    assert result.exit_code == 0, result.output
    assert [line.split() for line in result.stdout.splitlines()] == [
        ["XDP", "action", "statistics", "for", "veth0:"],
        ["queue", "aborted", "drop", "pass", "tx", "redirect", "unknown", "redirect-errors"],
        ["0", "1", "10", "100", "4", "20", "0", "3"],
        ["1", "0", "10", "150", "0", "30", "0", "4"],
        ["other", "0", "0", "50", "0", "0", "0", "2"],
        ["total", "1", "20", "300", "4", "50", "0", "9"],
    ]
    sent = [(s.msg_type, s.cmd, s.flags) for s in kernel.sent]
    assert sent == [
        (GENL_ID_CTRL, 3, NLM_F_REQUEST),  # getfamily ethtool: ops and flags
        (GENL_ID_CTRL, 10, NLM_F_REQUEST | NLM_F_DUMP),  # getpolicy 200
        (GENL_ID_CTRL, 10, NLM_F_REQUEST | NLM_F_DUMP),  # getpolicy 201
        (GENL_ID_CTRL, 3, NLM_F_REQUEST),  # getfamily netdev
        (NETDEV_ID, 12, NLM_F_REQUEST | NLM_F_DUMP),  # qstats-get, first
        (ETHTOOL_ID, 200, NLM_F_REQUEST),  # xdp-get, after the check
    ]
    xdp_get = kernel.sent[-1]
    assert attr_dict(xdp_get.attrs[1]) == {1: struct.pack("=I", 7), 3: struct.pack("=I", 4)}
    qstats = kernel.sent[-2]
    assert qstats.attrs == {1: struct.pack("=I", 7), 4: struct.pack("=I", 1)}


def test_series_kernel_json_and_enable(monkeypatch: pytest.MonkeyPatch,
                                       devices: dict[int, Device]) -> None:
    kernel = FakeKernel(ethtool_family(SERIES_OPS, series_policies(), devices),
                        netdev_family(devices))
    result = run_cli(monkeypatch, kernel, "stats", "--json", "veth0")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["total"] == {"aborted": 1, "drop": 20, "pass": 300, "tx": 4, "redirect": 50,
                            "unknown": 0, "redirect_errors": 9}
    assert [q["queue_id"] for q in out["queues"]] == [0, 1]
    result = run_cli(monkeypatch, kernel, "stats", "disable", "veth0")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert not devices[7].enabled
    xdp_set = kernel.sent[-1]
    assert (xdp_set.msg_type, xdp_set.cmd, xdp_set.flags) == (ETHTOOL_ID, 201,
                                                              NLM_F_REQUEST | NLM_F_ACK)
    assert attr_dict(xdp_set.attrs[1]) == {1: struct.pack("=I", 7)}
    assert xdp_set.attrs[2] == b"\0"
    result = run_cli(monkeypatch, kernel, "stats", "veth0")
    assert result.exit_code == 1
    assert result.stderr == ('xdptool: XDP statistics are not enabled on "veth0": '
                             "run 'xdptool stats enable veth0'\n")


@pytest.mark.parametrize("argv", [("stats", "veth0"), ("stats", "--json", "veth0"),
                                  ("stats", "enable", "veth0"), ("stats", "disable", "veth0"),
                                  ("stats", "--watch", "veth0", "--count", "1")])
def test_ids_that_mean_something_else(monkeypatch: pytest.MonkeyPatch,
                                      devices: dict[int, Device],
                                      argv: tuple[str, ...]) -> None:
    """A kernel whose ethtool messages 200 and 201 exist with the series'
    modes but are other ops (upstream's channels-get and channels-set, their
    real policies): one line, exit 1, and not one request to ethtool."""
    foreign = {200: captured_as("ethtool-channels-get", 200),
               201: captured_as("ethtool-channels-set", 201)}
    kernel = FakeKernel(ethtool_family(SERIES_OPS, foreign, devices), netdev_family(devices))
    result = run_cli(monkeypatch, kernel, *argv)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "xdptool: " + mismatch(
        200, "xdp-get", "attribute 1.3 header.flags: u32 mask 0x3, "
                        "expected u32 accepting stats=0x4") + "\n"
    assert kernel.sent_to("ethtool") == []
    assert all(s.msg_type == GENL_ID_CTRL for s in kernel.sent)
    assert [s.cmd for s in kernel.sent] == [3, 10]  # getfamily, getpolicy 200: that is all


def test_set_id_that_means_something_else(monkeypatch: pytest.MonkeyPatch,
                                          devices: dict[int, Device]) -> None:
    policies = series_policies()
    policies[201] = captured_as("ethtool-channels-set", 201)
    kernel = FakeKernel(ethtool_family(SERIES_OPS, policies, devices), netdev_family(devices))
    result = run_cli(monkeypatch, kernel, "stats", "enable", "veth0")
    assert result.exit_code == 1
    assert result.stderr.startswith("xdptool: ethtool message 201 on this kernel is not the "
                                    "XDP series' xdp-set (attribute 2 stats-enabled: not taken")
    assert result.stderr.endswith(TAIL + "\n") and result.stderr.count("\n") == 1
    assert kernel.sent_to("ethtool") == [] and kernel.sent_to("netdev") == []


def test_kernel_without_the_series_sends_only_getfamily(monkeypatch: pytest.MonkeyPatch,
                                                        devices: dict[int, Device]) -> None:
    # Linux 6.18's ethtool: ids up to 50, 46..48 taken by other commands
    ops = {i: DO | HASPOL for i in range(1, 51)} | {46: DO | DUMP | HASPOL}
    kernel = FakeKernel(ethtool_family(ops, {}, devices), netdev_family(devices))
    for argv in (("stats", "veth0"), ("stats", "enable", "veth0")):
        result = run_cli(monkeypatch, kernel, *argv)
        assert (result.exit_code, result.stderr) == (1, f"xdptool: {series.NO_SERIES}\n")
    assert [(s.msg_type, s.cmd) for s in kernel.sent] == [(GENL_ID_CTRL, 3)] * 2


def test_permission_denied_names_the_initial_namespace(monkeypatch: pytest.MonkeyPatch,
                                                       devices: dict[int, Device]) -> None:
    family = ethtool_family(SERIES_OPS | {201: DO | HASPOL | GENL_ADMIN_PERM},
                            series_policies(), devices)

    def denied(attrs: dict[int, bytes], dump: bool) -> list[bytes]:
        raise Errno(errno.EPERM)

    family.handlers[201] = denied
    kernel = FakeKernel(family, netdev_family(devices))
    result = run_cli(monkeypatch, kernel, "stats", "enable", "veth0")
    assert result.exit_code == 1
    assert result.stderr == ("xdptool: permission denied: enabling XDP statistics needs "
                             "CAP_NET_ADMIN in the initial user namespace\n")
