#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0

"""
Per-action XDP statistics: ETHTOOL_MSG_XDP_SET / XDP_GET / XDP_STATS_GET.

The counts come from BPF_PROG_TEST_RUN of xdp_act.bpf.o with the device's
ifindex and an RX queue in the context: the core counts each run on that
queue whatever the driver, so the counters must match exactly. Runs on
netdevsim by default, on a real device with NETIF set (counts are exact
only while no other XDP program runs on it: then the count test skips).
"""

import errno
import json
import os
import shutil
import struct
import tempfile
from pathlib import Path

from lib.py import (
    EthtoolFamily,
    KsftSkipEx,
    NetDrvEnv,
    NlError,
    cmd,
    defer,
    ip,
    ksft_eq,
    ksft_exit,
    ksft_in,
    ksft_raises,
    ksft_run,
    ksft_true,
)

ETH_P_XDPACT = 0x88B5
ACTIONS = {"aborted": 0, "drop": 1, "pass": 2, "tx": 3, "redirect": 4,
           "unknown": 7}
COUNTERS = ("aborted", "drop", "pass", "tx", "redirect", "unknown",
            "redirect-errors")
ENODATA_MSG = "XDP statistics are not enabled on this device"

ethnl = EthtoolFamily()


def _counters(nest):
    nest = nest or {}
    return {name: nest.get(name, 0) for name in COUNTERS}


def _stats(cfg):
    """(total, {queue-id: counters}) of the env's device."""
    reply = ethnl.xdp_stats_get({"header": {"dev-index": cfg.ifindex}})
    queues = {q["queue-id"]: _counters(q) for q in reply.get("queue", [])}
    return _counters(reply.get("total")), queues


def _set(cfg, enabled):
    ethnl.xdp_set({"header": {"dev-index": cfg.ifindex},
                   "stats-enabled": enabled})


def _enabled(cfg):
    return ethnl.xdp_get({"header": {"dev-index": cfg.ifindex}})["stats-enabled"]


def _enable(cfg):
    was = _enabled(cfg)
    _set(cfg, 1)
    defer(_set, cfg, was)


def _rx_queues(cfg):
    queues = os.listdir(f"/sys/class/net/{cfg.ifname}/queues")
    return len([q for q in queues if q.startswith("rx-")])


def _require_exclusive(cfg):
    dev = ip(f"-d link show dev {cfg.ifname}", json=True)[0]
    if "xdp" in dev:
        raise KsftSkipEx("an XDP program is attached: counts would not be exact")


def _frame(action, ifindex=0):
    frame = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01"
    frame += struct.pack(">HBI", ETH_P_XDPACT, action, ifindex)
    return frame.ljust(60, b"\0")


def _prog(cfg):
    """xdp_act.bpf.o loaded and pinned in a private bpffs (once)."""
    if getattr(cfg, "pin", None):
        return cfg.pin
    obj = Path(__file__).parent / "xdp_act.bpf.o"
    if not obj.exists():
        raise KsftSkipEx(f"{obj.name} not built")
    if cmd("command -v bpftool", fail=False, shell=True).ret != 0:
        raise KsftSkipEx("Test requires command: bpftool")
    cfg.tmp = tempfile.mkdtemp(prefix="xdp_stats.")
    os.mkdir(f"{cfg.tmp}/bpffs")
    cmd(f"mount -t bpf xdp_stats {cfg.tmp}/bpffs")
    cfg.pin = f"{cfg.tmp}/bpffs/xdp_act"
    cmd(f"bpftool prog load {obj} {cfg.pin} type xdp")
    return cfg.pin


def _cleanup(cfg):
    if getattr(cfg, "pin", None):
        os.unlink(cfg.pin)
        cmd(f"umount {cfg.tmp}/bpffs")
        shutil.rmtree(cfg.tmp)
        cfg.pin = None


def _run(cfg, action, queue, repeat):
    """BPF_PROG_TEST_RUN on the device's RX queue; returns the prog's retval."""
    pin = _prog(cfg)
    frame = _frame(action, cfg.ifindex)
    data = Path(cfg.tmp) / "data"
    data.write_bytes(frame)
    # struct xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index
    ctx = Path(cfg.tmp) / "ctx"
    ctx.write_bytes(struct.pack("<6I", 0, len(frame), 0, cfg.ifindex, queue, 0))
    out = cmd(f"bpftool -j prog run pinned {pin} data_in {data} ctx_in {ctx} "
              f"repeat {repeat}", timeout=60).stdout
    return json.loads(out)["retval"]


