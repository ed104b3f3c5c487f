"""xdptool.attach's choices and messages, and the attach/detach lines; no
kernel (tests/integration/test_attach_host.py attaches for real)."""

from __future__ import annotations

import pytest

from xdptool import attach, libxdp, netdev_source
from xdptool.commands import attach as attach_cmd
from xdptool.commands import detach as detach_cmd
from xdptool.errors import XdptoolError
from xdptool.prog_needs import Needs

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


@pytest.mark.parametrize(("section", "frags", "for_maps"), [
    ("xdp.frags", True, False), ("xdp", False, False), ("xdp_frags", False, False),
    ("xdp.frags/devmap", False, True), ("xdp/cpumap", False, True), ("xdp/devmap", False, True),
])
def test_frags_and_map_sections(section: str, frags: bool, for_maps: bool) -> None:
    assert attach.takes_frags(section) is frags
    assert attach.map_program(section) is for_maps


def test_map_programs_are_not_picked() -> None:
    progs = [libxdp.ObjProgram("for_map", "xdp/devmap", "xdp", 1), *PROGS[1:]]
    assert attach._pick("o.o", progs, None).name == "xdp_a"
    with pytest.raises(XdptoolError) as err:
        attach._pick("o.o", progs, "for_map")
    assert str(err.value) == ('"for_map" in "o.o" is an XDP program for devmap entries, not '
                              'for a device (section "xdp/devmap")')


def test_reason_prefers_the_kernels_extack() -> None:
    log = ["libbpf: Kernel error message: veth: Peer MTU is too large to set XDP",
           "libxdp: Error attaching XDP program"]
    assert attach._reason(log) == "veth: Peer MTU is too large to set XDP"
    assert attach._reason(["libxdp: Couldn't find a BPF file"]) == "Couldn't find a BPF file"
    assert attach._reason([]) == ""
    verifier = ["libbpf: prog 'p': BPF program load failed: Permission denied",
                "libbpf: prog 'p': -- BEGIN PROG LOAD LOG --", "0: R1=ctx() R10=fp0",
                "R1 offset is outside of the packet",
                "processed 2 insns (limit 1000000) max_states_per_insn 0",
                "-- END PROG LOAD LOG --", "libbpf: failed to load object 'o.o'"]
    assert attach._reason(verifier) == "the verifier refused it: R1 offset is outside of the packet"


@pytest.mark.parametrize(("err", "log", "force", "message"), [
    (95, [], False, "d0: its driver has no native XDP; to run the program in generic (skb) "
                    "mode, slower, ask for it: --mode generic"),
    (95, ["libbpf: Kernel error message: Underlying driver does not support XDP in native mode"],
     False, "d0: its driver has no native XDP; to run the program in generic (skb) mode, "
            "slower, ask for it: --mode generic"),
    (95, ["libbpf: Kernel error message: virtio_net: Can't set XDP while host is implementing "
          "GRO_HW/CSUM, disable GRO_HW/CSUM first"], False,
     'attaching "p" to d0 in native mode failed: Operation not supported (virtio_net: Can\'t '
     "set XDP while host is implementing GRO_HW/CSUM, disable GRO_HW/CSUM first)"),
    (16, [], False, "d0 already runs an XDP program that libxdp cannot add to (attached "
                    "without its dispatcher): xdptool detach d0, or --force to replace it"),
    (16, ["libxdp: Existing program is not using a dispatcher"], True,
     'attaching "p" to d0 in native mode failed: Device or resource busy (Existing program is '
     "not using a dispatcher)"),
])
def test_refusals(err: int, log: list[str], force: bool, message: str) -> None:
    assert str(attach._refusal("d0", "native", err, log, "p", force)) == message


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


def fake_features(monkeypatch: pytest.MonkeyPatch, xdp: list[str] | None,
                  meta: list[str] | None = None, family: bool = True) -> None:
    feats = netdev_source.NetdevFeatures(7, xdp, None, meta, None)
    monkeypatch.setattr(netdev_source, "dump_features", lambda: {7: feats} if family else None)


REDIRECT = Needs(("redirect",), (), False)
HASH = Needs((), ("hash", "timestamp"), False)


def test_missing_features_are_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_features(monkeypatch, ["basic"], ["timestamp"])
    with pytest.raises(XdptoolError) as err:
        attach.check_needs("d0", 7, "prog", REDIRECT, False)
    assert str(err.value) == 'd0 lacks what "prog" needs: redirect (--force attaches it anyway)'
    with pytest.raises(XdptoolError) as err:
        attach.check_needs("d0", 7, "prog", HASH, False)
    assert str(err.value) == ('d0 lacks what "prog" needs: xdp-rx-metadata hash '
                              "(--force attaches it anyway)")


def test_force_attaches_and_notes_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_features(monkeypatch, ["basic"])
    assert attach.check_needs("d0", 7, "prog", REDIRECT, True) == (
        "it needs redirect, which d0 lacks (--force)",)


def test_no_basic_is_no_native_xdp_unless_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_features(monkeypatch, [])
    with pytest.raises(XdptoolError) as err:
        attach.check_needs("lo", 7, "prog", Needs((), (), False), False)
    assert str(err.value).startswith("lo: its driver has no native XDP;")
    assert attach.check_needs("lo", 7, "prog", Needs((), (), False), True) == (
        "lo does not report native XDP (the kernel decides)",)


def test_frags_is_a_note_not_a_need(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_features(monkeypatch, ["basic", "redirect"])
    assert attach.check_needs("d0", 7, "p", Needs((), (), True), False) == (
        "d0 has no rx-sg: the program sees single-buffer frames only",)
    fake_features(monkeypatch, ["basic", "rx-sg"])
    assert attach.check_needs("d0", 7, "p", Needs((), (), True), False) == ()


def test_unknown_features_check_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_features(monkeypatch, None, family=False)
    assert attach.check_needs("d0", 7, "prog", REDIRECT, False) == ()


def test_notes_follow_the_attach_line() -> None:
    done = attach.Done("d0", "p", 7, "native", False, None, ("it needs redirect, which d0 "
                                                            "lacks (--force)",))
    assert attach_cmd.text(done).splitlines() == [
        'd0: "p" (id 7) attached in native mode, on its own (no libxdp dispatcher)',
        "note: it needs redirect, which d0 lacks (--force)"]
