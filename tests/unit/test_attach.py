"""xdptool.attach's choices and messages, and the attach/detach lines; no
kernel (tests/integration/test_attach_host.py attaches for real)."""

from __future__ import annotations

import pytest

from xdptool import attach, libxdp
from xdptool.commands import attach as attach_cmd
from xdptool.commands import detach as detach_cmd
from xdptool.errors import XdptoolError

PROGS = [libxdp.ObjProgram("tc_first", "tc", "sched_cls", 1),
         libxdp.ObjProgram("xdp_a", "xdp", "xdp", 2),
         libxdp.ObjProgram("xdp_b", "xdp.frags", "xdp", 3)]


def test_pick_defaults_to_the_first_xdp_program() -> None:
    assert attach._pick("o.o", PROGS, None).name == "xdp_a"
    assert attach._pick("o.o", PROGS, "xdp_b").name == "xdp_b"


@pytest.mark.parametrize(("progs", "name", "message"), [
    (PROGS[:1], None, '"o.o" has no XDP program (programs: tc_first (sched_cls))'),
    ([], None, '"o.o" has no XDP program (programs: none)'),
    (PROGS, "tc_first", '"tc_first" in "o.o" is a sched_cls program, not XDP (section "tc")'),
    (PROGS, "x", '"o.o" has no program "x" (programs: tc_first (sched_cls), xdp_a (xdp), '
                 "xdp_b (xdp))"),
])
def test_pick_refusals(progs: list[libxdp.ObjProgram], name: str | None, message: str) -> None:
    with pytest.raises(XdptoolError) as err:
        attach._pick("o.o", progs, name)
    assert str(err.value) == message


@pytest.mark.parametrize(("section", "frags"), [
    ("xdp.frags", True), ("xdp.frags/devmap", True), ("xdp", False), ("xdp_frags", False),
])
def test_takes_frags(section: str, frags: bool) -> None:
    assert attach.takes_frags(section) is frags


def test_reason_prefers_the_kernels_extack() -> None:
    log = ["libbpf: Kernel error message: veth: Peer MTU is too large to set XDP",
           "libxdp: Error attaching XDP program"]
    assert attach._reason(log) == "veth: Peer MTU is too large to set XDP"
    assert attach._reason(["libxdp: Couldn't find a BPF file"]) == "Couldn't find a BPF file"
    assert attach._reason([]) == ""


def test_attach_and_detach_lines() -> None:
    done = attach.Done("at0", "xdp_a", 7, "native", False,
                       libxdp.Attached([("old", 5)], "native", False))
    assert attach_cmd.text(done) == ('at0: "xdp_a" (id 7) attached in native mode, on its own '
                                     '(no libxdp dispatcher); replaced "old" (id 5)\n')
    done = attach.Done("at0", "xdp_a", 7, "generic", True)
    assert attach_cmd.text(done) == ('at0: "xdp_a" (id 7) attached in generic mode, through '
                                     "libxdp's dispatcher\n")
    gone = libxdp.Attached([("a", 1), ("b", 2)], "native", True)
    assert detach_cmd.text("at0", gone) == 'at0: detached "a" (id 1), "b" (id 2) (native mode)\n'
