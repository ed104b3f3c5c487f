"""`xdptool stats` through the real Typer app, the ethtool and netdev families faked.

The fakes stand in for the generated ``Ethtool`` and ``Netdev`` classes
(same methods, the generated dataclasses as replies, YnlError as the
kernel's errors; the ethtool one describes its ops and request policies like
the series' kernel, tests/unit/genl_fake.py), so the whole path below the
CLI runs: series check, error mapping, conversion, rendering.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from genl_fake import SERIES_OPS, SERIES_XDP_GET, SERIES_XDP_SET, policy_messages
from typer.testing import CliRunner

from xdptool import cli, series
from xdptool.commands import stats
from xdptool.commands import stats as stats_source
from xdptool.errors import NoSuchDeviceError
from xdptool.ynl import runtime as rt
from xdptool.ynl.generated.ethtool import Header, HeaderFlags, Xdp, XdpStat
from xdptool.ynl.generated.netdev import Qstats, QstatsScope, QueueType
from xdptool.ynl.runtime import FamilyNotFoundError, YnlDecodeError, YnlError

if TYPE_CHECKING:
    from click.testing import Result

runner = CliRunner()

NO_SERIES = f"xdptool: {series.NO_SERIES}\n"
COUNTER_FIELDS = ("aborted", "drop", "pass_", "tx", "redirect", "unknown", "redirect_errors")
POLICIES = {200: rt.parse_policy(policy_messages(21, 200, SERIES_XDP_GET, 0, 0), 200),
            201: rt.parse_policy(policy_messages(21, 201, SERIES_XDP_SET, 0, None), 201)}


def cnt(base: int) -> tuple[int, ...]:
    """aborted, drop, pass, tx, redirect, unknown, redirect-errors"""
    return (base, base * 10, base * 100, base + 1, base + 2, 0, base + 3)


@dataclass
class FakeKernel:
    """What the ethtool and netdev families of the faked kernel do."""

    series: bool = True
    devices: dict[str, int] = field(default_factory=lambda: {"lo": 1, "veth0": 7, "veth1": 8})
    enabled: set[str] = field(default_factory=lambda: {"veth0"})
    # Raised by the next xdp-set / xdp-get / qstats-get instead of the normal answer.
    set_error: BaseException | None = None
    get_error: BaseException | None = None
    qstats_error: BaseException | None = None
    # Raised when opening the ethtool family.
    open_error: BaseException | None = None
    # Frames counted in the total but in no current queue (a queue that went away).
    extra: int = 0
    calls: list[tuple[str, Any]] = field(default_factory=list)
    reads: int = 0
    interrupt_after: int | None = None  # KeyboardInterrupt on this read (Ctrl-C)
    open_sockets: int = 0

    def name_of(self, ifindex: int | None) -> str:
        for name, index in self.devices.items():
            if index == ifindex:
                return name
        raise YnlError(errno.ENODEV, extack="no device matches ifindex", op="x")

    def queues(self) -> dict[int, tuple[int, ...]]:
        # veth0 counts 1000 more frames per reading on queue 1, none on queue 0
        return {0: cnt(0), 1: cnt(11 + self.reads * 10)}

    def total(self) -> tuple[int, ...]:
        per_queue = self.queues().values()
        return tuple(sum(values) + (self.extra if i == 2 else 0)
                     for i, values in enumerate(zip(*per_queue, strict=True)))


class FakeEthtool:
    def __init__(self, kernel: FakeKernel) -> None:
        if kernel.open_error is not None:
            raise kernel.open_error
        self.k = kernel
        kernel.open_sockets += 1

    def kernel_ops(self) -> dict[int, int]:
        if self.k.series:
            return dict(SERIES_OPS)
        return {46: 0xE, 47: 0x1A, 48: 0x1A}  # Linux 6.18: TSCONFIG_GET/_SET, RSS_SET

    def get_policy(self, op: str | int) -> rt.OpPolicy:
        self.k.calls.append(("getpolicy", op))
        return POLICIES[int(op)]

    def xdp_get(self, header: Header) -> Xdp:
        assert self.k.series, "sent a request to a kernel without the series"
        self.k.calls.append(("xdp-get", header))
        if self.k.get_error is not None:
            raise self.k.get_error
        name = self.k.name_of(header.dev_index)
        enabled = name in self.k.enabled
        stat = None
        if enabled and header.flags is not None and header.flags & HeaderFlags.STATS:
            stat = XdpStat(**dict(zip(COUNTER_FIELDS, self.k.total(), strict=True)))
        self.k.reads += 1
        if self.k.interrupt_after is not None and self.k.reads > self.k.interrupt_after:
            raise KeyboardInterrupt
        return Xdp(header=Header(dev_index=header.dev_index, dev_name=name),
                   stats_enabled=int(enabled), stats=stat)

    def xdp_set(self, *, header: Header | None = None, stats_enabled: int | None = None) -> None:
        assert self.k.series, "sent a request to a kernel without the series"
        assert header is not None
        self.k.calls.append(("xdp-set", (header, stats_enabled)))
        if self.k.set_error is not None:
            raise self.k.set_error
        name = self.k.name_of(header.dev_index)
        (self.k.enabled.add if stats_enabled else self.k.enabled.discard)(name)

    def close(self) -> None:
        self.k.open_sockets -= 1


class FakeNetdev:
    def __init__(self, kernel: FakeKernel) -> None:
        self.k = kernel
        kernel.open_sockets += 1

    def kernel_supports(self, *ops: str) -> bool:
        assert ops == ("qstats-get",)
        return True

    def qstats_get_dump(self, *, ifindex: int | None = None,
                        scope: QstatsScope | int | None = None) -> list[Qstats]:
        self.k.calls.append(("qstats-get", (ifindex, scope)))
        if self.k.qstats_error is not None:
            raise self.k.qstats_error
        name = self.k.name_of(ifindex)
        rows = []
        if name in self.k.enabled:
            for qid, values in self.k.queues().items():
                fields: dict[str, Any] = {f"rx_xdp_{f.rstrip('_')}": v
                                          for f, v in zip(COUNTER_FIELDS, values, strict=True)}
                rows.append(Qstats(ifindex=ifindex, queue_type=QueueType.RX, queue_id=qid,
                                   rx_packets=5, **fields))
        rows.append(Qstats(ifindex=ifindex, queue_type=QueueType.TX, queue_id=0, tx_packets=9))
        return rows

    def close(self) -> None:
        self.k.open_sockets -= 1


@dataclass
class FakeTime:
    now: float = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKernel]:
    k = FakeKernel()

    def ifindex_of(name: str) -> int:
        if name not in k.devices:
            raise NoSuchDeviceError(name)
        return k.devices[name]

    monkeypatch.setattr(stats_source, "open_family", lambda: FakeEthtool(k))
    monkeypatch.setattr(stats_source, "open_netdev", lambda: FakeNetdev(k))
    monkeypatch.setattr(stats_source, "ifindex_of", ifindex_of)
    t = FakeTime()
    monkeypatch.setattr(stats, "_clock", t.clock)
    monkeypatch.setattr(stats, "_sleep", t.sleep)
    yield k
    assert k.open_sockets == 0, "socket left open"


def run(*args: str) -> Result:
    return runner.invoke(cli.app, list(args), prog_name="xdptool")


def assert_error(result: Result, line: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr == f"xdptool: {line}\n"
    assert result.stdout == ""
    assert isinstance(result.exception, SystemExit)  # not an escaped exception


# ---------------------------------------------------------------------------
# Reading


TEXT_VETH0 = """\
XDP action statistics for veth0:
aborted:         11
drop:            110
pass:            1100
tx:              13
redirect:        15
unknown:         0
redirect-errors: 17
"""
TOTAL_VETH0 = {"aborted": 11, "drop": 110, "pass": 1100, "tx": 13, "redirect": 15,
               "unknown": 0, "redirect_errors": 17}
VERIFY = [("getpolicy", 200), ("getpolicy", 201)]


@pytest.mark.parametrize("argv", [("stats", "veth0"), ("stats", "show", "veth0")])
def test_text(kernel: FakeKernel, argv: tuple[str, ...]) -> None:
    result = run(*argv)
    assert result.exit_code == 0, result.output
    assert result.stdout == TEXT_VETH0
    # the total alone: ethtool xdp-get with the stats flag, by ifindex; no queues read
    assert kernel.calls == [*VERIFY,
                            ("xdp-get", Header(dev_index=7, flags=HeaderFlags.STATS))]


def test_json_exact(kernel: FakeKernel) -> None:
    result = run("stats", "--json", "veth0")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "ifname": "veth0",
        "ifindex": 7,
        "total": TOTAL_VETH0,
        "queues": [
            {"queue_id": 0, "aborted": 0, "drop": 0, "pass": 0, "tx": 1, "redirect": 2,
             "unknown": 0, "redirect_errors": 3},
            {"queue_id": 1, "aborted": 11, "drop": 110, "pass": 1100, "tx": 12,
             "redirect": 13, "unknown": 0, "redirect_errors": 14},
        ],
        # this kernel's series has no XDP TX patches: not reported
        "target": {"xmit": None, "xmit_drops": None},
    }
    # field order is part of the interface
    assert list(json.loads(result.stdout)) == ["ifname", "ifindex", "total", "queues",
                                               "target"]
    # queues first (netdev qstats-get, scope queue), then the total
    assert kernel.calls[2:] == [("qstats-get", (7, QstatsScope.QUEUE)),
                                ("xdp-get", Header(dev_index=7, flags=HeaderFlags.STATS))]
    # options may come after DEV too
    kernel.reads = 0
    assert run("stats", "veth0", "--json").stdout == result.stdout


def test_json_total_is_the_kernels(kernel: FakeKernel) -> None:
    """The total is ethtool's, not the sum of the queues: here 50 more pass."""
    kernel.extra = 50
    out = json.loads(run("stats", "veth0", "--json").stdout)
    assert out["total"]["pass"] == 1150
    assert sum(q["pass"] for q in out["queues"]) == 1100


