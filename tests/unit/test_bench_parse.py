"""scripts/bench-xdp-stats and its report module: arguments, parsing, figures; no boots."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench-xdp-stats"


def load() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("bench_xdp_stats", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec
    mod = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = mod  # dataclasses look their module up
    loader.exec_module(mod)
    return mod


bench = load()
report = sys.modules["xdp_stats_bench_report"]  # imported by the script

OBJDUMP_RAW = """
o.o:     file format elf64-x86-64


Disassembly of section .text:

0000000000000000 <f>:
   0:\t8d 44 7f 01          \tlea    0x1(%rdi,%rdi,2),%eax
   4:\tc3                   \tret
   5:\t66 66 2e 0f 1f 84 00 \tdata16 cs nopw 0x0(%rax,%rax,1)
   c:\t00 00 00 00 \n
0000000000000010 <g>:
  10:\t85 f6                \ttest   %esi,%esi
  12:\t7e 34                \tjle    48 <g+0x38>
  14:\t48 b9 bc 9a 78 56 34 \tmovabs $0x123456789abc,%rcx
  1b:\t12 00 00 \n  1e:\t48 63 f6             \tmovslq %esi,%rsi
  27:\t66 0f 1f 84 00 00 00 \tnopw   0x0(%rax,%rax,1)
  2e:\t00 00 \n  30:\t48 8b 17             \tmov    (%rdi),%rdx
  43:\tc3                   \tret
  44:\tcc                   \tint3
"""

OBJDUMP_PLAIN = """
0000000000001230 <veth_xdp_rcv_one>:
    1230:\tendbr64
    1234:\tpush   %rbp
    1235:\tnop
    1236:\tcall   0 <__fentry__>
    123b:\tret
    123c:\tint3
    123d:\tint3

0000000000001240 <__pfx_xdp_stats_inc>:
    1240:\tnop
    1241:\tnop

0000000000001250 <xdp_stats_inc>:
    1250:\tincq   %gs:(%rax)
    1255:\tret
"""


def test_parse_objdump_counts_instructions_not_bytes_or_padding() -> None:
    # g: test jle movabs movslq nopw mov ret; the trailing int3 is padding.
    assert report.parse_objdump(OBJDUMP_RAW) == {"f": 2, "g": 7}


def test_parse_objdump_without_raw_bytes() -> None:
    counts = report.parse_objdump(OBJDUMP_PLAIN)
    # A nop inside the function counts; the int3 padding after ret does not.
    assert counts["veth_xdp_rcv_one"] == 5
    assert counts["xdp_stats_inc"] == 2
    assert counts["__pfx_xdp_stats_inc"] == 0


def test_parse_objdump_of_a_real_object(tmp_path: Path) -> None:
    src = tmp_path / "f.c"
    src.write_text("int f(int a) { return a * 3 + 1; }\n")
    obj = tmp_path / "f.o"
    try:
        subprocess.run(["gcc", "-O2", "-c", str(src), "-o", str(obj)], check=True)
        out = subprocess.run(["objdump", "-d", str(obj)], capture_output=True, text=True,
                             check=True).stdout
    except (FileNotFoundError, subprocess.CalledProcessError):
        pytest.skip("needs gcc and objdump")
    assert report.parse_objdump(out) == {"f": 2}


def test_parse_bpftool_run_json_and_text() -> None:
    assert report.parse_bpftool_run('{"retval":1,"duration":52}\n') == (1, 52)
    assert report.parse_bpftool_run("Return value: 1, duration (average): 48ns\n") == (1, 48)
    assert report.parse_bpftool_run("Return value: 2, duration: 7ns") == (2, 7)
    with pytest.raises(ValueError, match="not bpftool"):
        report.parse_bpftool_run("Error: failed to run program")


PKTGEN_DONE = """\
Params: count 200000  min_pkt_size: 60  max_pkt_size: 60
     frags: 0  delay: 0  clone_skb: 0  ifname: xb0
Current:
     pkts-sofar: 200000  errors: 0
Result: OK: 1047214(c1046868+d346) usec, 200000 (60byte,0frags)
  190985pps 91Mb/sec (91672800bps) errors: 0
