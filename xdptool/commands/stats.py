"""`xdptool stats`: per-action XDP counters of one device, and their rates.

Model (plain values, no netlink), kernel adapter (the only user of the
generated ethtool bindings, and of netdev's qstats) and rendering
(ethtool-like text, an aligned per-queue table, JSON, the --watch views) of
the command, in that order. Counter names are the JSON field names
(docs/cli.md), in the order the kernel's uapi lists them.

Where the numbers come from: the device total from the ethtool family's
xdp-get with the stats header flag (the series' message 200), the RX queues
from the netdev family's qstats-get dump, scope queue (upstream's per-queue
statistics, to which the series adds rx-xdp-*). The total also holds what
no current queue does (queues that went away, frames lost when redirects
were flushed), so it may exceed the sum of the queues: shown as `other`.

Detecting the series: the ethtool family numbers its commands in one enum
that grows with every kernel, so before anything is sent to messages 200
and 201, xdptool.series checks that the kernel's are the series' xdp-get
and xdp-set, by their modes and request policies.
"""

from __future__ import annotations

import errno
import json
import math
import shlex
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Self

import typer
from typer.core import TyperGroup

from xdptool import links, output, series, table
from xdptool.commands import JsonOption, complete_device, new_app
from xdptool.errors import (
    KernelUnsupportedError,
    NoSuchDeviceError,
    PermissionDeniedError,
    XdptoolError,
)
from xdptool.names import quoted, shown
from xdptool.ynl.generated.ethtool import Ethtool, Header, HeaderFlags, Xdp, XdpStat
from xdptool.ynl.generated.netdev import Netdev, Qstats, QstatsScope, QueueType
from xdptool.ynl.runtime import FamilyNotFoundError, YnlError

# ---------------------------------------------------------------------------
# Model

# JSON field names, in output order; text output uses '-' for '_'.
COUNTERS = ("aborted", "drop", "pass", "tx", "redirect", "unknown", "redirect_errors")
# Frames redirected into the device (from any device): taken by its
# ndo_xdp_xmit or dropped. Device level only (the kernel counts them where
# the devmap hands frames over, not per queue); kernels whose series lacks
# the XDP TX patches do not report them (None).
TARGET_COUNTERS = ("xmit", "xmit_drops")

# A counter the kernel did not report is None (never 0: 0 is a measurement).
Counts = Mapping[str, int | None]
Rates = Mapping[str, float | None]


@dataclass(frozen=True)
class QueueStats:
    """Counters of one RX queue (queue ids as in the netdev family's queue objects)."""

    queue_id: int
    counters: Counts


@dataclass(frozen=True)
class DeviceStats:
    ifname: str
    ifindex: int
    total: Counts
    queues: tuple[QueueStats, ...] = ()
    target: Counts | None = None

    def queue(self, queue_id: int) -> QueueStats | None:
        for q in self.queues:
            if q.queue_id == queue_id:
                return q
        return None


def unattributed(stats: DeviceStats) -> dict[str, int | None] | None:
    """The device total minus the sum of its queues, per counter: what no
    current queue accounts for (queues that went away, frames lost when
    redirects were flushed). None when no queue was read; a counter is None
    when the total or a queue lacks it."""
    if not stats.queues:
        return None
    out: dict[str, int | None] = {}
    for name in COUNTERS:
        total = stats.total.get(name)
        parts = [q.counters.get(name) for q in stats.queues]
        if total is None or any(part is None for part in parts):
            out[name] = None
        else:
            out[name] = total - sum(part for part in parts if part is not None)
    return out


def shows_other(other: Counts | None) -> bool:
    """Whether the queues leave anything unaccounted for (an `other` row)."""
    return other is not None and any(other.get(name) for name in COUNTERS)


def counts(values: Mapping[str, int | None]) -> dict[str, int | None]:
    """Every counter of COUNTERS, in order; the ones missing from values are None."""
    return {name: values.get(name) for name in COUNTERS}


def rates(prev: Counts | None, cur: Counts, seconds: float) -> dict[str, float | None]:
    """Per-second rate of each counter between two readings ``seconds`` apart.

    None when it cannot be known: no previous reading (a queue that just
    appeared), a counter missing from either reading, a counter that went
    backwards (statistics were disabled and enabled again, which resets
    them), or no time elapsed.
    """
    out: dict[str, float | None] = {}
    for name in COUNTERS:
        before = None if prev is None else prev.get(name)
        after = cur.get(name)
        if before is None or after is None or after < before or seconds <= 0:
            out[name] = None
        else:
            out[name] = (after - before) / seconds
    return out


