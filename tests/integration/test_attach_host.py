"""`xdptool attach` and `detach` against the running kernel (no series
needed), in a throwaway netns with a veth pair: what `ip -j link` and
Debian's `xdp-loader status` then show, the refusal without native XDP,
a kernel refusal quoted from its extack, programs attached by xdp-loader,
and bad input: one line, exit 1, nothing attached.

On these machines libxdp cannot build its dispatcher (loading its
freplace programs is refused), so both tools attach one program on its
own, and each refuses to add to the other's; the tests assert what this
machine does, and say so in their names.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from xdptool.prog_needs import Needs, program_needs

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout, installed or not
BPF_SRC = Path(__file__).parent / "bpf" / "attach_progs.c"
NEEDS_SRC = Path(__file__).parent / "bpf" / "needs_progs.c"
PROGRAMS = ("xdp_pass_first (xdp), xdp_drop_second (xdp), xdp_frags_pass (xdp), "
            "tc_other (sched_cls)")


def sh(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def obj(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("bpf") / "attach_progs.o"
    sh("clang", "-O2", "-g", "-target", "bpf", "-c", str(BPF_SRC), "-o", str(path))
    return str(path)


@pytest.fixture(scope="module")
def needs_obj(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("bpf") / "needs_progs.o"
    sh("clang", "-O2", "-g", "-target", "bpf", "-idirafter", "/usr/include/x86_64-linux-gnu",
       "-c", str(NEEDS_SRC), "-o", str(path))
    return str(path)


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"xdpat-{uuid.uuid4().hex[:8]}"
    sh("ip", "netns", "add", name)
    try:
        sh("ip", "-n", name, "link", "add", "at0", "type", "veth", "peer", "name", "at1")
        for dev in ("lo", "at0", "at1"):
            sh("ip", "-n", name, "link", "set", "dev", dev, "up")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def xdptool(ns: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xdptool", "--netns", ns, *args],
                          capture_output=True, text=True, env=ENV, cwd=REPO, check=False)


def ip_xdp(ns: str, dev: str) -> dict[str, object] | None:
    """The xdp key of `ip -j link show`: mode (1 native, 2 generic) and prog."""
    return json.loads(sh("ip", "-n", ns, "-j", "link", "show", "dev", dev))[0].get("xdp")


def attached_prog(ns: str, dev: str) -> tuple[int, str, int]:
    """(mode, program name, id) of what `ip -j link` shows attached to dev."""
    xdp = ip_xdp(ns, dev)
    assert isinstance(xdp, dict) and isinstance(xdp["prog"], dict), xdp
    mode, prog = xdp["mode"], xdp["prog"]
    assert isinstance(mode, int)
    return mode, prog["name"], prog["id"]


def loader_status(ns: str, dev: str) -> str:
    """xdp-loader's status line for dev (it has no JSON)."""
    out = sh("ip", "netns", "exec", ns, "xdp-loader", "status", dev)
    return next(line for line in out.splitlines() if line.startswith(dev))


def one_line_error(res: subprocess.CompletedProcess[str], message: str) -> None:
    assert res.returncode == 1, res.stderr
    assert res.stdout == ""
    assert res.stderr == f"xdptool: {message}\n"


def test_native_by_default_then_detach(netns: str, obj: str) -> None:
    res = xdptool(netns, "attach", "at0", obj)
    assert res.returncode == 0, res.stderr
    mode, name, prog_id = attached_prog(netns, "at0")
    assert (mode, name) == (1, "xdp_pass_first")
    assert res.stdout == (f'at0: "xdp_pass_first" (id {prog_id}) attached in native mode, '
                          "on its own (no libxdp dispatcher)\n")
    assert re.fullmatch(rf"at0\s+xdp_pass_first\s+native\s+{prog_id}\s+\w+\s*",
                        loader_status(netns, "at0"))
    res = xdptool(netns, "detach", "at0")
    assert res.returncode == 0, res.stderr
    assert res.stdout == f'at0: detached "xdp_pass_first" (id {prog_id}) (native mode)\n'
    assert ip_xdp(netns, "at0") is None
    assert "<No XDP program loaded!>" in loader_status(netns, "at0")


def test_program_by_name_in_generic_mode(netns: str, obj: str) -> None:
    res = xdptool(netns, "attach", "at0", obj, "--program", "xdp_drop_second",
                  "--mode", "generic")
    assert res.returncode == 0, res.stderr
    assert attached_prog(netns, "at0")[:2] == (2, "xdp_drop_second")
    assert "attached in generic mode" in res.stdout


