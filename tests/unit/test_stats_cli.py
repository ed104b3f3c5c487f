"""`xdptool stats` through the real Typer app, the ethtool family faked.

The fake stands in for the generated ``Ethtool`` class (same methods, the
generated dataclasses as replies, YnlError as the kernel's errors), so the
whole path below the CLI runs: series detection, error mapping, conversion,
rendering.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from xdptool import cli
from xdptool.commands import stats
from xdptool.commands import stats as stats_source
from xdptool.errors import NoSuchDeviceError
from xdptool.ynl.generated.ethtool import Header, XdpStats, XdpStatsCnt
from xdptool.ynl.runtime import FamilyNotFoundError, YnlDecodeError, YnlError

if TYPE_CHECKING:
    from click.testing import Result

runner = CliRunner()

NO_SERIES = ("xdptool: this kernel has no XDP action statistics (ETHTOOL_MSG_XDP_*): "
             "boot a kernel with the xdptool series (patches/) applied\n")


def cnt(base: int, queue_id: int | None = None) -> XdpStatsCnt:
    return XdpStatsCnt(queue_id=queue_id, aborted=base, drop=base * 10, pass_=base * 100,
                       tx=base + 1, redirect=base + 2, unknown=0, redirect_errors=base + 3)


@dataclass
class FakeKernel:
    """What the ethtool family of the faked kernel does."""

    series: bool = True
    devices: dict[str, int] = field(default_factory=lambda: {"lo": 1, "veth0": 7, "veth1": 8})
    enabled: set[str] = field(default_factory=lambda: {"veth0"})
    # Raised by the next xdp-set / xdp-stats-get instead of the normal answer.
    set_error: BaseException | None = None
    get_error: BaseException | None = None
    # Raised when opening the family.
    open_error: BaseException | None = None
    calls: list[tuple[str, Any]] = field(default_factory=list)
    reads: int = 0
    interrupt_after: int | None = None  # KeyboardInterrupt on this read (Ctrl-C)
    open_sockets: int = 0

    def reply(self, name: str) -> XdpStats:
        # veth0 counts 1000 more frames per reading on queue 1, none on queue 0
        n = self.reads
        return XdpStats(
            header=Header(dev_index=self.devices[name], dev_name=name),
            total=cnt(1 + n * 10),
            queue=(cnt(1 + n * 10, 1), cnt(0, 0)),
        )


class FakeEthtool:
    def __init__(self, kernel: FakeKernel) -> None:
        if kernel.open_error is not None:
            raise kernel.open_error
        self.k = kernel
        kernel.open_sockets += 1

    def kernel_supports(self, *ops: str) -> bool:
        assert set(ops) == {"xdp-get", "xdp-set", "xdp-stats-get"}
        return self.k.series

    def _dev(self, header: Header) -> str:
        assert header.dev_name is not None
        if header.dev_name not in self.k.devices:
            raise YnlError(errno.ENODEV, extack="no device matches name", op="x")
        return header.dev_name

    def xdp_stats_get(self, header: Header) -> XdpStats:
        assert self.k.series, "sent a request to a kernel without the series"
        self.k.calls.append(("xdp-stats-get", header))
        if self.k.get_error is not None:
            raise self.k.get_error
        name = self._dev(header)
        self.k.reads += 1
        if self.k.interrupt_after is not None and self.k.reads > self.k.interrupt_after:
            raise KeyboardInterrupt
        if name not in self.k.enabled:
            raise YnlError(errno.ENODATA, extack=stats_source.NOT_ENABLED_EXTACK,
                           op="xdp-stats-get")
        return self.k.reply(name)

    def xdp_set(self, *, header: Header | None = None, stats_enabled: int | None = None) -> None:
        assert self.k.series, "sent a request to a kernel without the series"
        assert header is not None
        self.k.calls.append(("xdp-set", (header, stats_enabled)))
        if self.k.set_error is not None:
            raise self.k.set_error
        name = self._dev(header)
        (self.k.enabled.add if stats_enabled else self.k.enabled.discard)(name)

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
tx:              12
redirect:        13
unknown:         0
redirect-errors: 14
"""


@pytest.mark.parametrize("argv", [("stats", "veth0"), ("stats", "show", "veth0")])
def test_text(kernel: FakeKernel, argv: tuple[str, ...]) -> None:
    result = run(*argv)
    assert result.exit_code == 0, result.output
    assert result.stdout == TEXT_VETH0
    assert kernel.calls == [("xdp-stats-get", Header(dev_name="veth0"))]


def test_json_exact(kernel: FakeKernel) -> None:
    result = run("stats", "--json", "veth0")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "ifname": "veth0",
        "ifindex": 7,
        "total": {"aborted": 11, "drop": 110, "pass": 1100, "tx": 12, "redirect": 13,
                  "unknown": 0, "redirect_errors": 14},
        "queues": [
            {"queue_id": 0, "aborted": 0, "drop": 0, "pass": 0, "tx": 1, "redirect": 2,
             "unknown": 0, "redirect_errors": 3},
            {"queue_id": 1, "aborted": 11, "drop": 110, "pass": 1100, "tx": 12,
             "redirect": 13, "unknown": 0, "redirect_errors": 14},
        ],
    }
    # field order is part of the interface
    assert list(json.loads(result.stdout)) == ["ifname", "ifindex", "total", "queues"]
    # options may come after DEV too
    kernel.reads = 0
    assert run("stats", "veth0", "--json").stdout == result.stdout