"""


def test_parse_pktgen_result() -> None:
    assert report.parse_pktgen_result(PKTGEN_DONE) == (200000, 1047214)
    with pytest.raises(ValueError, match="pktgen did not finish: 'Result: Idle'"):
        report.parse_pktgen_result("Params: count 1\nResult: Idle\n")


def test_parse_ethtool_xdp_drops_sums_queues() -> None:
    text = ("NIC statistics:\n     rx_queue_0_xdp_packets: 12\n"
            "     rx_queue_0_xdp_drops: 10\n     rx_queue_1_xdp_drops: 5\n"
            "     tx_queue_0_xdp_xmit: 3\n")
    assert report.parse_ethtool_xdp_drops(text) == 15
    with pytest.raises(ValueError, match="no rx_queue_N_xdp_drops"):
        report.parse_ethtool_xdp_drops("NIC statistics:\n     peer_ifindex: 4\n")


def tag(**kv: object) -> str:
    return report.guest_line(**kv) + "\n"


PATCHED_BOOT = (
    "guest kernel: 6.12.117\n"
    + tag(kind="patched", kernel="6.12.117-xdp", patched=1)
    + tag(variant="b", workload="run", sample=0, ns="55.000")
    + "noise from the guest\n"
    + tag(variant="c", workload="run", sample=0, ns="57.500")
    + tag(workload="run", counted=2000, expected=2000)
    + tag(variant="b", workload="run", sample=1, ns="54.000")
    + tag(variant="c", workload="run", sample=1, ns="56.000")
    + tag(workload="run", counted=2000, expected=2000)
)


def test_parse_guest_output() -> None:
    boot = report.parse_guest_output(PATCHED_BOOT)
    assert (boot.kind, boot.kernel, boot.patched) == ("patched", "6.12.117-xdp", True)
    assert [(s.variant, s.ns) for s in boot.samples] == [
        ("b", 55.0), ("c", 57.5), ("b", 54.0), ("c", 56.0)]
    assert boot.counted == [("run", 2000, 2000), ("run", 2000, 2000)]
    report.check_boot(boot, ["run"])


def test_parse_guest_output_without_lines_fails() -> None:
    with pytest.raises(ValueError, match="no benchmark lines"):
        report.parse_guest_output("Kernel panic\n")


@pytest.mark.parametrize(("text", "workloads", "error"), [
    (tag(kind="base", kernel="x", patched=1) + tag(variant="a", workload="run", sample=0, ns=5),
     ["run"], "a base boot needs a kernel that is unpatched"),
    (tag(kind="patched", kernel="x", patched=0), ["run"], "needs a kernel that is patched"),
    (PATCHED_BOOT.replace("counted=2000 expected=2000\n", "counted=1999 expected=2000\n", 1),
     ["run"], "stats on, run: 1999 frames counted, 2000 frames ran"),
    (PATCHED_BOOT, ["run", "veth"], "variant b, veth: no samples"),
    ("\n".join(li for li in PATCHED_BOOT.splitlines() if "counted" not in li),
     ["run"], "did not report what the counters showed"),
])
def test_check_boot_rejects_wrong_kernel_missing_samples_or_counts(
        text: str, workloads: list[str], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        report.check_boot(report.parse_guest_output(text), workloads)


def boots() -> list:  # type: ignore[type-arg]
    b, s = report.Boot, report.Sample
    return [
        b("base", "k", False, [s("a", "run", 100.0), s("a", "run", 102.0),
                               s("a", "run", 98.0)]),
        b("patched", "k", True, [s("b", "run", 101.0), s("c", "run", 110.0),
                                 s("b", "run", 100.0), s("c", "run", 112.0),
                                 s("b", "run", 102.0), s("c", "run", 109.0)]),
        b("patched", "k", True, [s("b", "run", 200.0), s("c", "run", 220.0)]),
        b("base", "k", False, [s("a", "run", 199.0)]),
    ]


def test_paired_ratios_pair_neighbours_not_pools() -> None:
    bs = boots()
    # off vs base: per round, patched median / base median: 101/100, 200/199
    assert report.paired_ratio(bs, "run", "b", "a") == pytest.approx((1.01 + 200 / 199) / 2)
    # on vs off: each c against the b before it: 110/101, 112/100, 109/102, 220/200
    expect = sorted([110 / 101, 112 / 100, 109 / 102, 1.1])
    assert report.paired_ratio(bs, "run", "c", "b") == pytest.approx((expect[1] + expect[2]) / 2)
    assert report.paired_ratio(bs, "veth", "c", "b") is None


def test_paired_diffs_are_instructions_added() -> None:
    bs = boots()
    # off - base per round: 101 - 100, 200 - 199
    assert report.paired_diff(bs, "run", "b", "a") == 1.0
    # on - off: 9, 12, 7, 20 -> median 10.5
    assert report.paired_diff(bs, "run", "c", "b") == 10.5
    assert report.paired_diff(bs, "frames", "c", "b") is None


def test_report_medians_quartiles_ratios_and_targets() -> None:
    text = report.format_report(boots(), ["run"], {"run": 1000})
    lines = text.splitlines()
    assert lines[0] == ("XDP_DROP, BPF_PROG_TEST_RUN on lo queue 0 (the hook and nothing "
                        "else; not counted); 1000 frames per sample")
    assert lines[1].split() == ["variant", "n", "median", "ns/frame", "q1", "q3"]
    # a: 98 100 102 199 -> median 101, inclusive quartiles 99.5 and 126.25
    assert lines[2].split() == ["a", "base,", "unpatched", "4", "101.00", "99.50", "126.25"]
    assert lines[3].split()[:6] == ["b", "patched,", "stats", "off", "4", "101.50"]
    assert len({len(li) for li in lines[1:5]}) <= 2  # the columns line up
    # boot by boot, so that noise between boots of one kernel shows
    assert lines[5] == ("  median of each boot, in boot order: a 100.0 199.0; "
                        "b 101.0 200.0; c 110.0 220.0")
    off = next(li for li in lines if "off vs base" in li)
    # Targets are instruction counts: none with the host's clock.
    assert off.split()[3:] == ["1.0075", "(+0.75", "%,", "+1.0", "ns)"]
    on_off = next(li for li in lines if "on vs off" in li)
    assert on_off.split()[5:] == ["1.0946", "(+9.46", "%,", "+10.5", "ns)"]
    text = report.format_report(boots(), ["run"], {"run": 1000}, "instructions")
    lines = text.splitlines()
    off = next(li for li in lines if "off vs base" in li)
    assert off.endswith("(+0.75 %, +1.0 instructions)  target <= 1: met")
    # Test runs are not counted: "on" is not one counting hop, no target.
    on_off = next(li for li in lines if "on vs off" in li)
    assert on_off.endswith("(+9.46 %, +10.5 instructions)")
    assert lines[-1] == ("  (on: test runs are not counted: this is the key's cost for a run "
                         "without a slot)")
    on = next(li for li in lines if "on vs base" in li)
    assert "target" not in on
    # The same figures for veth: one hop that counts, with its target.
    veth = [report.Boot(b.kind, b.kernel, b.patched,
                        [report.Sample(x.variant, "veth", x.ns) for x in b.samples])
            for b in boots()]
    lines = report.format_report(veth, ["veth"], {"veth": 1000}, "instructions").splitlines()
    on_off = next(li for li in lines if "on vs off" in li)
    assert on_off.endswith("(+9.46 %, +10.5 instructions)  target <= 15: met")
    assert not lines[-1].startswith("  (on:")


def test_report_without_base_has_no_base_ratios() -> None:
    text = report.format_report(boots()[1:3], ["run"], {"run": 10})
    assert "vs base" not in text
    assert "on vs off" in text
    text = report.format_report(boots(), ["run"], {"run": 10}, "instructions")
    assert text.splitlines()[1].split()[:4] == ["variant", "n", "median", "instructions/frame"]


def test_disasm_format() -> None:
    text = report.format_disasm([("veth_xdp_rcv_one", "veth.o", 300, 309)],
                                {"xdp_stats_inc": 12})
    assert "veth_xdp_rcv_one     300      309     +9" in text
    assert "  xdp_stats_inc: 12" in text
    text = report.format_disasm([("veth_xdp_rcv_one", "veth.o", None, 309)], {})
    assert "veth_xdp_rcv_one       -      309      -" in text
    assert "no xdp_stats_* function" in text


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, check=False)


def test_help() -> None:
    res = run("--help")
    assert res.returncode == 0
    assert "--build" in res.stdout
    assert "kselftest/bench.config" in res.stdout


@pytest.mark.parametrize(("args", "error"), [
    (["--rounds", "0"], "--rounds must be at least 1"),
    (["--frames", "0"], "--frames must be at least 1"),
    (["--workloads", "run,ring"],
     "unknown workload 'ring' (choose from run, veth, frames, virtio-per-cpu, virtio-shared)"),
    (["--profile", "/tmp/p"], "--profile boots the kernels: not with --dry-run or --disasm-only"),
])
def test_rejects_bad_arguments(args: list[str], error: str) -> None:
    res = run("--dry-run", *args)
    assert res.returncode == 2
    assert error in res.stderr
    assert "Traceback" not in res.stderr


def test_dry_run_alternates_kernels(tmp_path: Path) -> None:
    res = run("--dry-run", "--tree", str(tmp_path / "p"), "--kernels", str(tmp_path / "k"),
              "--rounds", "2", "--runs", "3000", "--samples", "3", "--workloads", "veth")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    kinds = [line.split("--guest ")[1].split()[0] for line in lines]
    assert kinds == ["base", "patched", "patched", "base"]
    assert all(f"--tree {tmp_path / 'p'}" in line for line in lines)
    assert f"--kernel {tmp_path / 'k'}/base/bzImage --" in lines[0]
    assert f"--kernel {tmp_path / 'k'}/patched/bzImage --" in lines[1]
    assert ("scripts/bench-xdp-stats --guest patched --samples 3 --runs 3000 --frames 200000 "
            "--workloads veth --obj ") in lines[1]
    assert all(" --icount 0 " in line for line in lines)  # the default clock
    assert all(" --cpus 2 --memory 2G " in line for line in lines)
    res = run("--dry-run", "--memory", "3G", "--rounds", "1")
    assert res.returncode == 0 and res.stdout.count(" --memory 3G ") == 2
    res = run("--dry-run", "--clock", "host", "--rounds", "1")
    assert res.returncode == 0 and "--icount" not in res.stdout


def test_profile_order_alternates_and_ends_each_round_with_the_control() -> None:
    assert bench.profile_order(2, False) == ["base", "patched", "patched", "base"]
    assert bench.profile_order(2, True) == ["base", "patched", "control",
                                            "patched", "base", "control"]


def test_profile_needs_the_icount_clock() -> None:
    res = run("--profile", "/tmp/p", "--clock", "host")
    assert res.returncode == 2
    assert "--profile needs the icount clock" in res.stderr


@pytest.mark.parametrize("profile", [False, True])
def test_missing_kernels_are_one_line(tmp_path: Path, profile: bool) -> None:
    extra = ["--profile", str(tmp_path / "p")] if profile else []
    res = run("--kernels", str(tmp_path), "--workloads", "run", *extra)
    assert res.returncode == 1
    assert res.stderr.strip() == (f"bench-xdp-stats: error: no base kernel in {tmp_path}: "
                                  "run with --build")


def test_build_without_a_work_tree_is_one_line(tmp_path: Path) -> None:
    res = run("--build", "--tree", str(tmp_path), "--kernels", str(tmp_path / "k"))
    assert res.returncode == 1
    assert res.stderr.strip() == (f"bench-xdp-stats: error: no kernel work tree at {tmp_path}: "
                                  "run scripts/kernel-tree first")


# veth_xdp_rcv_one of the patched bench kernel, trimmed around the block the
# static key jumps to (objdump -d --no-show-raw-insn).
RCV_ONE = """\
0000000000004170 <veth_xdp_rcv_one>:
    4170:\tpush   %r15
    42a2:\tjmp    439d <veth_xdp_rcv_one+0x22d>
    42a7:\tcmp    $0x3,%edx
    4398:\tjmp    42c5 <veth_xdp_rcv_one+0x155>
    439d:\tlea    0x1(%rdx),%eax
    43a0:\tcmp    $0x6,%eax
    43a3:\tsbb    %rsi,%rsi
    43a6:\tmov    0x58(%rsp),%rcx
    43ab:\tmov    0x20(%rcx),%rcx
    43af:\ttest   %rcx,%rcx
    43b2:\tje     42a7 <veth_xdp_rcv_one+0x137>
    43b8:\tmov    (%rcx),%rcx
    43bb:\ttest   %rcx,%rcx
    43be:\tje     42a7 <veth_xdp_rcv_one+0x137>
    43c4:\tadd    %gs:0x0(%rip),%rcx        # 43cc <veth_xdp_rcv_one+0x25c>
    43cc:\tand    %esi,%eax
    43ce:\taddq   $0x1,(%rcx,%rax,8)
    43d3:\tjmp    42a7 <veth_xdp_rcv_one+0x137>
    43d8:\tcall   43dd <veth_xdp_rcv_one+0x26d>

