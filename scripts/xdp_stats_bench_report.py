# SPDX-License-Identifier: GPL-2.0
"""What scripts/bench-xdp-stats reads and prints: guest output, medians and
ratios, instruction counts. No boots here, so that all of it is unit-tested
(tests/unit/test_bench_parse.py)."""

from __future__ import annotations

import bisect
import itertools
import json
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

TAG = "xdp-stats-bench:"
VARIANTS = {
    "a": "base, unpatched",
    "b": "patched, stats off",
    "c": "patched, stats on",
}
# What each kind of boot measures: a base kernel only a, a patched one
# b and c, alternating sample by sample.
KERNEL_VARIANTS = {"base": ("a",), "patched": ("b", "c")}
WORKLOADS = {
    "run": "XDP_DROP, BPF_PROG_TEST_RUN on lo queue 0 (the hook and nothing else; "
           "not counted)",
    "veth": "XDP_DROP, pktgen into a veth pair, native XDP on the peer (veth's skb RX path)",
    "frames": "XDP_DROP, pktgen, redirected into a second veth pair, native XDP on its "
              "peer (xdp_frames: veth_xdp_rcv_one, the shortest driver RX path here)",
    "virtio-per-cpu": "XDP_REDIRECT into the virtio-net NIC, its XDP TX per-cpu (a send "
                      "queue of the CPU's own, no lock): the target path",
    "virtio-shared": "XDP_REDIRECT into the virtio-net NIC, its XDP TX shared (the stack's "
                     "send queue, under its lock): the target path",
}
# Workloads whose counting hop redirects rather than drops.
REDIRECTING = ("virtio-per-cpu", "virtio-shared")
# Instructions added per frame (icount clock), from the issue: off only the
# static key's NOP, on at most 15 (for one XDP hop that counts).
TARGETS = {("b", "a"): 1.0, ("c", "b"): 15.0}
# What a workload's "on" measures, when it is not one counting hop.
ON_NOTES = {
    "run": "test runs are not counted: this is the key's cost for a run without a slot",
    "frames": "two XDP hops: the second counts, the first (a device that does not "
              "count) pays the key's cost; the static counts below split it",
    "virtio-per-cpu": "the redirecting hop counts, and so does the target (xmit)",
    "virtio-shared": "the redirecting hop counts, and so does the target (xmit)",
}


# ---------------------------------------------------------------------------
# What the guest prints
# ---------------------------------------------------------------------------

def parse_bpftool_run(text: str) -> tuple[int, int]:
    """(retval, duration in ns per run) from `bpftool [-j] prog run` output."""
    text = text.strip()
    if text.startswith("{"):
        doc = json.loads(text)
        return int(doc["retval"]), int(doc["duration"])
    m = re.search(r"Return value: (\d+), duration(?: \(average\))?: (\d+)ns", text)
    if not m:
        raise ValueError(f"not bpftool prog run output: {text[:200]!r}")
    return int(m.group(1)), int(m.group(2))


def parse_pktgen_result(text: str) -> tuple[int, int]:
    """(frames sent, elapsed µs) from /proc/net/pktgen/DEV after a run."""
    m = re.search(r"^Result: OK: (\d+)\(c\d+\+d\d+\) usec, (\d+) \(", text, re.M)
    if not m:
        line = next((li for li in text.splitlines() if li.startswith("Result:")), "none")
        raise ValueError(f"pktgen did not finish: {line.strip()!r}")
    return int(m.group(2)), int(m.group(1))


def parse_ethtool_xdp_drops(text: str) -> int:
    """veth's own XDP_DROP counter (`ethtool -S`), summed over its RX queues."""
    found = re.findall(r"^\s*rx_queue_\d+_xdp_drops: (\d+)$", text, re.M)
    if not found:
        raise ValueError("no rx_queue_N_xdp_drops in ethtool -S output")
    return sum(int(n) for n in found)


