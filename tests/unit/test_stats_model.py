"""xdptool.stats (rates, --watch schedule) and the reply conversion of stats_source."""

from __future__ import annotations

import pytest

from xdptool.commands import stats
from xdptool.commands import stats as stats_source
from xdptool.commands.stats import COUNTERS, DeviceStats, QueueStats, counts, rate_sample, rates
from xdptool.ynl.generated.ethtool import Header, Xdp, XdpStat
from xdptool.ynl.generated.netdev import Qstats, QueueType


def c(**values: int) -> dict[str, int | None]:
    return counts({name.rstrip("_"): v for name, v in values.items()})


def full(base: int) -> dict[str, int | None]:
    return {name: base + i for i, name in enumerate(COUNTERS)}


def test_counter_names_and_order() -> None:
    assert COUNTERS == ("aborted", "drop", "pass", "tx", "redirect", "unknown",
                        "redirect_errors")
    assert counts({"drop": 3}) == {"aborted": None, "drop": 3, "pass": None, "tx": None,
                                   "redirect": None, "unknown": None,
                                   "redirect_errors": None}


def test_rates_per_second() -> None:
    before = full(100)
    after = {name: v + 10 * (i + 1) for i, (name, v) in enumerate(before.items())}
    got = rates(before, after, 2.0)
    assert got == {name: 5.0 * (i + 1) for i, name in enumerate(COUNTERS)}


def test_rates_unknown_cases() -> None:
    after = c(aborted=5, drop=5, pass_=5)
    got = rates(c(aborted=1, drop=9), after, 1.0)
    assert got["aborted"] == 4.0
    assert got["drop"] is None  # went backwards: disabled and re-enabled
    assert got["pass"] is None  # no earlier value
    assert got["tx"] is None  # not reported at all
    assert rates(None, after, 1.0)["aborted"] is None  # a queue that just appeared
    assert rates(after, after, 0.0)["aborted"] is None  # no time elapsed


def test_rate_sample_matches_queues_by_id() -> None:
    prev = DeviceStats("veth0", 7, full(0), (QueueStats(0, full(0)), QueueStats(1, full(0))))
    cur = DeviceStats("veth0", 7, full(8),
                      (QueueStats(1, full(4)), QueueStats(2, full(4))))
    sample = rate_sample(prev, cur, 4.0)
    assert sample.rates == dict.fromkeys(COUNTERS, 2.0)
    assert [(q.queue_id, q.rates["drop"]) for q in sample.queues] == [(1, 1.0), (2, None)]
    assert sample.stats is cur and sample.seconds == 4.0


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_watch_schedule_and_count() -> None:
    t = FakeTime()
    reads = iter(range(100))

    def read() -> DeviceStats:
        n = next(reads)
        t.now += 0.25  # every reading takes a quarter second
        return DeviceStats("veth0", 7, c(drop=n * 10))

    samples = list(stats.watch(read, 2.0, 3, clock=t.clock, sleep=t.sleep))
    assert len(samples) == 3
    # a fixed schedule from the baseline reading: the time readings take is
    # slept less, not added up; rates use the measured time between readings
    assert t.sleeps == [2.0, 1.75, 1.75]
    assert [s.seconds for s in samples] == [2.25, 2.0, 2.0]
    assert [s.rates["drop"] for s in samples] == [10 / 2.25, 5.0, 5.0]
    assert [s.stats.total["drop"] for s in samples] == [10, 20, 30]


def test_watch_uses_module_clock_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    t = FakeTime()
    monkeypatch.setattr(stats, "_clock", t.clock)
    monkeypatch.setattr(stats, "_sleep", t.sleep)
    (sample,) = stats.watch(lambda: DeviceStats("lo", 1, c(pass_=1)), 0.5, 1)
    assert t.sleeps == [0.5] and sample.seconds == 0.5


def test_from_replies_total_from_ethtool_queues_from_qstats() -> None:
    reply = Xdp(
        header=Header(dev_index=7, dev_name="veth0"),
        stats_enabled=1,
        stats=XdpStat(aborted=1, drop=2, pass_=3, tx=4, redirect=5, unknown=6,
                      redirect_errors=7),
    )
    rows = [
        Qstats(ifindex=7, queue_type=QueueType.RX, queue_id=3, rx_xdp_drop=1),
        Qstats(ifindex=7, queue_type=QueueType.TX, queue_id=0, tx_packets=9),
        Qstats(ifindex=7, queue_type=QueueType.RX, queue_id=0, rx_xdp_pass=2, rx_packets=4),
        # an RX queue without XDP counters (not active), another device, no queue id
        Qstats(ifindex=7, queue_type=QueueType.RX, queue_id=5, rx_packets=4),
        Qstats(ifindex=8, queue_type=QueueType.RX, queue_id=1, rx_xdp_pass=9),
        Qstats(ifindex=7, rx_xdp_pass=9),
    ]
    got = stats_source.from_replies(reply, rows, "ignored", 7)
    assert got.ifname == "veth0" and got.ifindex == 7
    assert got.total == {"aborted": 1, "drop": 2, "pass": 3, "tx": 4, "redirect": 5,
                         "unknown": 6, "redirect_errors": 7}
    assert [q.queue_id for q in got.queues] == [0, 3]
    assert got.queues[1].counters == c(drop=1)
    assert got.queues[0].counters == c(pass_=2)


def test_from_replies_without_queues_or_header_names() -> None:
    got = stats_source.from_replies(Xdp(header=Header(), stats=XdpStat()), None, "veth1", 8)
    assert (got.ifname, got.ifindex, got.queues) == ("veth1", 8, ())
    assert got.total == dict.fromkeys(COUNTERS)


def test_unattributed() -> None:
    queues = (QueueStats(0, full(1)), QueueStats(1, full(10)))
    total: dict[str, int | None] = {
        name: (full(1)[name] or 0) + (full(10)[name] or 0) + (full(0)[name] or 0)
        for name in COUNTERS}
    assert stats.unattributed(DeviceStats("veth0", 7, total, queues)) == full(0)
    assert not stats.shows_other(dict.fromkeys(COUNTERS, 0) | {"drop": None})
    assert not stats.shows_other(None)
    total["pass"] = (total["pass"] or 0) + 5
    other = stats.unattributed(DeviceStats("veth0", 7, total, queues))
    assert other is not None and other["pass"] == 2 + 5
    assert stats.shows_other(other)
    # no queues read: nothing to compare; a counter a queue lacks: unknown
    assert stats.unattributed(DeviceStats("veth0", 7, total)) is None
    partial = stats.unattributed(DeviceStats("veth0", 7, total, (QueueStats(0, c(drop=1)),)))
    assert partial is not None and partial["aborted"] is None and partial["drop"] == 13


def test_rate_sample_other() -> None:
    q = (QueueStats(0, full(0)),)
    prev = DeviceStats("veth0", 7, full(0), q)
    cur = DeviceStats("veth0", 7, {n: (v or 0) + 4 for n, v in full(0).items()}, q)
    sample = rate_sample(prev, cur, 2.0)
    assert sample.other == dict.fromkeys(COUNTERS, 2.0)
    assert rate_sample(DeviceStats("veth0", 7, full(0)), DeviceStats("veth0", 7, full(0)),
                       1.0).other is None