@dataclass(frozen=True)
class QueueRates:
    queue_id: int
    counters: Counts
    rates: Rates


@dataclass(frozen=True)
class RateSample:
    """One `stats --watch` refresh: the new reading and the rates since the last."""

    stats: DeviceStats
    seconds: float  # time between the two readings
    rates: Rates  # of the device total
    queues: tuple[QueueRates, ...]
    other: Rates | None = None  # of unattributed(), when there are queues


def rate_sample(prev: DeviceStats, cur: DeviceStats, seconds: float) -> RateSample:
    """Rates of the total, of each queue of ``cur`` (matched by queue id) and
    of what the queues do not account for."""
    queues = []
    for q in cur.queues:
        before = prev.queue(q.queue_id)
        queues.append(QueueRates(q.queue_id, q.counters,
                                 rates(before.counters if before else None, q.counters,
                                       seconds)))
    other = unattributed(cur)
    other_rates = None if other is None else rates(unattributed(prev), other, seconds)
    return RateSample(cur, seconds, rates(prev.total, cur.total, seconds), tuple(queues),
                      other_rates)


# What watch() uses unless told otherwise; tests replace them.
_clock: Callable[[], float] = time.monotonic
_sleep: Callable[[float], None] = time.sleep


def watch(read: Callable[[], DeviceStats], interval: float, count: int | None = None, *,
          clock: Callable[[], float] | None = None,
          sleep: Callable[[float], None] | None = None) -> Iterator[RateSample]:
    """Read the counters every ``interval`` seconds and yield the rates.

    The first reading is only the baseline; then one sample per interval,
    ``count`` of them (forever when None). Sleeps to a fixed schedule, so the
    time a reading takes does not add up; the rate uses the time measured
    between readings, not the nominal interval.
    """
    clock = clock or _clock
    sleep = sleep or _sleep
    prev = read()
    prev_time = start = clock()
    done = 0
    while count is None or done < count:
        deadline = start + (done + 1) * interval
        sleep(max(0.0, deadline - clock()))
        cur = read()
        now = clock()
        yield rate_sample(prev, cur, now - prev_time)
        prev, prev_time = cur, now
        done += 1


# ---------------------------------------------------------------------------
# Kernel adapter

# What the series' kernel says (extack) when asked for counters a device does not count.
NOT_ENABLED_EXTACK = "XDP statistics are not enabled on this device"
SET_CAPABILITY = series.SET_CAPABILITY


class StatsNotEnabledError(XdptoolError):
    def __init__(self, ifname: str, extack: str | None = None) -> None:
        message = (f"XDP statistics are not enabled on {quoted(ifname)}: "
                   f"run 'xdptool stats enable {shlex.quote(ifname)}'")
        if extack and extack != NOT_ENABLED_EXTACK:
            message += f" (kernel: {extack})"
        super().__init__(message)
        self.ifname = ifname


ifindex_of = links.ifindex_of


# The family bindings; tests replace them with fakes of the same shape.
open_family: Callable[[], Any] = Ethtool
open_netdev: Callable[[], Any] = Netdev

# netdev qstats attribute (generated field name) of each counter.
_QSTATS = {name: f"rx_xdp_{name}" for name in COUNTERS}


def _counts(stat: XdpStat | None) -> dict[str, int | None]:
    if stat is None:
        return counts({})
    return counts({
        "aborted": stat.aborted,
        "drop": stat.drop,
        "pass": stat.pass_,
        "tx": stat.tx,
        "redirect": stat.redirect,
        "unknown": stat.unknown,
        "redirect_errors": stat.redirect_errors,
    })


def queues_from_qstats(rows: Sequence[Qstats], ifindex: int) -> tuple[QueueStats, ...]:
    """The RX queues of one device from a netdev qstats-get dump (scope queue),
    by queue id; rows of other devices, TX queues and queues without XDP
    counters (the kernel reports them only for active RX queues of a
    device that counts) are left out."""
    queues = []
    for row in rows:
        if row.ifindex != ifindex or row.queue_type != QueueType.RX or row.queue_id is None:
            continue
        values = counts({name: getattr(row, attr) for name, attr in _QSTATS.items()})
        if all(value is None for value in values.values()):
            continue
        queues.append(QueueStats(row.queue_id, values))
    return tuple(sorted(queues, key=lambda q: q.queue_id))