def parse_ethtool_xdp_tx(text: str) -> tuple[int, int]:
    """What virtio_net's ndo_xdp_xmit was given and what it dropped (a full
    send queue), from `ethtool -S` txN_xdp_tx and txN_xdp_tx_drops, summed
    over its send queues."""
    given = re.findall(r"^\s*tx\d+_xdp_tx: (\d+)$", text, re.M)
    if not given:
        raise ValueError("no txN_xdp_tx in ethtool -S output")
    dropped = re.findall(r"^\s*tx\d+_xdp_tx_drops: (\d+)$", text, re.M)
    return sum(int(n) for n in given), sum(int(n) for n in dropped)


@dataclass
class Sample:
    variant: str
    workload: str
    ns: float


@dataclass
class Boot:
    """What one guest boot reported."""

    kind: str
    kernel: str = ""
    patched: bool | None = None
    samples: list[Sample] = field(default_factory=list)
    # (workload, frames the counters show, frames that ran) per stats-on sample
    counted: list[tuple[str, int, int]] = field(default_factory=list)
    # workload: (frames a full send queue of the target dropped, frames given)
    ring_full: dict[str, tuple[int, int]] = field(default_factory=dict)


def guest_line(**kv: object) -> str:
    return " ".join([TAG, *(f"{k}={v}" for k, v in kv.items())])


def parse_guest_output(text: str) -> Boot:
    """The TAG lines of a guest run: `TAG key=value ...`."""
    boot: Boot | None = None
    for line in text.splitlines():
        if not line.startswith(TAG):
            continue
        kv = dict(item.split("=", 1) for item in line[len(TAG):].split())
        if "kind" in kv:
            boot = Boot(kv["kind"], kv.get("kernel", ""), kv.get("patched") == "1")
        elif boot is None:
            raise ValueError(f"benchmark line before the boot's header: {line!r}")
        elif "ns" in kv:
            boot.samples.append(Sample(kv["variant"], kv["workload"], float(kv["ns"])))
        elif "ring_full" in kv:
            boot.ring_full[kv["workload"]] = (int(kv["ring_full"]), int(kv["given"]))
        elif "counted" in kv:
            boot.counted.append((kv["workload"], int(kv["counted"]), int(kv["expected"])))
    if boot is None:
        raise ValueError("the guest printed no benchmark lines")
    return boot


def check_boot(boot: Boot, workloads: Sequence[str]) -> None:
    """The guest ran the kernel it was meant to, measured every variant and
    workload, and stats-on counted every frame that ran."""
    want = boot.kind == "patched"
    if boot.patched is not want:
        kind = "patched" if want else "unpatched"
        raise ValueError(f"a {boot.kind} boot needs a kernel that is {kind}, the guest "
                         f"ran {boot.kernel or '?'} (patched={boot.patched})")
    for variant in KERNEL_VARIANTS[boot.kind]:
        for workload in workloads:
            if not any(s.variant == variant and s.workload == workload for s in boot.samples):
                raise ValueError(f"variant {variant}, {workload}: no samples")
    for workload, counted, expected in boot.counted:
        if counted != expected:
            raise ValueError(f"stats on, {workload}: {counted} frames counted, "
                             f"{expected} frames ran")
    if want and len(boot.counted) < len(workloads):
        raise ValueError("stats on: the guest did not report what the counters showed")


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------

def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def _pairs(boots: Sequence[Boot], workload: str, num: str,
           den: str) -> list[tuple[float, float]]:
    """(num, den) measured next to each other: consecutive samples of one
    boot (b, c), or one base boot's median and the next patched boot's
    (a, b), so that drift of the host cancels out."""
    pairs: list[tuple[float, float]] = []
    if den == "a":
        bases = [b for b in boots if b.kind == "base"]
        patched = [b for b in boots if b.kind == "patched"]
        for base, pat in zip(bases, patched, strict=False):
            da = [s.ns for s in base.samples if s.workload == workload and s.variant == den]
            dn = [s.ns for s in pat.samples if s.workload == workload and s.variant == num]
            if da and dn:
                pairs.append((statistics.median(dn), statistics.median(da)))
    else:
        for boot in boots:
            seq = [s for s in boot.samples if s.workload == workload]
            pairs += [(n.ns, d.ns) for d, n in itertools.pairwise(seq)
                      if d.variant == den and n.variant == num]
    return pairs