def disabled_is_enodata(cfg) -> None:
    """A device that does not count answers ENODATA, with a message."""
    if _enabled(cfg):
        _set(cfg, 0)
        defer(_set, cfg, 1)
    ksft_eq(_enabled(cfg), 0)
    with ksft_raises(NlError) as cm:
        _stats(cfg)
    ksft_eq(cm.exception.nl_msg.error, -errno.ENODATA)
    ksft_eq(cm.exception.nl_msg.extack["msg"], ENODATA_MSG)


def enable_disable(cfg) -> None:
    """stats-enabled follows xdp-set; a dump lists only counting devices."""
    def dumped():
        return [d["header"]["dev-index"]
                for d in ethnl.xdp_stats_get({}, dump=True)]

    _enable(cfg)
    ksft_eq(_enabled(cfg), 1)
    ksft_in(cfg.ifindex, dumped())
    total, _ = _stats(cfg)
    ksft_eq(set(total), set(COUNTERS))
    _set(cfg, 0)
    ksft_eq(_enabled(cfg), 0)
    ksft_true(cfg.ifindex not in dumped(), "disabled device in the dump")
    _set(cfg, 1)
    ksft_eq(_enabled(cfg), 1)


def bad_value_is_rejected(cfg) -> None:
    """stats-enabled is a flag: 2 fails the policy's range check."""
    was = _enabled(cfg)
    with ksft_raises(NlError) as cm:
        _set(cfg, 2)
    ksft_eq(cm.exception.nl_msg.error, -errno.ERANGE)
    ksft_eq(cm.exception.nl_msg.extack["bad-attr"], ".stats-enabled")
    ksft_eq(_enabled(cfg), was)


def test_run_counts(cfg) -> None:
    """N runs of each action on each of (up to) two RX queues count exactly."""
    _require_exclusive(cfg)
    _prog(cfg)
    _enable(cfg)

    nqueues = min(_rx_queues(cfg), 2)
    base_total, base_queues = _stats(cfg)
    want = {q: dict.fromkeys(COUNTERS, 0) for q in range(nqueues)}
    for q in range(nqueues):
        for i, (name, action) in enumerate(ACTIONS.items()):
            # Different counts per action and queue: a swap would show.
            repeat = 10 * (i + 1) + 100 * q
            ksft_eq(_run(cfg, action, q, repeat), action)
            # BPF_PROG_TEST_RUN does not perform the redirect: no errors.
            want[q][name] += repeat

    total, queues = _stats(cfg)
    for q in range(nqueues):
        base = base_queues.get(q, dict.fromkeys(COUNTERS, 0))
        got = {k: queues.get(q, {}).get(k, 0) - base[k] for k in COUNTERS}
        ksft_eq(got, want[q], comment=f"queue {q}")
    got = {k: total[k] - base_total[k] for k in COUNTERS}
    ksft_eq(got, {k: sum(w[k] for w in want.values()) for k in COUNTERS},
            comment="total")


def queues_sum_to_total(cfg) -> None:
    """Per-queue counters use the device's RX queue ids and add up."""
    _require_exclusive(cfg)
    _prog(cfg)
    _enable(cfg)
    _run(cfg, ACTIONS["drop"], 0, 5)
    total, queues = _stats(cfg)
    nqueues = _rx_queues(cfg)
    for q in queues:
        ksft_true(0 <= q < nqueues, f"queue-id {q} of {nqueues} RX queues")
    for k in COUNTERS:
        ksft_eq(sum(c[k] for c in queues.values()), total[k], comment=k)


def main() -> None:
    with NetDrvEnv(__file__, queue_count=2) as cfg:
        cfg.ifname = cfg.dev["ifname"]
        try:
            ksft_run([disabled_is_enodata, enable_disable, bad_value_is_rejected,
                      test_run_counts, queues_sum_to_total], args=(cfg, ))
        finally:
            _cleanup(cfg)
    ksft_exit()


if __name__ == "__main__":
    main()