def from_replies(reply: Xdp, rows: Sequence[Qstats] | None, ifname: str,
                 ifindex: int) -> DeviceStats:
    """A DeviceStats from an xdp-get reply with counters (the device total) and,
    when read, the device's qstats-get rows (its queues)."""
    stat = reply.stats
    return DeviceStats(
        ifname=reply.header.dev_name or ifname,
        ifindex=reply.header.dev_index or ifindex,
        total=_counts(stat),
        queues=() if rows is None else queues_from_qstats(rows, ifindex),
        target={"xmit": stat.xmit if stat else None,
                "xmit_drops": stat.xmit_drops if stat else None},
    )


def _error(err: YnlError, ifname: str, doing: str) -> XdptoolError:
    """One-line error for a failed request; ``doing`` is e.g. "enabling"."""
    if err.errno == errno.ENODEV:
        return NoSuchDeviceError(ifname)
    if err.errno == errno.ENODATA:
        return StatsNotEnabledError(ifname, err.extack)
    if err.is_permission_error:
        return PermissionDeniedError(f"{doing} XDP statistics", SET_CAPABILITY)
    return XdptoolError(f"{ifname}: {doing} XDP statistics failed: {err.detail}")


class StatsSource:
    """The sockets for reading and switching XDP statistics: ethtool's
    xdp-get (device totals) and xdp-set, netdev's qstats-get (per queue).

    Opening it checks that the kernel's ethtool messages 200 and 201 are
    the series' xdp-get and xdp-set (xdptool.series.verify) before anything
    is sent to them, and raises KernelUnsupportedError otherwise. The netdev
    socket is opened when queues are first read. Use as a context manager.
    """

    def __init__(self) -> None:
        self._netdev: Any = None
        self._family, _ = series.open_verified(open_family)

    def close(self) -> None:
        self._family.close()
        if self._netdev is not None:
            self._netdev.close()
            self._netdev = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _qstats(self, ifname: str, ifindex: int) -> list[Qstats]:
        if self._netdev is None:
            try:
                self._netdev = open_netdev()
            except FamilyNotFoundError:
                raise KernelUnsupportedError(NO_QSTATS) from None
            except YnlError as err:
                raise XdptoolError(f"netdev netlink family: {err}") from err
            if not self._netdev.kernel_supports("qstats-get"):
                raise KernelUnsupportedError(NO_QSTATS)
        try:
            rows: list[Qstats] = self._netdev.qstats_get_dump(ifindex=ifindex,
                                                              scope=QstatsScope.QUEUE)
        except YnlError as err:
            if err.is_unsupported:
                return []  # no per-queue statistics on this device at all
            raise _error(err, ifname, "reading per-queue") from err
        return rows

    def get(self, ifname: str, queues: bool = True) -> DeviceStats:
        """Counters of one device: the total, and per RX queue when ``queues``.

        The queues are read first: the total, read after, then holds every
        frame they hold (the counters only grow), so the total minus their
        sum (unattributed()) is what no current queue accounts for.
        """
        ifindex = ifindex_of(ifname)
        rows = self._qstats(ifname, ifindex) if queues else None
        try:
            reply = self._family.xdp_get(Header(dev_index=ifindex, flags=HeaderFlags.STATS))
        except YnlError as err:
            raise _error(err, ifname, "reading") from err
        if not reply.stats_enabled:
            raise StatsNotEnabledError(ifname)
        if reply.stats is None:
            raise XdptoolError(f"{ifname}: reading XDP statistics failed: the kernel "
                               "counts them but sent no counters")
        return from_replies(reply, rows, ifname, ifindex)

    def set_enabled(self, ifname: str, enabled: bool) -> None:
        """Switch counting on or off (xdp-set; needs CAP_NET_ADMIN in the initial user ns)."""
        ifindex = ifindex_of(ifname)
        try:
            self._family.xdp_set(header=Header(dev_index=ifindex), stats_enabled=int(enabled))
        except YnlError as err:
            raise _error(err, ifname, "enabling" if enabled else "disabling") from err


NO_QSTATS = ("this kernel's netdev family has no qstats-get, which per-queue XDP statistics "
             "need: this kernel's series is a version xdptool does not speak")


def get_stats(ifname: str, queues: bool = True) -> DeviceStats:
    """Counters of one device (fails when the kernel lacks the series)."""
    ifindex_of(ifname)  # an unknown name is reported first, whatever the kernel
    with StatsSource() as source:
        return source.get(ifname, queues)


def set_enabled(ifname: str, enabled: bool) -> None:
    """`xdptool stats enable|disable DEV`."""
    ifindex_of(ifname)
    with StatsSource() as source:
        source.set_enabled(ifname, enabled)


