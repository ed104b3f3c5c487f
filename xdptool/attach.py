"""Attaching an XDP program from an object file, and detaching, through
libxdp (xdptool.libxdp): native mode unless asked otherwise, never a
silent fallback to generic (skb) XDP, and every refusal one line that
says what to do.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass

from xdptool import libxdp, links, netdev_source
from xdptool.errors import NoSuchDeviceError, PermissionDeniedError, XdptoolError
from xdptool.libbpf import LibbpfError
from xdptool.names import quoted, shown
from xdptool.prog_needs import ElfError, Needs, program_needs


def takes_frags(section: str) -> bool:
    """libbpf's section name for device XDP programs that take multi-buffer
    frames (libbpf sets BPF_F_XDP_HAS_FRAGS only when it loads them, and
    libxdp must know it to build its dispatcher alike)."""
    return section == "xdp.frags"


def map_program(section: str) -> bool:
    """Sections of XDP programs for devmap and cpumap entries: libbpf says
    type xdp, but the kernel attaches them to map entries, not devices."""
    return section.split("/", 1)[-1] in ("devmap", "cpumap") and "/" in section


@dataclass(frozen=True)
class Done:
    ifname: str
    program: str
    prog_id: int
    mode: str
    dispatcher: bool
    replaced: libxdp.Attached | None = None
    notes: tuple[str, ...] = ()


def _pick(path: str, progs: list[libxdp.ObjProgram], name: str | None) -> libxdp.ObjProgram:
    xdp = [p for p in progs if p.type == "xdp" and not map_program(p.section)]
    listed = ", ".join(f"{p.name} ({p.type})" for p in progs) or "none"
    if name is None:
        if not xdp:
            raise XdptoolError(f"{quoted(path)} has no XDP program (programs: {listed})")
        return xdp[0]
    for prog in progs:
        if prog.name == name:
            if prog.type != "xdp":
                raise XdptoolError(f"{quoted(name)} in {quoted(path)} is a {prog.type} "
                                   f"program, not XDP (section {quoted(prog.section)})")
            if map_program(prog.section):
                raise XdptoolError(f"{quoted(name)} in {quoted(path)} is an XDP program for "
                                   f"{prog.section.split('/')[-1]} entries, not for a device "
                                   f"(section {quoted(prog.section)})")
            return prog
    raise XdptoolError(f"{quoted(path)} has no program {quoted(name)} (programs: {listed})")


def _open(path: str) -> tuple[int, list[libxdp.ObjProgram]]:
    if not os.path.exists(path):
        raise XdptoolError(f"{quoted(path)}: no such file")
    if os.path.isdir(path):
        raise XdptoolError(f"{quoted(path)} is a directory, not a BPF object file")
    with libxdp.captured() as log:
        try:
            return libxdp.open_object(path)
        except LibbpfError as err:
            why = _reason(log) or err.strerror
            if err.errno in (errno.EACCES, errno.EPERM):
                raise XdptoolError(f"{quoted(path)}: permission denied") from None
            raise XdptoolError(f"{quoted(path)} is not a BPF object file libbpf can open "
                               f"({why})") from None


def _reason(log: list[str]) -> str:
    """The kernel's extack if libbpf quoted it; the verifier's last word if
    it refused the program; else libbpf's or libxdp's last line."""
    for line in log:
        if "Kernel error message:" in line:
            return line.split("Kernel error message:", 1)[1].strip()
    begins = [i for i, line in enumerate(log) if "-- BEGIN PROG LOAD LOG --" in line]
    if begins:  # the verifier's log: its last word before its statistics
        verifier = log[begins[-1] + 1:]
        for i, line in enumerate(verifier):
            if line.startswith("processed ") and i:
                return f"the verifier refused it: {verifier[i - 1].strip()}"
    return log[-1].removeprefix("libbpf: ").removeprefix("libxdp: ").strip() if log else ""


def _refusal(ifname: str, mode: str, err: int, log: list[str], program: str,
             force: bool = False) -> XdptoolError:
    why = _reason(log)
    dev = shown(ifname)
    if err == errno.EOPNOTSUPP and mode == "native" and (not why or "native mode" in why):
        return no_native_xdp(ifname)
    if err == errno.EOPNOTSUPP and mode == "offload":
        return XdptoolError(f"{dev}: the device cannot offload XDP programs"
                            + (f" ({why})" if why else ""))
    if err == errno.EBUSY and not force:
        return XdptoolError(f"{dev} already runs an XDP program that libxdp cannot add to "
                            f"(attached without its dispatcher): xdptool detach {dev}, "
                            "or --force to replace it")
    if err == errno.ENODEV:
        return NoSuchDeviceError(ifname)
    if err == errno.EPERM:
        return XdptoolError("permission denied: attaching XDP programs needs CAP_NET_ADMIN "
                            "and CAP_BPF (or CAP_SYS_ADMIN)")
    return XdptoolError(f"attaching {quoted(program)} to {dev} in {mode} mode failed: "
                        f"{os.strerror(err)}" + (f" ({why})" if why else ""))


def no_native_xdp(ifname: str) -> XdptoolError:
    return XdptoolError(f"{shown(ifname)}: its driver has no native XDP; to run the program "
                        "in generic (skb) mode, slower, ask for it: --mode generic")


def check_needs(ifname: str, ifindex: int, prog: str, needs: Needs,
                force: bool) -> tuple[str, ...]:
    """Refuse (unless force) a native attach of a program that needs what
    the device lacks, by the netdev family's feature bits; the notes to
    print. A kernel without the family answers nothing: no check."""
    features = (netdev_source.dump_features() or {}).get(ifindex)
    if features is None:
        return ()
    if features.xdp_features is not None and "basic" not in features.xdp_features:
        if not force:
            raise no_native_xdp(ifname)
        return (f"{shown(ifname)} does not report native XDP (the kernel decides)",)
    missing = needs.missing(features.xdp_features, features.xdp_rx_metadata_features)
    if missing and not force:
        raise XdptoolError(f"{shown(ifname)} lacks what {quoted(prog)} needs: "
                           f"{', '.join(missing)} (--force attaches it anyway)")
    notes = [f"it needs {', '.join(missing)}, which {shown(ifname)} lacks (--force)"] \
        if missing else []
    if needs.frags and "rx-sg" not in (features.xdp_features or []):
        notes.append(f"{shown(ifname)} has no rx-sg: the program sees single-buffer "
                     "frames only")
    return tuple(notes)


def _needs(path: str, prog: libxdp.ObjProgram) -> Needs:
    try:
        return program_needs(path, prog.name, prog.section)
    except ElfError as err:
        raise XdptoolError(f"{quoted(path)}: cannot read its code ({err})") from None


def read_program(path: str, program: str | None = None) -> tuple[str, Needs]:
    """The name of program (the object's first XDP program by default) in
    the object file path, and what it needs; nothing is loaded."""
    obj, progs = _open(path)
    try:
        prog = _pick(path, progs, program)
        return prog.name, _needs(path, prog)
    finally:
        libxdp.close_object(obj)


def attach(ifname: str, path: str, program: str | None = None, mode: str = "native",
           force: bool = False) -> Done:
    """Attach program (the object's first XDP program by default) from the
    object file path to ifname, in mode. In native mode the program's needs
    (redirect, RX-metadata kfuncs) are checked against the device first."""
    ifindex = links.ifindex_of(ifname)
    obj, progs = _open(path)
    try:
        prog = _pick(path, progs, program)
        needs = _needs(path, prog)
        if needs.rx_metadata:
            raise XdptoolError(f"{quoted(prog.name)} calls RX-metadata kfuncs "
                               f"({', '.join(needs.kfuncs)}): they need a load bound to the "
                               "device, which libxdp 1.3 cannot do (not supported yet)")
        notes = check_needs(ifname, ifindex, prog.name, needs, force) if mode == "native" \
            else ()
        replaced = _attached(ifname, ifindex, "replacing a program (--force)") if force else None
        if replaced and replaced.dispatcher:
            replaced = None  # libxdp adds to a dispatcher: nothing to replace
        if replaced:
            with libxdp.captured() as log:
                err = -libxdp.detach(ifindex)
            if err:
                raise _refusal(ifname, mode, err, log, prog.name, force)
        with libxdp.captured() as log:
            ret = libxdp.attach(obj, prog, ifindex, mode, takes_frags(prog.section))
        if ret < 0:
            raise _put_back(ifname, ifindex, replaced,
                            _refusal(ifname, mode, -ret, log, prog.name, force))
    finally:
        libxdp.close_object(obj)
    now = _attached(ifname, ifindex, "reading what was attached")
    return Done(ifname, prog.name, ret, now.mode if now else mode,
                bool(now and now.dispatcher), replaced, notes)


def _put_back(ifname: str, ifindex: int, replaced: libxdp.Attached | None,
              err: XdptoolError) -> XdptoolError:
    """After a failed --force: the program that was replaced, attached again."""
    if replaced is None:
        return err
    name, prog_id = replaced.programs[0]
    if libxdp.reattach(ifindex, prog_id, replaced.mode) < 0:
        return XdptoolError(f"{err}; and {quoted(name)} (id {prog_id}), detached to replace "
                            f"it, could not be put back: {shown(ifname)} has no XDP program")
    return XdptoolError(f"{err}; {quoted(name)} (id {prog_id}) is attached again")


def _attached(ifname: str, ifindex: int, what: str) -> libxdp.Attached | None:
    try:
        return libxdp.attached(ifindex)
    except LibbpfError as err:
        if err.errno in (errno.EPERM, errno.EACCES):
            raise PermissionDeniedError(what, "CAP_SYS_ADMIN (to read its programs)") from None
        raise XdptoolError(f"reading the XDP programs of {shown(ifname)}: "
                           f"{err.strerror}") from None


def detach(ifname: str) -> libxdp.Attached:
    """Detach every XDP program from ifname; what was there."""
    ifindex = links.ifindex_of(ifname)
    there = _attached(ifname, ifindex, f"detaching XDP from {shown(ifname)}")
    if there is None:
        raise XdptoolError(f"{shown(ifname)} has no XDP program attached")
    with libxdp.captured() as log:
        err = -libxdp.detach(ifindex)
    if err == errno.ENODEV:
        raise NoSuchDeviceError(ifname)
    if err:
        why = _reason(log)
        raise XdptoolError(f"detaching XDP from {shown(ifname)} failed: {os.strerror(err)}"
                           + (f" ({why})" if why else ""))
    return there
