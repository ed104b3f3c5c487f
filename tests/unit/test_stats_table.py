"""`stats --per-queue` never cuts a digit: 11-digit counters at 40, 80 and
200 columns, and plain one-line rows when stdout is not a terminal."""

from __future__ import annotations

import pytest

from xdptool.commands.stats import COUNTERS, DeviceStats, QueueStats, counts, queue_table

BIG = 12_345_678_901  # 11 digits: ten seconds of 100 GbE at line rate, give or take


def device() -> DeviceStats:
    queues = tuple(QueueStats(q, counts({name: BIG + q * 10 + i
                                         for i, name in enumerate(COUNTERS)}))
                   for q in range(4))
    total = counts({name: sum(int(q.counters[name] or 0) for q in queues) for name in COUNTERS})
    return DeviceStats("veth0", 7, total, queues)


def numbers(text: str) -> set[str]:
    return {word for line in text.splitlines() for word in line.split() if word.isdigit()}


@pytest.mark.parametrize("width", [40, 80, 200, None])
def test_every_number_whole(width: int | None) -> None:
    stats = device()
    text = queue_table(stats, width)
    expected = {str(v) for q in stats.queues for v in q.counters.values()}
    expected |= {str(v) for v in stats.total.values()} | {"0", "1", "2", "3"}
    assert numbers(text) == expected
    lines = text.splitlines()
    assert lines[0] == "XDP action statistics for veth0:"
    if width is not None:
        assert max(len(line) for line in lines) <= width
    parts = "\n".join(lines[1:]).split("\n\n")
    assert len(parts) == {40: 4, 80: 2, 200: 1, None: 1}[width]
    for part in parts:
        rows = part.splitlines()
        assert rows[0].split()[0] == "queue"
        assert [row.split()[0] for row in rows[1:]] == ["0", "1", "2", "3", "total"]


def test_80_columns_exactly() -> None:
    lines = queue_table(device(), 80).splitlines()
    assert lines[1].split() == ["queue", "aborted", "drop", "pass", "tx", "redirect"]
    assert lines[2] == "    0  12345678901  12345678902  12345678903  12345678904  12345678905"
    assert lines[7] == ""
    assert lines[8].split() == ["queue", "unknown", "redirect-errors"]
    assert lines[-1] == "total  49382715684      49382715688"