# ---------------------------------------------------------------------------
# Rendering. The JSON field names are a stable interface documented in
# docs/cli.md: add fields, never rename them.

_WIDTH = max(len(name) for name in COUNTERS) + 2  # "redirect-errors:" and a space


def text_key(name: str) -> str:
    return name.replace("_", "-")


def _count_text(value: int | None) -> str:
    return "n/a" if value is None else str(value)


def rate_text(value: float | None) -> str:
    """Frames per second for humans: '-' when unknown."""
    if value is None:
        return "-"
    return f"{value:.0f}" if value >= 100 or value == 0 else f"{value:.1f}"


def _block(title: str, values: Counts, names: Sequence[str] = COUNTERS) -> list[str]:
    lines = [title]
    for name in names:
        lines.append(f"{text_key(name) + ':':<{_WIDTH}}{_count_text(values.get(name))}")
    return lines


def _target_known(stats: DeviceStats) -> bool:
    return stats.target is not None and any(
        stats.target.get(name) is not None for name in TARGET_COUNTERS)


def text(stats: DeviceStats) -> str:
    """ethtool-style block of the device totals (and of what was redirected
    into the device, when the kernel reports it)."""
    title = f"XDP action statistics for {shown(stats.ifname)}:"
    lines = _block(title, stats.total)
    if stats.target is not None and _target_known(stats):
        lines += _block("Redirected into the device:", stats.target, TARGET_COUNTERS)
    return "\n".join(lines) + "\n"


def _queue_rows(queues: Sequence[tuple[str, Mapping[str, Any]]],
                cell: Callable[[Any], str]) -> list[list[str]]:
    return [[queue, *(cell(values.get(name)) for name in COUNTERS)] for queue, values in queues]


def _per_queue_table(queues: Sequence[tuple[str, Mapping[str, Any]]],
                     cell: Callable[[Any], str], width: int | None) -> str:
    headers = ["queue", *(text_key(name) for name in COUNTERS)]
    return table.render(headers, _queue_rows(queues, cell), right=[True] * len(headers),
                        width=width)


def queue_table(stats: DeviceStats, width: int | None = None) -> str:
    """A title line, then one row per RX queue, an `other` row when the queues
    do not add up to the total, and the total row (folded to ``width``)."""
    queues: list[tuple[str, Mapping[str, Any]]] = [
        (str(q.queue_id), q.counters) for q in stats.queues]
    other = unattributed(stats)
    if other is not None and shows_other(other):
        queues.append(("other", other))
    queues.append(("total", stats.total))
    return (f"XDP action statistics for {shown(stats.ifname)}:\n"
            + _per_queue_table(queues, _count_text, width))


def to_dict(stats: DeviceStats) -> dict[str, Any]:
    return {
        "ifname": shown(stats.ifname),
        "ifindex": stats.ifindex,
        "total": {name: stats.total.get(name) for name in COUNTERS},
        "queues": [
            {"queue_id": q.queue_id, **{name: q.counters.get(name) for name in COUNTERS}}
            for q in stats.queues
        ],
        "target": {name: (stats.target or {}).get(name) for name in TARGET_COUNTERS},
    }


def to_json(stats: DeviceStats) -> str:
    return json.dumps(to_dict(stats), indent=2) + "\n"


# --------------------------------------------------------------------------
# --watch


def _rates_dict(values: Rates) -> dict[str, float | None]:
    return {name: values.get(name) for name in COUNTERS}


def sample_to_json_line(sample: RateSample) -> str:
    """One line of `stats --watch --json`: the reading, plus rates per second."""
    out = to_dict(sample.stats)
    out["seconds"] = round(sample.seconds, 6)
    out["rates"] = _rates_dict(sample.rates)
    by_id = {q.queue_id: q for q in sample.queues}
    for queue in out["queues"]:
        q = by_id.get(queue["queue_id"])
        queue["rates"] = _rates_dict(q.rates) if q else dict.fromkeys(COUNTERS)
    return json.dumps(out) + "\n"


def watch_table(sample: RateSample, interval: float, per_queue: bool,
                width: int | None = None) -> str:
    """The --watch view: counters and rates of the device, or rates per queue."""
    stats = sample.stats
    title = (f"XDP actions on {shown(stats.ifname)}, per second over {sample.seconds:.2f} s "
             f"(every {interval:g} s; Ctrl-C quits):\n")
    if not per_queue:
        rows = [[text_key(name), _count_text(stats.total.get(name)),
                 rate_text(sample.rates.get(name))] for name in COUNTERS]
        return title + table.render(["action", "total", "per second"], rows,
                                    right=[False, True, True], width=width)
    queues: list[tuple[str, Mapping[str, Any]]] = [
        (str(q.queue_id), q.rates) for q in sample.queues]
    if sample.other is not None and shows_other(unattributed(stats)):
        queues.append(("other", sample.other))
    queues.append(("total", sample.rates))
    return title + _per_queue_table(queues, rate_text, width)