def test_json_with_missing_counter_is_null(kernel: FakeKernel,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakeEthtool, "xdp_get", lambda self, header: Xdp(
        header=Header(dev_index=7, dev_name="veth0"), stats_enabled=1,
        stats=XdpStat(drop=5)))
    monkeypatch.setattr(FakeNetdev, "qstats_get_dump", lambda self, **kw: [])
    out = json.loads(run("stats", "veth0", "--json").stdout)
    assert out["total"]["drop"] == 5 and out["total"]["pass"] is None
    assert out["queues"] == []
    assert "pass:            n/a" in run("stats", "veth0").stdout


def test_redirect_target_counters(kernel: FakeKernel, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel with the series' XDP TX patches counts what was redirected into
    the device: a block of its own in text, "target" in JSON."""
    monkeypatch.setattr(FakeEthtool, "xdp_get", lambda self, header: Xdp(
        header=Header(dev_index=7, dev_name="veth0"), stats_enabled=1,
        stats=XdpStat(drop=5, xmit=40, xmit_drops=2)))
    monkeypatch.setattr(FakeNetdev, "qstats_get_dump", lambda self, **kw: [])
    out = json.loads(run("stats", "veth0", "--json").stdout)
    assert out["target"] == {"xmit": 40, "xmit_drops": 2}
    text = run("stats", "veth0").stdout
    assert text.endswith("redirect-errors: n/a\nRedirected into the device:\n"
                         "xmit:            40\nxmit-drops:      2\n"), text
    # without them (a series without the XDP TX patches) no such block
    assert "Redirected" not in TEXT_VETH0


def test_per_queue_table(kernel: FakeKernel) -> None:
    result = run("stats", "veth0", "--per-queue")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "XDP action statistics for veth0:"
    assert lines[1].split() == ["queue", "aborted", "drop", "pass", "tx", "redirect",
                                "unknown", "redirect-errors"]
    assert [line.split() for line in lines[2:]] == [
        ["0", "0", "0", "0", "1", "2", "0", "3"],
        ["1", "11", "110", "1100", "12", "13", "0", "14"],
        ["total", "11", "110", "1100", "13", "15", "0", "17"],
    ]


def test_per_queue_table_other_row(kernel: FakeKernel) -> None:
    """Queues that do not add up to the total: an `other` row says by how much."""
    kernel.extra = 7
    lines = run("stats", "veth0", "-q").stdout.splitlines()
    assert [line.split() for line in lines[2:]] == [
        ["0", "0", "0", "0", "1", "2", "0", "3"],
        ["1", "11", "110", "1100", "12", "13", "0", "14"],
        ["other", "0", "0", "7", "0", "0", "0", "0"],
        ["total", "11", "110", "1107", "13", "15", "0", "17"],
    ]


def test_per_queue_device_without_queue_counters(kernel: FakeKernel) -> None:
    kernel.qstats_error = YnlError(errno.EOPNOTSUPP, op="qstats-get")
    lines = run("stats", "veth0", "-q").stdout.splitlines()
    assert [line.split()[0] for line in lines[2:]] == ["total"]


def test_per_queue_read_fails(kernel: FakeKernel) -> None:
    kernel.qstats_error = YnlError(errno.EBUSY, extack="try again", op="qstats-get")
    assert_error(run("stats", "veth0", "-q"), "veth0: reading per-queue XDP statistics "
                 "failed: Device or resource busy: try again")


# ---------------------------------------------------------------------------
# --watch


def test_watch_text_rates(kernel: FakeKernel) -> None:
    result = run("stats", "--watch", "veth0", "--interval", "2", "--count", "2")
    assert result.exit_code == 0, result.output
    blocks = [b for b in result.stdout.split("\n\n") if b.strip()]
    assert len(blocks) == 2
    lines = blocks[0].splitlines()
    assert lines[0] == ("XDP actions on veth0, per second over 2.00 s "
                        "(every 2 s; Ctrl-C quits):")
    assert lines[1].split() == ["action", "total", "per", "second"]
    # each reading adds 10 aborted, 100 drop, 1000 pass ... over 2 s
    assert [line.split() for line in lines[2:]] == [
        ["aborted", "21", "5.0"],
        ["drop", "210", "50.0"],
        ["pass", "2100", "500"],
        ["tx", "23", "5.0"],
        ["redirect", "25", "5.0"],
        ["unknown", "0", "0"],
        ["redirect-errors", "27", "5.0"],
    ]
    assert blocks[1].splitlines()[2].split() == ["aborted", "31", "5.0"]
    # baseline + 2 refreshes, one socket, no queues needed
    assert [c[0] for c in kernel.calls] == ["getpolicy"] * 2 + ["xdp-get"] * 3


def test_watch_per_queue_rates(kernel: FakeKernel) -> None:
    result = run("stats", "-w", "veth0", "--per-queue", "-c", "1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[1].split()[:3] == ["queue", "aborted", "drop"]
    assert [line.split() for line in lines[2:]] == [
        ["0", "0", "0", "0", "0", "0", "0", "0"],
        ["1", "10.0", "100", "1000", "10.0", "10.0", "0", "10.0"],
        ["total", "10.0", "100", "1000", "10.0", "10.0", "0", "10.0"],
    ]


def test_watch_per_queue_other_rates(kernel: FakeKernel) -> None:
    kernel.extra = 3
    lines = run("stats", "-w", "veth0", "-q", "-c", "1").stdout.strip().splitlines()
    assert [line.split() for line in lines[4:]] == [
        ["other", "0", "0", "0", "0", "0", "0", "0"],
        ["total", "10.0", "100", "1000", "10.0", "10.0", "0", "10.0"],
    ]


def test_watch_json_lines(kernel: FakeKernel) -> None:
    result = run("stats", "veth0", "--watch", "--json", "--interval", "0.5", "--count", "2")
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["total"]["drop"] == 210 and second["total"]["drop"] == 310
    assert first["seconds"] == 0.5
    assert first["rates"] == {"aborted": 20.0, "drop": 200.0, "pass": 2000.0, "tx": 20.0,
                              "redirect": 20.0, "unknown": 0.0, "redirect_errors": 20.0}
    assert [q["rates"]["pass"] for q in first["queues"]] == [0.0, 2000.0]
    assert list(first) == ["ifname", "ifindex", "total", "queues", "target", "seconds",
                           "rates"]


def test_watch_ctrl_c_exits_130_quietly(kernel: FakeKernel) -> None:
    kernel.interrupt_after = 2  # Ctrl-C during the third reading
    result = run("stats", "veth0", "--watch")
    assert result.exit_code == 130  # as everywhere: Ctrl-C is an interruption
    assert result.stderr == ""
    assert "Traceback" not in result.output and "Aborted" not in result.output
    assert len([b for b in result.stdout.split("\n\n") if b.strip()]) == 1


@pytest.mark.parametrize("opt", [("--count", "3"), ("--interval", "2")])
def test_watch_options_need_watch(kernel: FakeKernel, opt: tuple[str, str]) -> None:
    result = run("stats", "veth0", *opt)
    assert result.exit_code == 2
    assert "go with --watch" in result.stderr
    assert kernel.calls == []


@pytest.mark.parametrize("opt", [("--count", "0"), ("--interval", "0")])
def test_watch_option_ranges(kernel: FakeKernel, opt: tuple[str, str]) -> None:
    assert run("stats", "veth0", "--watch", *opt).exit_code == 2


# ---------------------------------------------------------------------------
# enable / disable


def test_enable_disable_print_nothing(kernel: FakeKernel) -> None:
    result = run("stats", "enable", "veth1")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert "veth1" in kernel.enabled
    result = run("stats", "disable", "veth0")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert "veth0" not in kernel.enabled
    assert kernel.calls == [*VERIFY, ("xdp-set", (Header(dev_index=8), 1)),
                            *VERIFY, ("xdp-set", (Header(dev_index=7), 0))]


# ---------------------------------------------------------------------------
# Errors: one line, exit 1, nothing sent that the kernel could misread


@pytest.mark.parametrize("argv", [
    ("stats", "lo"), ("stats", "--json", "lo"), ("stats", "--watch", "lo"),
    ("stats", "enable", "lo"), ("stats", "disable", "lo"),
])
def test_kernel_without_series(kernel: FakeKernel, argv: tuple[str, ...]) -> None:
    kernel.series = False
    result = run(*argv)
    assert result.exit_code == 1
    assert result.stderr == NO_SERIES
    assert result.stdout == ""
    assert kernel.calls == []  # detected from the op list, before any request


def test_kernel_without_ethtool_family(kernel: FakeKernel) -> None:
    kernel.open_error = FamilyNotFoundError("ethtool")
    assert run("stats", "lo").stderr == NO_SERIES


def test_series_mismatch_is_one_line(kernel: FakeKernel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakeEthtool, "kernel_ops", lambda self: {200: 0x2 | 0x8, 201: 0xA})
    assert_error(run("stats", "veth0"), "ethtool message 200 on this kernel is not the XDP "
                 "series' xdp-get (do only, expected do and dump): this kernel's series is a "
                 "version xdptool does not speak")
    assert kernel.calls == []


def test_not_enabled(kernel: FakeKernel) -> None:
    assert_error(run("stats", "veth1"), 'XDP statistics are not enabled on "veth1": '
                 "run 'xdptool stats enable veth1'")
    assert_error(run("stats", "--json", "veth1"), "XDP statistics are not enabled on "
                 '"veth1": run \'xdptool stats enable veth1\'')


def test_enabled_without_counters(kernel: FakeKernel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakeEthtool, "xdp_get", lambda self, header: Xdp(
        header=Header(dev_index=7, dev_name="veth0"), stats_enabled=1))
    assert_error(run("stats", "veth0"), "veth0: reading XDP statistics failed: the kernel "
                 "counts them but sent no counters")


@pytest.mark.parametrize(("cmd", "verb"), [("enable", "enabling"), ("disable", "disabling")])
@pytest.mark.parametrize("code", [errno.EPERM, errno.EACCES])
def test_permission_denied(kernel: FakeKernel, cmd: str, verb: str, code: int) -> None:
    kernel.set_error = YnlError(code, op="xdp-set")
    assert_error(run("stats", cmd, "veth0"),
                 f"permission denied: {verb} XDP statistics needs CAP_NET_ADMIN "
                 "in the initial user namespace")


@pytest.mark.parametrize("argv", [("stats", "nosuch0"), ("stats", "enable", "nosuch0"),
                                  ("stats", "--watch", "nosuch0")])
def test_unknown_device(kernel: FakeKernel, argv: tuple[str, ...]) -> None:
    assert_error(run(*argv), 'no such device: "nosuch0"')
    assert kernel.calls == []


def test_unknown_device_even_without_series(kernel: FakeKernel) -> None:
    kernel.series = False
    assert_error(run("stats", "nosuch0"), 'no such device: "nosuch0"')


def test_device_gone_between_lookup_and_request(kernel: FakeKernel) -> None:
    kernel.get_error = YnlError(errno.ENODEV, extack="no device matches ifindex")
    assert_error(run("stats", "veth0"), 'no such device: "veth0"')
    kernel.get_error = None
    kernel.qstats_error = YnlError(errno.ENODEV)
    assert_error(run("stats", "veth0", "--json"), 'no such device: "veth0"')


def test_other_errors_show_extack(kernel: FakeKernel) -> None:
    kernel.set_error = YnlError(errno.ENOMEM, extack="cannot allocate XDP statistics counters")
    assert_error(run("stats", "enable", "veth0"), "veth0: enabling XDP statistics failed: "
                 "Cannot allocate memory: cannot allocate XDP statistics counters")
    kernel.set_error = None
    kernel.get_error = YnlError(errno.EOPNOTSUPP, extack="not on this device type")
    assert_error(run("stats", "veth0"), "veth0: reading XDP statistics failed: "
                 "Operation not supported: not on this device type")


def test_error_during_watch(kernel: FakeKernel) -> None:
    kernel.enabled.clear()
    assert_error(run("stats", "--watch", "veth0"), "XDP statistics are not enabled on "
                 '"veth0": run \'xdptool stats enable veth0\'')


# ---------------------------------------------------------------------------
# The command group


def test_stats_without_args_shows_help(kernel: FakeKernel) -> None:
    result = run("stats")
    assert "xdptool stats DEV" in result.output
    assert {"show", "enable", "disable"} <= set(result.output.split())


def test_stats_help(kernel: FakeKernel) -> None:
    result = run("stats", "--help")
    assert result.exit_code == 0
    assert "`xdptool stats DEV` is short for `xdptool stats show DEV`" in result.stdout


def test_device_named_like_a_subcommand(kernel: FakeKernel) -> None:
    kernel.devices["enable"] = 9
    kernel.enabled.add("enable")
    result = run("stats", "show", "enable")
    assert result.exit_code == 0 and "statistics for enable:" in result.stdout


def test_real_ifindex_of() -> None:
    assert stats_source.ifindex_of("lo") >= 1
    for bad in ("nosuch-xdpt0", "x" * 40, "a\0b"):
        with pytest.raises(NoSuchDeviceError):
            stats_source.ifindex_of(bad)


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_interval_must_be_finite(kernel: FakeKernel, value: str) -> None:
    result = run("stats", "veth0", "--watch", "--interval", value)
    assert result.exit_code == 2
    assert "--interval must be a number of seconds" in result.stderr
    assert kernel.calls == []


def test_reply_that_makes_no_sense_says_why(kernel: FakeKernel) -> None:
    kernel.get_error = YnlDecodeError("xdp: kernel reply lacks required attribute X")
    assert_error(run("stats", "veth0"), "veth0: reading XDP statistics failed: "
                 "xdp: kernel reply lacks required attribute X")