def test_no_silent_fallback_to_generic(netns: str, obj: str) -> None:
    """lo has no native XDP: refused, with how to ask for generic."""
    one_line_error(xdptool(netns, "attach", "lo", obj),
                   "lo: its driver has no native XDP; to run the program in generic (skb) "
                   "mode, slower, ask for it: --mode generic")
    assert ip_xdp(netns, "lo") is None
    res = xdptool(netns, "attach", "lo", obj, "--mode", "generic")
    assert res.returncode == 0, res.stderr
    xdp = ip_xdp(netns, "lo")
    assert xdp is not None and xdp["mode"] == 2


def test_kernel_refusal_quotes_the_extack(netns: str, obj: str) -> None:
    """veth refuses a program without frags support above a page's MTU;
    an xdp.frags program attaches."""
    sh("ip", "-n", netns, "link", "set", "dev", "at1", "mtu", "9000")
    sh("ip", "-n", netns, "link", "set", "dev", "at0", "mtu", "9000")
    one_line_error(xdptool(netns, "attach", "at0", obj),
                   'attaching "xdp_pass_first" to at0 in native mode failed: Numerical result '
                   "out of range (veth: Peer MTU is too large to set XDP)")
    assert ip_xdp(netns, "at0") is None
    res = xdptool(netns, "attach", "at0", obj, "--program", "xdp_frags_pass")
    assert res.returncode == 0, res.stderr
    assert attached_prog(netns, "at0")[:2] == (1, "xdp_frags_pass")


def test_a_program_attached_by_xdp_loader_without_dispatcher(netns: str, obj: str) -> None:
    """Refused without --force, replaced with it; detach removes it."""
    sh("ip", "netns", "exec", netns, "xdp-loader", "load", "-m", "native", "at0", obj,
       "-n", "xdp_drop_second")
    theirs = ip_xdp(netns, "at0")
    assert isinstance(theirs, dict) and isinstance(theirs["prog"], dict)
    one_line_error(xdptool(netns, "attach", "at0", obj),
                   "at0 already runs an XDP program that libxdp cannot add to (attached "
                   "without its dispatcher): xdptool detach at0, or --force to replace it")
    assert ip_xdp(netns, "at0") == theirs
    res = xdptool(netns, "attach", "at0", obj, "--force")
    assert res.returncode == 0, res.stderr
    ours = ip_xdp(netns, "at0")
    assert isinstance(ours, dict) and isinstance(ours["prog"], dict)
    assert res.stdout.endswith(f'; replaced "xdp_drop_second" (id {theirs["prog"]["id"]})\n')
    assert ours["prog"]["name"] == "xdp_pass_first"
    # and the other way round: xdp-loader cannot add to ours either
    loader = subprocess.run(["ip", "netns", "exec", netns, "xdp-loader", "load", "-m", "native",
                             "at0", obj], capture_output=True, text=True, check=False)
    assert loader.returncode != 0
    assert ip_xdp(netns, "at0") == ours
    assert xdptool(netns, "detach", "at0").returncode == 0
    assert ip_xdp(netns, "at0") is None


@pytest.mark.parametrize(("args", "message"), [
    (["at0", "{dir}/missing.o"], '"{dir}/missing.o": no such file'),
    (["at0", "{dir}"], '"{dir}" is a directory, not a BPF object file'),
    (["at0", "{dir}/not-bpf.o"],
     "\"{dir}/not-bpf.o\" is not a BPF object file libbpf can open (elf: "
     "'{dir}/not-bpf.o' is not a proper ELF object)"),
    (["at0", "{obj}", "--program", "tc_other"],
     '"tc_other" in "{obj}" is a sched_cls program, not XDP (section "tc")'),
    (["at0", "{obj}", "--program", "nosuch"],
     '"{obj}" has no program "nosuch" (programs: ' + PROGRAMS + ")"),
    (["gone0", "{obj}"], 'no such device: "gone0"'),
])
def test_bad_input_is_one_line_and_attaches_nothing(
        netns: str, obj: str, tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "not-bpf.o").write_text("not an ELF file\n")
    fill = {"dir": str(tmp_path), "obj": obj}
    one_line_error(xdptool(netns, "attach", *(a.format(**fill) for a in args)),
                   message.format(**fill))
    assert ip_xdp(netns, "at0") is None


def test_detach_without_a_program_is_one_line(netns: str) -> None:
    one_line_error(xdptool(netns, "detach", "at0"), "at0 has no XDP program attached")
    one_line_error(xdptool(netns, "detach", "gone0"), 'no such device: "gone0"')


