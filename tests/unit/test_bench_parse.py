"""scripts/bench-xdp-stats: argument handling, parsing and output, no boots."""

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
    assert bench.parse_objdump(OBJDUMP_RAW) == {"f": 2, "g": 7}


def test_parse_objdump_without_raw_bytes() -> None:
    counts = bench.parse_objdump(OBJDUMP_PLAIN)
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
    assert bench.parse_objdump(out) == {"f": 2}


def test_parse_bpftool_run_json_and_text() -> None:
    assert bench.parse_bpftool_run('{"retval":1,"duration":52}\n') == (1, 52)
    assert bench.parse_bpftool_run("Return value: 1, duration (average): 48ns\n") == (1, 48)
    assert bench.parse_bpftool_run("Return value: 2, duration: 7ns") == (2, 7)
    with pytest.raises(ValueError, match="not bpftool"):
        bench.parse_bpftool_run("Error: failed to run program")


GUEST_C = """\
guest kernel: 6.12.117
xdp-stats-bench: variant=c kernel=6.12.117-xdp patched=1
xdp-stats-bench: variant=c sample=0 duration_ns=55
noise from the guest
xdp-stats-bench: variant=c sample=1 duration_ns=54
xdp-stats-bench: variant=c counted=2100 expected=2100
"""


def test_parse_guest_output() -> None:
    rep = bench.parse_guest_output(GUEST_C)
    assert (rep.variant, rep.kernel, rep.patched) == ("c", "6.12.117-xdp", True)
    assert rep.samples == [55, 54]
    assert (rep.counted, rep.expected) == (2100, 2100)
    bench.check_report(rep)


def test_parse_guest_output_without_lines_fails() -> None:
    with pytest.raises(ValueError, match="no benchmark lines"):
        bench.parse_guest_output("Kernel panic\n")


@pytest.mark.parametrize(("text", "error"), [
    ("xdp-stats-bench: variant=a kernel=x patched=1\n"
     "xdp-stats-bench: variant=a sample=0 duration_ns=5\n", "unpatched"),
    ("xdp-stats-bench: variant=b kernel=x patched=0\n"
     "xdp-stats-bench: variant=b sample=0 duration_ns=5\n", "is patched"),
    ("xdp-stats-bench: variant=c kernel=x patched=1\n"
     "xdp-stats-bench: variant=c sample=0 duration_ns=5\n"
     "xdp-stats-bench: variant=c counted=9 expected=10\n", "9 drops counted, 10 expected"),
    ("xdp-stats-bench: variant=b kernel=x patched=1\n", "no samples"),
])
def test_check_report_rejects_wrong_kernel_or_counts(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        bench.check_report(bench.parse_guest_output(text))


def test_table_medians_and_ratios() -> None:
    reports = [
        bench.GuestReport("a", "6.12.117", False, [50, 52, 51]),
        bench.GuestReport("b", "6.12.117-xdp", True, [51, 50, 52]),
        bench.GuestReport("c", "6.12.117-xdp", True, [56, 55, 57]),
        bench.GuestReport("a", "6.12.117", False, [49, 50, 50]),
    ]
    rows = bench.summarize(reports)
    assert [r.variant for r in rows] == ["a", "b", "c"]
    assert rows[0].samples == [50, 52, 51, 49, 50, 50]
    assert rows[0].median == 50.0
    table = bench.format_table(rows, 1_000_000)
    lines = table.splitlines()
    assert lines[0] == ("XDP_DROP per frame, BPF_PROG_TEST_RUN on lo queue 0, "
                        "1000000 runs per sample")
    assert lines[1].split() == ["variant", "kernel", "n", "median", "ns", "min", "max", "vs",
                                "a"]
    assert lines[2].split() == ["a", "base,", "unpatched", "6.12.117", "6", "50.0", "49", "52",
                                "1.000"]
    assert lines[4].split()[-1] == "1.120"
    assert lines[-1] == "ratios: b/a = 1.020, c/a = 1.120"
    # The columns line up.
    assert len({len(line) for line in lines[1:5]}) <= 2


def test_table_without_base_has_no_ratios() -> None:
    table = bench.format_table(bench.summarize([bench.GuestReport("b", "k", True, [3])]), 10)
    assert "ratios" not in table
    assert table.splitlines()[-1].split()[-1] == "-"


def test_disasm_format() -> None:
    text = bench.format_disasm([("veth_xdp_rcv_one", "drivers/net/veth.o", 300, 309)],
                               {"xdp_stats_inc": 12})
    assert "veth_xdp_rcv_one     300      309     +9" in text
    assert "  xdp_stats_inc: 12" in text
    text = bench.format_disasm([("veth_xdp_rcv_one", "drivers/net/veth.o", None, 309)], {})
    assert "veth_xdp_rcv_one       -      309      -" in text
    assert "no xdp_stats_* function" in text


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, check=False)


def test_help() -> None:
    res = run("--help")
    assert res.returncode == 0
    assert "--base-image" in res.stdout
    assert "git clone --shared --branch xdptool/base" in res.stdout


def test_needs_a_base_kernel() -> None:
    res = run("--dry-run")
    assert res.returncode == 2
    assert "--base-image PATH or --base-tree DIR" in res.stderr


def test_rejects_zero_rounds() -> None:
    res = run("--dry-run", "--base-tree", "/b", "--rounds", "0")
    assert res.returncode == 2
    assert "--rounds must be at least 1" in res.stderr


def test_dry_run_interleaves_variants(tmp_path: Path) -> None:
    res = run("--dry-run", "--tree", str(tmp_path / "p"), "--base-image", "/b/bzImage",
              "--rounds", "2", "--runs", "2000000", "--samples", "3")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert len(lines) == 6
    variants = [line.split("--guest ")[1].split()[0] for line in lines]
    assert variants == ["a", "b", "c", "a", "b", "c"]
    assert all(f"--tree {tmp_path / 'p'}" in line for line in lines)
    assert "--kernel /b/bzImage --" in lines[0]
    assert "--kernel" not in lines[1] and "--kernel" not in lines[2]
    assert "scripts/bench-xdp-stats --guest b --runs 2000000 --samples 3 --obj " in lines[1]


def test_base_tree_gives_image_and_objects(tmp_path: Path) -> None:
    args = bench.parse_args(["--base-tree", str(tmp_path), "--tree", str(tmp_path)])
    assert bench.base_image(args) == tmp_path / "arch/x86/boot/bzImage"
    assert bench.base_tree(args) == tmp_path
    args = bench.parse_args(["--base-image", f"{tmp_path}/arch/x86/boot/bzImage"])
    assert bench.base_tree(args) == tmp_path.resolve()
    args = bench.parse_args(["--base-image", "/somewhere/vmlinuz"])
    assert bench.base_tree(args) is None