def test_json_with_missing_counter_is_null(kernel: FakeKernel,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakeKernel, "reply", lambda self, name: XdpStats(
        header=Header(dev_index=7, dev_name=name), total=XdpStatsCnt(drop=5)))
    out = json.loads(run("stats", "veth0", "--json").stdout)
    assert out["total"]["drop"] == 5 and out["total"]["pass"] is None
    assert out["queues"] == []
    assert "pass:            n/a" in run("stats", "veth0").stdout


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
        ["total", "11", "110", "1100", "12", "13", "0", "14"],
    ]


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
        ["tx", "22", "5.0"],
        ["redirect", "23", "5.0"],
        ["unknown", "0", "0"],
        ["redirect-errors", "24", "5.0"],
    ]
    assert blocks[1].splitlines()[2].split() == ["aborted", "31", "5.0"]
    assert len(kernel.calls) == 3  # baseline + 2 refreshes, one socket


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


def test_watch_json_lines(kernel: FakeKernel) -> None:
    result = run("stats", "veth0", "--watch", "--json", "--interval", "0.5", "--count", "2")
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["total"]["drop"] == 210 and second["total"]["drop"] == 310
    assert first["seconds"] == 0.5
    assert first["rates"] == {"aborted": 20.0, "drop": 200.0, "pass": 2000.0, "tx": 20.0,
                              "redirect": 20.0, "unknown": 0.0, "redirect_errors": 20.0}
    assert [q["rates"]["pass"] for q in first["queues"]] == [0.0, 2000.0]


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
    assert kernel.calls == [("xdp-set", (Header(dev_name="veth1"), 1)),
                            ("xdp-set", (Header(dev_name="veth0"), 0))]


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


def test_unknown_command_answer_also_means_no_series(kernel: FakeKernel) -> None:
    kernel.get_error = YnlError(errno.EOPNOTSUPP, op="xdp-stats-get")
    assert_error(run("stats", "veth0"), NO_SERIES[len("xdptool: "):-1])


def test_not_enabled(kernel: FakeKernel) -> None:
    assert_error(run("stats", "veth1"), 'XDP statistics are not enabled on "veth1": '
                 "run 'xdptool stats enable veth1'")
    assert_error(run("stats", "--json", "veth1"), "XDP statistics are not enabled on "
                 '"veth1": run \'xdptool stats enable veth1\'')


def test_not_enabled_shows_other_extack(kernel: FakeKernel) -> None:
    kernel.get_error = YnlError(errno.ENODATA, extack="queue 3 is gone")
    assert_error(run("stats", "veth0"), 'XDP statistics are not enabled on "veth0": '
                 "run 'xdptool stats enable veth0' (kernel: queue 3 is gone)")


@pytest.mark.parametrize(("cmd", "verb"), [("enable", "enabling"), ("disable", "disabling")])
@pytest.mark.parametrize("code", [errno.EPERM, errno.EACCES])
def test_permission_denied(kernel: FakeKernel, cmd: str, verb: str, code: int) -> None:
    kernel.set_error = YnlError(code, op="xdp-set")
    assert_error(run("stats", cmd, "veth0"),
                 f"permission denied: {verb} XDP statistics needs CAP_NET_ADMIN")


@pytest.mark.parametrize("argv", [("stats", "nosuch0"), ("stats", "enable", "nosuch0"),
                                  ("stats", "--watch", "nosuch0")])
def test_unknown_device(kernel: FakeKernel, argv: tuple[str, ...]) -> None:
    assert_error(run(*argv), 'no such device: "nosuch0"')
    assert kernel.calls == []


def test_unknown_device_even_without_series(kernel: FakeKernel) -> None:
    kernel.series = False
    assert_error(run("stats", "nosuch0"), 'no such device: "nosuch0"')


def test_device_gone_between_lookup_and_request(kernel: FakeKernel) -> None:
    kernel.get_error = YnlError(errno.ENODEV, extack="no device matches name")
    assert_error(run("stats", "veth0"), 'no such device: "veth0"')


def test_other_errors_show_extack(kernel: FakeKernel) -> None:
    kernel.set_error = YnlError(errno.EBUSY, extack="device is being reconfigured")
    assert_error(run("stats", "enable", "veth0"), "veth0: enabling XDP statistics failed: "
                 "Device or resource busy: device is being reconfigured")
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
    kernel.get_error = YnlDecodeError("xdp-stats: kernel reply lacks required attribute X")
    assert_error(run("stats", "veth0"), "veth0: reading XDP statistics failed: "
                 "xdp-stats: kernel reply lacks required attribute X")