def paired_ratio(boots: Sequence[Boot], workload: str, num: str, den: str) -> float | None:
    """Median of num/den over pairs measured next to each other (_pairs)."""
    pairs = _pairs(boots, workload, num, den)
    return statistics.median(n / d for n, d in pairs) if pairs else None


def paired_diff(boots: Sequence[Boot], workload: str, num: str, den: str) -> float | None:
    """Median of num - den over the same pairs: with the icount clock,
    instructions added per frame."""
    pairs = _pairs(boots, workload, num, den)
    return statistics.median(n - d for n, d in pairs) if pairs else None


def format_report(boots: Sequence[Boot], workloads: Iterable[str], frames: dict[str, int],
                  unit: str = "ns") -> str:
    out: list[str] = []
    for workload in workloads:
        out.append(f"{WORKLOADS[workload]}; {frames[workload]} frames per sample")
        head = ("variant", "n", f"median {unit}/frame", "q1", "q3")
        rows = [head]
        for variant, label in VARIANTS.items():
            ns = [s.ns for b in boots for s in b.samples
                  if s.variant == variant and s.workload == workload]
            if ns:
                q1, q2, q3 = quartiles(ns)
                rows.append((f"{variant}  {label}", str(len(ns)), f"{q2:.2f}", f"{q1:.2f}",
                             f"{q3:.2f}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        for r in rows:
            cells = [c.ljust(w) if i == 0 else c.rjust(w)
                     for i, (c, w) in enumerate(zip(r, widths, strict=True))]
            out.append("  " + "  ".join(cells).rstrip())
        out.extend(_per_boot_medians(boots, workload))
        for num, den, what in (("b", "a", "off vs base"), ("c", "a", "on vs base"),
                               ("c", "b", "on vs off (same boot)")):
            ratio = paired_ratio(boots, workload, num, den)
            if ratio is None:
                continue
            diff = paired_diff(boots, workload, num, den)
            line = f"  {what:<22} {ratio:.4f}  ({(ratio - 1) * 100:+.2f} %, {diff:+.1f} {unit})"
            target = TARGETS.get((num, den))
            if num == "c" and workload in ON_NOTES:
                target = None
            if unit == "instructions" and target is not None and diff is not None:
                verdict = "met" if diff <= target else "NOT met"
                line += f"  target <= {target:g}: {verdict}"
            out.append(line)
        if workload in ON_NOTES:
            out.append(f"  (on: {ON_NOTES[workload]})")
        full = [b.ring_full[workload] for b in boots if workload in b.ring_full]
        if full:
            dropped, given = (sum(x) for x in zip(*full, strict=True))
            out.append(f"  (the NIC's full send queue dropped {dropped} of the {given} frames "
                       f"given to ndo_xdp_xmit, {dropped / given:.1%}: those cost less)")
        out.append("")
    if all(w in workloads for w in REDIRECTING):
        out.append("XDP TX shared vs per-cpu, the same frames in the same boot "
                   f"(shared minus per-cpu, median {unit}/frame):")
        for variant, label in VARIANTS.items():
            diff = workload_diff(boots, variant, *reversed(REDIRECTING))
            if diff is not None:
                out.append(f"  {variant}  {label:<22} {diff:+.1f}")
    return "\n".join(out).rstrip()


def _per_boot_medians(boots: Sequence[Boot], workload: str) -> list[str]:
    """Each variant's median in each boot: a spread across boots of the
    same kernel is noise that a difference between kernels must exceed."""
    parts = []
    for variant in VARIANTS:
        medians = [quartiles(ns)[1] for b in boots
                   if (ns := [s.ns for s in b.samples
                              if s.variant == variant and s.workload == workload])]
        if medians:
            parts.append(f"{variant} " + " ".join(f"{m:.1f}" for m in medians))
    return ["  median of each boot, in boot order: " + "; ".join(parts)] if parts else []


def workload_diff(boots: Sequence[Boot], variant: str, num: str, den: str) -> float | None:
    """Median over boots of (median num - median den) within a boot."""
    diffs = []
    for b in boots:
        a = [s.ns for s in b.samples if s.variant == variant and s.workload == num]
        c = [s.ns for s in b.samples if s.variant == variant and s.workload == den]
        if a and c:
            diffs.append(statistics.median(a) - statistics.median(c))
    return statistics.median(diffs) if diffs else None


# ---------------------------------------------------------------------------
# Instruction counts
# ---------------------------------------------------------------------------

def parse_objdump(text: str) -> dict[str, int]:
    """Instructions per function in `objdump -d` output, with or without the
    raw bytes (a continuation line of a long encoding has bytes only). The
    alignment padding after a function's last instruction (nops, int3) is
    not counted."""
    insns: dict[str, list[str]] = {}
    func = None
    head = re.compile(r"^[0-9a-f]+ <([^>]+)>:$")
    insn = re.compile(r"^\s*[0-9a-f]+:\t(.*)$")
    raw = re.compile(r"[0-9a-f]{2}( [0-9a-f]{2})*")
    for line in text.splitlines():
        if m := head.match(line):
            func = m.group(1)
            insns[func] = []
        elif func is not None and (m := insn.match(line)):
            fields = [f.strip() for f in m.group(1).split("\t") if f.strip()]
            if len(fields) > 1 or (fields and not raw.fullmatch(fields[0])):
                insns[func].append(fields[-1])
        elif not line.strip():
            func = None
    padding = re.compile(r"^(int3|(data16 |cs )*\w*nop\w*)\b")
    counts = {}
    for name, ops in insns.items():
        while ops and padding.match(ops[-1]):
            ops.pop()
        counts[name] = len(ops)
    return counts


def parse_objdump_insns(text: str, func: str) -> list[str]:
    """The instructions (mnemonic and operands) of func in `objdump -d
    --no-show-raw-insn` output, in address order."""
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        if re.match(r"^[0-9a-f]+ <([^>]+)>:$", line):
            inside = line.endswith(f"<{func}>:")
        elif inside and (m := re.match(r"^\s*[0-9a-f]+:\t(.*)$", line)):
            out.append(re.sub(r"\s+", " ", m.group(1).strip()))
        elif not line.strip():
            inside = False
    return out


def stats_path(insns: Sequence[str]) -> tuple[int, int] | None:
    """Instructions executed per frame on the statistics path inlined in a
    driver function: (counted, not counted). The path is the out-of-line
    block the static key jumps to: from the instruction after the
    unconditional jump before it, to the jump back; the per-CPU increment
    (add of this_cpu_off, then an 8-byte counter incremented at an index)
    marks it. Not counted: the block up to its second NULL check, taken.
    Both include the jump at the key's site."""
    for i, insn in enumerate(insns):
        if not re.match(r"addq \$0x1,\(%\w+,%\w+,8\)$", insn):
            continue
        if not any("%gs:" in prev for prev in insns[max(0, i - 3):i]):
            continue
        start = i
        while start > 0 and not re.match(r"(jmp|ret)\b", insns[start - 1]):
            start -= 1
        end = i
        while end < len(insns) and not insns[end].startswith("jmp"):
            end += 1
        checks = [j for j in range(start, i) if insns[j].startswith("je ")]
        if end == len(insns) or len(checks) < 2:
            return None
        return end - start + 2, checks[1] - start + 2
    return None


def format_disasm(rows: Sequence[tuple[str, str, int | None, int | None]],
                  stats: dict[str, int],
                  paths: dict[str, tuple[int, int] | None] | None = None) -> str:
    out = ["instructions (objdump -d)", "function            base  patched  added"]
    for func, _obj, base, patched in rows:
        added = f"{patched - base:+d}" if base is not None and patched is not None else "-"
        out.append(f"{func:<18}  {base if base is not None else '-':>4}  "
                   f"{patched if patched is not None else '-':>7}  {added:>5}")
    for func, path in (paths or {}).items():
        if path is None:
            out.append(f"{func}: no inlined statistics path found")
        else:
            out.append(f"{func}: executed per frame with the key on: {path[0]} when the "
                       f"device counts, {path[1]} when it does not (off: the key's NOP)")
    if stats:
        out.append("stats-on path (patched kernel):")
        out.extend(f"  {name}: {n}" for name, n in sorted(stats.items()))
    else:
        out.append("stats-on path: no xdp_stats_* function in the patched objects "
                   "(inlined, or not built yet)")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# --profile: where the instructions of one workload go, per kernel function
# ---------------------------------------------------------------------------

# Below this a guest address is user space (x86-64, 4- or 5-level paging).
KERNEL_SPACE = 0xFF00_0000_0000_0000


def parse_kallsyms(text: str) -> list[tuple[int, str]]:
    """/proc/kallsyms' code symbols, sorted by address (module symbols
    without their [module] suffix)."""
    syms = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return sorted(syms)


def parse_tb_snapshot(text: str) -> dict[int, int]:
    """A tb-profile snapshot: instructions executed per block address."""
    blocks = {}
    for line in text.splitlines():
        addr, insns = line.split()
        blocks[int(addr, 16)] = int(insns)
    return blocks


def per_function(before: dict[int, int], after: dict[int, int],
                 syms: Sequence[tuple[int, str]]) -> dict[str, int]:
    """Instructions executed between two snapshots, per function: a block
    belongs to the last symbol at or below its address."""
    addrs = [a for a, _ in syms]
    funcs: dict[str, int] = {}
    for addr, insns in after.items():
        delta = insns - before.get(addr, 0)
        if not delta:
            continue
        if addr < KERNEL_SPACE:
            name = "[user space]"
        else:
            i = bisect.bisect_right(addrs, addr) - 1
            name = syms[i][1] if i >= 0 else "[unknown]"
        funcs[name] = funcs.get(name, 0) + delta
    return funcs


def _bpf_prog_name(name: str) -> str:
    """bpf_prog_<tag>_<name>: the tag differs between kernels, the name not."""
    m = re.fullmatch(r"bpf_prog_[0-9a-f]{16}_(\w+)", name)
    return f"bpf_prog_*_{m.group(1)}" if m else name


def _merge_bpf_progs(funcs: dict[str, int]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for name, n in funcs.items():
        merged[_bpf_prog_name(name)] = merged.get(_bpf_prog_name(name), 0) + n
    return merged


Profile = tuple[dict[str, int], int]  # instructions per function, frames


def format_profile(workload: str, labels: tuple[str, str],
                   rounds: Sequence[tuple[Profile, Profile]], top: int = 25) -> str:
    """Instructions per frame per function of two runs (labels), in each
    round (a boot of each kernel): the medians over rounds, then each
    round's difference, so that a difference in code (the same in every
    round) stands apart from one in state (the allocator's, say), which
    moves from boot to boot. The largest median differences first."""
    per_round = []
    for (fa, na), (fb, nb) in rounds:
        fa, fb = _merge_bpf_progs(fa), _merge_bpf_progs(fb)
        per_round.append({name: (fa.get(name, 0) / na, fb.get(name, 0) / nb)
                          for name in set(fa) | set(fb)})
    names = set().union(*per_round)
    rows = []
    for name in names:
        pairs = [r.get(name, (0.0, 0.0)) for r in per_round]
        rows.append((name, statistics.median(a for a, _ in pairs),
                     statistics.median(b for _, b in pairs), [b - a for a, b in pairs]))
    rows.sort(key=lambda r: (-abs(statistics.median(r[3])), r[0]))
    la, lb = labels
    width = max([len("function"), *(len(r[0]) for r in rows[:top])])
    cols = max(9, len(la), len(lb))
    out = [f"{workload}: instructions per frame, by function: {la} against {lb} "
           f"({len(rounds)} rounds; medians, then the difference in each round)",
           f"{'function':<{width}}  {la:>{cols}}  {lb:>{cols}}  diff"]
    for name, va, vb, diffs in rows[:top]:
        out.append(f"{name:<{width}}  {va:{cols}.2f}  {vb:{cols}.2f}  "
                   + " ".join(f"{d:+7.2f}" for d in diffs))
    totals = [(sum(fa.values()) / na, sum(fb.values()) / nb) for (fa, na), (fb, nb) in rounds]
    out.append(f"{'total':<{width}}  {statistics.median(a for a, _ in totals):{cols}.2f}  "
               f"{statistics.median(b for _, b in totals):{cols}.2f}  "
               + " ".join(f"{b - a:+7.2f}" for a, b in totals))
    return "\n".join(out)