@pytest.mark.parametrize(("program", "section", "needs"), [
    ("xdp_via_subprog", "xdp", Needs(("redirect",), (), False, (51,), ())),
    ("xdp_redirect_direct", "xdp", Needs(("redirect",), (), False, (23,), ())),
    ("xdp_hash", "xdp", Needs((), ("hash",), False, (), ("bpf_xdp_metadata_rx_hash",))),
    ("xdp_plain_frags", "xdp.frags", Needs((), (), True, (), ())),
    ("xdp_via_callback", "xdp", Needs(("redirect",), (), False, (51, 181), ())),
])
def test_needs_read_from_the_elf(needs_obj: str, program: str, section: str,
                                 needs: Needs) -> None:
    """Helpers of subprograms and kfunc names, which libbpf does not show
    before a load, come from the relocations."""
    got = program_needs(needs_obj, program, section)
    assert (got, got.helpers, got.kfuncs) == (needs, needs.helpers, needs.kfuncs)


def test_a_redirecting_program_attaches_where_redirect_is_supported(
        netns: str, needs_obj: str) -> None:
    res = xdptool(netns, "attach", "at0", needs_obj, "--program", "xdp_via_subprog")
    assert res.returncode == 0, res.stderr
    assert attached_prog(netns, "at0")[:2] == (1, "xdp_via_subprog")


def test_rx_metadata_programs_are_refused_before_loading(netns: str, needs_obj: str) -> None:
    one_line_error(xdptool(netns, "attach", "at0", needs_obj, "--program", "xdp_hash"),
                   '"xdp_hash" calls RX-metadata kfuncs (bpf_xdp_metadata_rx_hash): they need '
                   "a load bound to the device, which libxdp 1.3 cannot do (not supported yet)")
    assert ip_xdp(netns, "at0") is None


def test_features_program_gives_a_verdict_per_device(netns: str, needs_obj: str) -> None:
    res = xdptool(netns, "features", "--program", needs_obj, "--name", "xdp_via_subprog",
                  "--json", "lo", "at0")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["program"] == "xdp_via_subprog"
    assert doc["needs"]["xdp-features"] == ["redirect"] and doc["needs"]["helpers"] == [51]
    assert [(d["ifname"], d["verdict"], d["missing"]) for d in doc["devices"]] == [
        ("lo", "no", ["native XDP"]), ("at0", "yes", [])]
    res = xdptool(netns, "features", "--program", needs_obj, "at0")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0] == (
        f'"xdp_via_subprog" in "{needs_obj}" needs: native XDP, redirect')
    one_line_error(xdptool(netns, "features", "--program", needs_obj, "--name", "nosuch"),
                   f'"{needs_obj}" has no program "nosuch" (programs: xdp_via_subprog (xdp), '
                   "xdp_redirect_direct (xdp), xdp_hash (xdp), xdp_via_callback (xdp), "
                   "xdp_refused (xdp), xdp_plain_frags (xdp), xdp_for_devmap (xdp))")


def test_without_capabilities_is_one_line_and_changes_nothing(netns: str, obj: str) -> None:
    assert xdptool(netns, "attach", "at0", obj).returncode == 0
    before = ip_xdp(netns, "at0")
    drop = ["ip", "netns", "exec", netns, "setpriv", "--bounding-set", "-all", "--inh-caps",
            "-all", "env", f"PYTHONPATH={REPO}", sys.executable, "-m", "xdptool"]

    def unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*drop, *args], capture_output=True, text=True, cwd=REPO,
                              check=False)

    one_line_error(unprivileged("detach", "at0"), "permission denied: detaching XDP from at0 "
                   "needs CAP_SYS_ADMIN (to read its programs)")
    one_line_error(unprivileged("attach", "at1", obj), "permission denied: attaching XDP "
                   "programs needs CAP_NET_ADMIN and CAP_BPF (or CAP_SYS_ADMIN)")
    assert ip_xdp(netns, "at0") == before and ip_xdp(netns, "at1") is None


def test_a_refused_replacement_puts_the_old_program_back(netns: str, obj: str,
                                                        needs_obj: str) -> None:
    """--force detaches xdp-loader's program to attach ours; when the
    verifier refuses ours, theirs is attached again, and the error says so."""
    sh("ip", "netns", "exec", netns, "xdp-loader", "load", "-m", "native", "at0", obj,
       "-n", "xdp_drop_second")
    mode, name, prog_id = attached_prog(netns, "at0")
    one_line_error(
        xdptool(netns, "attach", "at0", needs_obj, "--program", "xdp_refused", "--force"),
        'attaching "xdp_refused" to at0 in native mode failed: Permission denied (the '
        "verifier refused it: R1 offset is outside of the packet); "
        f'"xdp_drop_second" (id {prog_id}) is attached again')
    assert attached_prog(netns, "at0") == (mode, name, prog_id)


def test_a_devmap_program_is_not_attached_to_a_device(netns: str, needs_obj: str) -> None:
    one_line_error(xdptool(netns, "attach", "at0", needs_obj, "--program", "xdp_for_devmap"),
                   f'"xdp_for_devmap" in "{needs_obj}" is an XDP program for devmap entries, '
                   'not for a device (section "xdp/devmap")')
    assert ip_xdp(netns, "at0") is None
