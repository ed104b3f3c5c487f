"""Output for `stats`: ethtool-like text, a Rich per-queue table, JSON, and the
`--watch` views (a Rich table refreshed in place, or one JSON line per refresh).

The JSON field names are a stable interface documented in docs/cli.md; add
fields, never rename them.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from xdptool.stats import COUNTERS, Counts, DeviceStats, Rates, RateSample

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


def _block(title: str, values: Counts) -> list[str]:
    lines = [title]
    for name in COUNTERS:
        lines.append(f"{text_key(name) + ':':<{_WIDTH}}{_count_text(values.get(name))}")
    return lines


def text(stats: DeviceStats) -> str:
    """ethtool-style block of the device totals."""
    return "\n".join(_block(f"XDP action statistics for {stats.ifname}:", stats.total)) + "\n"


def _table() -> Table:
    return Table(box=None, pad_edge=False, header_style="bold")


def queue_table(stats: DeviceStats) -> Group:
    """A title line, then one row per RX queue and a total row."""
    table = _table()
    table.add_column("queue", justify="right")
    for name in COUNTERS:
        table.add_column(text_key(name), justify="right")
    for q in stats.queues:
        table.add_row(str(q.queue_id), *(_count_text(q.counters.get(n)) for n in COUNTERS))
    table.add_row("total", *(_count_text(stats.total.get(n)) for n in COUNTERS),
                  style="bold")
    return Group(Text(f"XDP action statistics for {stats.ifname}:"), table)


def to_dict(stats: DeviceStats) -> dict[str, Any]:
    return {
        "ifname": stats.ifname,
        "ifindex": stats.ifindex,
        "total": {name: stats.total.get(name) for name in COUNTERS},
        "queues": [
            {"queue_id": q.queue_id, **{name: q.counters.get(name) for name in COUNTERS}}
            for q in stats.queues
        ],
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


def watch_table(sample: RateSample, interval: float, per_queue: bool) -> Group:
    """The --watch view: counters and rates of the device, or rates per queue."""
    stats = sample.stats
    title = Text(f"XDP actions on {stats.ifname}, per second over {sample.seconds:.2f} s "
                 f"(every {interval:g} s; Ctrl-C quits):")
    table = _table()
    if not per_queue:
        table.add_column("action")
        table.add_column("total", justify="right")
        table.add_column("per second", justify="right")
        for name in COUNTERS:
            table.add_row(text_key(name), _count_text(stats.total.get(name)),
                          rate_text(sample.rates.get(name)))
        return Group(title, table)
    table.add_column("queue", justify="right")
    for name in COUNTERS:
        table.add_column(text_key(name), justify="right")
    for q in sample.queues:
        table.add_row(str(q.queue_id), *(rate_text(q.rates.get(n)) for n in COUNTERS))
    table.add_row("total", *(rate_text(sample.rates.get(n)) for n in COUNTERS), style="bold")
    return Group(title, table)


def console_for_stdout() -> Console:
    """Rich console; when piped, wide enough that rows are never wrapped."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=512)
    return console