# ---------------------------------------------------------------------------
# The commands


class _Redraw:
    """Redraws a block of text in place on a terminal (cursor up, clear below)."""

    def __init__(self) -> None:
        self._rows = 0

    def show(self, text: str, width: int) -> None:
        up = f"\x1b[{self._rows}F" if self._rows else ""
        output.write(f"{up}\x1b[J{text}", flush=True)
        # Screen rows, not lines: a line longer than the terminal wraps.
        self._rows = sum(max(1, -(-len(line) // width)) for line in text.splitlines())


def _watch(device: str, interval: float, count: int | None, per_queue: bool,
           json_out: bool) -> None:
    ifindex_of(device)
    queues = per_queue or json_out
    with StatsSource() as source:
        samples = watch(lambda: source.get(device, queues), interval, count)
        if json_out:
            for sample in samples:
                output.write(sample_to_json_line(sample), flush=True)
            return
        width = table.terminal_width()
        if width is None:
            # Piped: one table per refresh, nothing to redraw in place.
            for sample in samples:
                output.write(watch_table(sample, interval, per_queue) + "\n", flush=True)
            return
        redraw = _Redraw()
        redraw.show(f"XDP actions on {shown(device)}: first rates in {interval:g} s "
                    "(Ctrl-C quits)\n", width)
        for sample in samples:
            width = table.terminal_width() or width
            redraw.show(watch_table(sample, interval, per_queue, width), width)


_DEV = Annotated[str, typer.Argument(metavar="DEV", show_default=False,
                                     autocompletion=complete_device, help="Network device.")]


def show_command(
    device: _DEV,
    per_queue: Annotated[
        bool, typer.Option("--per-queue", "-q", help="One row per RX queue, and the total.")
    ] = False,
    json_out: JsonOption = False,
    watch_: Annotated[
        bool, typer.Option("--watch", "-w", help="Show rates per second, refreshed in place.")
    ] = False,
    interval: Annotated[
        float | None,
        typer.Option("--interval", "-i", min=0.1, metavar="SECONDS", show_default=False,
                     help="With --watch: seconds between refreshes (default 1)."),
    ] = None,
    count: Annotated[
        int | None,
        typer.Option("--count", "-c", min=1, metavar="N", show_default=False,
                     help="With --watch: stop after N refreshes (default: until Ctrl-C)."),
    ] = None,
) -> None:
    """Counters of XDP program verdicts on DEV: aborted, drop, pass, tx,
    redirect, unknown, redirect-errors."""
    if not watch_ and (interval is not None or count is not None):
        raise typer.BadParameter("--interval and --count go with --watch")
    if interval is not None and not math.isfinite(interval):
        # nan passes click's range check (every comparison is false)
        raise typer.BadParameter(f"--interval must be a number of seconds, not {interval}")
    if watch_:
        # Ctrl-C ends it with exit status 130, as it does any command (xdptool.cli).
        _watch(device, 1.0 if interval is None else interval, count, per_queue, json_out)
        return
    result = get_stats(device, queues=per_queue or json_out)
    if json_out:
        output.write(to_json(result))
    elif per_queue:
        output.write(queue_table(result, table.terminal_width()))
    else:
        output.write(text(result))


def enable_command(device: _DEV) -> None:
    """Start counting XDP verdicts on DEV (needs CAP_NET_ADMIN)."""
    set_enabled(device, True)


def disable_command(device: _DEV) -> None:
    """Stop counting XDP verdicts on DEV (needs CAP_NET_ADMIN)."""
    set_enabled(device, False)


class StatsGroup(TyperGroup):
    """`xdptool stats DEV ...` means `xdptool stats show DEV ...`: anything that
    is not a subcommand name (or help) gets `show` put in front of it."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


app = new_app(
    name="stats",
    cls=StatsGroup,
    help="Per-action XDP statistics (kernels with the xdptool series).\n\n"
    "`xdptool stats DEV` is short for `xdptool stats show DEV`.",
    no_args_is_help=True,
)
app.command("show")(show_command)
app.command("enable")(enable_command)
app.command("disable")(disable_command)
