"""The `stats` model: per-action XDP counters of one device, and their rates.

The counters come from the kernel series' ETHTOOL_MSG_XDP_STATS_GET (see
xdptool.stats_source); this module knows nothing about netlink, so the CLI
and the tests work on plain values. Counter names are the JSON field names
(docs/cli.md), in the order the kernel's uapi lists them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

# JSON field names, in output order; text output uses '-' for '_'.
COUNTERS = ("aborted", "drop", "pass", "tx", "redirect", "unknown", "redirect_errors")

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

    def queue(self, queue_id: int) -> QueueStats | None:
        for q in self.queues:
            if q.queue_id == queue_id:
                return q
        return None


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


def rate_sample(prev: DeviceStats, cur: DeviceStats, seconds: float) -> RateSample:
    """Rates of the total and of each queue of ``cur`` (matched by queue id)."""
    queues = []
    for q in cur.queues:
        before = prev.queue(q.queue_id)
        queues.append(QueueRates(q.queue_id, q.counters,
                                 rates(before.counters if before else None, q.counters,
                                       seconds)))
    return RateSample(cur, seconds, rates(prev.total, cur.total, seconds), tuple(queues))


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