0000000000004700 <veth_xdp_rcv_skb>:
    4700:\tret
"""


def test_stats_path_counts_the_inlined_block() -> None:
    insns = report.parse_objdump_insns(RCV_ONE, "veth_xdp_rcv_one")
    assert insns[0] == "push %r15" and insns[-1].startswith("call ")
    # 14 in the block and the jump at the key's site; not counting: up to
    # the second NULL check.
    assert report.stats_path(insns) == (15, 11)
    assert report.stats_path(report.parse_objdump_insns(RCV_ONE, "veth_xdp_rcv_skb")) is None
    assert report.parse_objdump_insns(RCV_ONE, "nosuch") == []


def test_disasm_format_with_paths() -> None:
    text = report.format_disasm([("veth_xdp_rcv_one", "veth.o", 234, 251)], {},
                                {"veth_xdp_rcv_one": (15, 11), "veth_xdp_rcv_skb": None})
    assert ("veth_xdp_rcv_one: executed per frame with the key on: 15 when the device "
            "counts, 11 when it does not (off: the key's NOP)") in text
    assert "veth_xdp_rcv_skb: no inlined statistics path found" in text


def test_shared_vs_per_cpu_is_a_difference_within_each_boot() -> None:
    b, s = report.Boot, report.Sample
    boots = [
        b("base", "k", False, [s("a", "virtio-per-cpu", 900.0), s("a", "virtio-per-cpu", 902.0),
                               s("a", "virtio-shared", 910.0), s("a", "virtio-shared", 914.0)]),
        b("patched", "k", True, [s("b", "virtio-per-cpu", 1900.0), s("b", "virtio-shared", 1903.0),
                                 s("c", "virtio-per-cpu", 1950.0),
                                 s("c", "virtio-shared", 1951.0)]),
        b("patched", "k", True, [s("b", "virtio-per-cpu", 950.0),
                                 s("b", "virtio-shared", 955.0)]),
    ]
    # within a boot: medians 901 vs 912 -> +11; b: +3 and +5 -> median +4; c: +1
    assert report.workload_diff(boots, "a", "virtio-shared", "virtio-per-cpu") == 11.0
    assert report.workload_diff(boots, "b", "virtio-shared", "virtio-per-cpu") == 4.0
    assert report.workload_diff(boots, "c", "virtio-shared", "virtio-per-cpu") == 1.0
    assert report.workload_diff(boots, "a", "frames", "virtio-per-cpu") is None
    text = report.format_report(boots, ["virtio-per-cpu", "virtio-shared"],
                                {"virtio-per-cpu": 10, "virtio-shared": 10}, "instructions")
    tail = text.splitlines()[-4:]
    assert tail[0] == ("XDP TX shared vs per-cpu, the same frames in the same boot "
                       "(shared minus per-cpu, median instructions/frame):")
    assert [line.split()[0] for line in tail[1:]] == ["a", "b", "c"]
    assert [line.split()[-1] for line in tail[1:]] == ["+11.0", "+4.0", "+1.0"]
    # without both workloads, no comparison
    assert "shared vs per-cpu" not in report.format_report(
        boots, ["virtio-shared"], {"virtio-shared": 10})


def test_virtio_xdp_tx_given_and_dropped_over_send_queues() -> None:
    text = ("NIC statistics:\n     rx0_xdp_tx: 7\n     tx0_xdp_tx: 5\n     tx0_xdp_tx_drops: 1\n"
            "     tx2_xdp_tx: 200\n     tx2_xdp_tx_drops: 0\n     tx2_kicks: 3\n")
    assert report.parse_ethtool_xdp_tx(text) == (205, 1)
    with pytest.raises(ValueError, match="no txN_xdp_tx"):
        report.parse_ethtool_xdp_tx("NIC statistics:\n     rx_queue_0_xdp_drops: 1\n")


KALLSYMS = """\
ffffffff81000000 T _stext
ffffffff81000100 t veth_xdp_rcv_one\t[veth]
ffffffff81000200 D some_data
ffffffff81000300 T bq_xmit_all
ffffffffa0000000 t bpf_prog_0123456789abcdef_xdp_drop\t[bpf]
"""


def test_parse_kallsyms_keeps_code_sorted_without_module_suffix() -> None:
    assert report.parse_kallsyms(KALLSYMS) == [
        (0xFFFFFFFF81000000, "_stext"), (0xFFFFFFFF81000100, "veth_xdp_rcv_one"),
        (0xFFFFFFFF81000300, "bq_xmit_all"),
        (0xFFFFFFFFA0000000, "bpf_prog_0123456789abcdef_xdp_drop")]


def test_per_function_attributes_block_deltas_to_the_symbol_below() -> None:
    syms = report.parse_kallsyms(KALLSYMS)
    before = report.parse_tb_snapshot("ffffffff81000110 100\nffffffff81000300 7\n")
    after = report.parse_tb_snapshot(
        "ffffffff81000110 160\nffffffff81000180 40\nffffffff81000300 7\n"
        "ffffffff81000250 5\n401000 3\nffffffffa0000010 9\n")
    # 0x...250 is past the data symbol but below bq_xmit_all: the code
    # symbol before it (data symbols are not kept) takes it.
    assert report.per_function(before, after, syms) == {
        "veth_xdp_rcv_one": 105, "[user space]": 3,
        "bpf_prog_0123456789abcdef_xdp_drop": 9}


def test_format_profile_per_frame_largest_difference_first() -> None:
    base = {"veth_xdp_rcv_one": 2000, "bq_xmit_all": 1000, "kfree": 500,
            "bpf_prog_0123456789abcdef_xdp_drop": 300}
    patched = {"veth_xdp_rcv_one": 2000, "bq_xmit_all": 1800, "kfree": 600,
               "bpf_prog_fedcba9876543210_xdp_drop": 300, "new_func": 100}
    patched2 = {**patched, "kfree": 700}  # state: differs between rounds
    text = report.format_profile("frames", ("base", "off"),
                                 [((base, 100), (patched, 100)), ((base, 100), (patched2, 100))],
                                 top=3)
    lines = text.splitlines()
    assert lines[0] == ("frames: instructions per frame, by function: base against off "
                        "(2 rounds; medians, then the difference in each round)")
    assert lines[2].split() == ["bq_xmit_all", "10.00", "18.00", "+8.00", "+8.00"]
    assert lines[3].split() == ["kfree", "5.00", "6.50", "+1.00", "+2.00"]
    assert lines[4].split() == ["new_func", "0.00", "1.00", "+1.00", "+1.00"]
    # the programs' tags differ between kernels: one row, no difference (not in the top 3)
    assert not any(line.startswith("bpf_prog") for line in lines)
    assert lines[5].split() == ["total", "38.00", "48.50", "+10.00", "+11.00"]


def test_format_profile_divides_by_each_runs_frames() -> None:
    text = report.format_profile("run", ("base", "off"), [(({"f": 100}, 10), ({"f": 100}, 20))])
    assert text.splitlines()[2].split() == ["f", "10.00", "5.00", "-5.00"]
