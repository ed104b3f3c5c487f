"""What an XDP program in an object file needs from a device, before it is
loaded: the helpers and kfuncs its code calls (its own function and every
subprogram it calls), read from the ELF with pyelftools, and its section.

Before a load libbpf 1.1 shows neither the helper calls of subprograms
(they are appended at load time) nor kfunc names (a kfunc call carries no
id until libbpf resolves it against the kernel's BTF): the relocations in
the ELF say both. Callbacks (bpf_loop(), timers, for_each) are followed
too; a tail call's target is not known before run time.

  redirect   bpf_redirect() or bpf_redirect_map(): the device must act on
             XDP_REDIRECT (netdev xdp-features "redirect")
  timestamp, hash, vlan-tag
             the RX-metadata kfuncs (netdev xdp-rx-metadata-features)
  frags      section xdp.frags: the program takes multi-buffer frames. Not
             a need: on a device without rx-sg it runs on single-buffer
             frames, so this is reported, never refused.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

# struct bpf_insn: code, dst_reg:4 | src_reg:4, off, imm
_INSN = struct.Struct("<BBhi")
_BPF_CALL = 0x85  # BPF_JMP | BPF_CALL
_BPF_LD_IMM64 = 0x18  # BPF_LD | BPF_IMM | BPF_DW
_BPF_PSEUDO_CALL = 1
_SHF_EXECINSTR = 0x4
REDIRECT_HELPERS = {23: "bpf_redirect", 51: "bpf_redirect_map"}
RX_METADATA_KFUNCS = {"bpf_xdp_metadata_rx_timestamp": "timestamp",
                      "bpf_xdp_metadata_rx_hash": "hash",
                      "bpf_xdp_metadata_rx_vlan_tag": "vlan-tag"}


class ElfError(Exception):
    """The object file cannot be read as BPF ELF."""


@dataclass(frozen=True)
class Needs:
    xdp_features: tuple[str, ...]  # netdev xdp-features names, beyond basic
    rx_metadata: tuple[str, ...]  # netdev xdp-rx-metadata-features names
    frags: bool
    helpers: tuple[int, ...] = field(default=(), compare=False)
    kfuncs: tuple[str, ...] = field(default=(), compare=False)

    def missing(self, xdp_features: list[str] | None,
                rx_metadata: list[str] | None) -> list[str]:
        """What the device lacks of these needs, by name; [] when the
        device's features are unknown (a kernel without the netdev family)."""
        gone = []
        if xdp_features is not None:
            gone += [f for f in self.xdp_features if f not in xdp_features]
        if rx_metadata is not None:
            gone += [f"xdp-rx-metadata {m}" for m in self.rx_metadata if m not in rx_metadata]
        return gone


def calls(path: str, function: str) -> tuple[set[int], set[str]]:
    """The helper ids and extern (kfunc) names called by function of the
    object file at path, following calls into subprograms."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    from elftools.elf.relocation import RelocationSection
    from elftools.elf.sections import Symbol, SymbolTableSection

    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            if elf["e_machine"] != "EM_BPF":
                raise ElfError(f"not a BPF object ({elf['e_machine']})")
            symtab = elf.get_section_by_name(".symtab")
            if not isinstance(symtab, SymbolTableSection):
                raise ElfError("no symbol table")
            # Defined functions only (a kfunc extern is an undefined one)
            funcs = [s for s in symtab.iter_symbols()
                     if s["st_info"]["type"] == "STT_FUNC" and isinstance(s["st_shndx"], int)]
            relocs = {}
            for sec in elf.iter_sections():
                if (isinstance(sec, RelocationSection)
                        and elf.get_section(sec["sh_info"])["sh_flags"] & _SHF_EXECINSTR):
                    for rel in sec.iter_relocations():
                        relocs[sec["sh_info"], rel["r_offset"]] = symtab.get_symbol(
                            rel["r_info_sym"])
            code = {s["st_shndx"]: elf.get_section(s["st_shndx"]).data() for s in funcs}
    except (ELFError, OSError, struct.error) as err:
        raise ElfError(str(err)) from None

    def at(shndx: object, value: int) -> list[Symbol]:
        return [c for c in funcs if c["st_shndx"] == shndx and c["st_value"] == value]

    helpers: set[int] = set()
    externs: set[str] = set()
    todo = [s for s in funcs if s.name == function]
    seen = {function}
    while todo:
        sym = todo.pop()
        shndx, lo = sym["st_shndx"], sym["st_value"]
        for off in range(lo, lo + sym["st_size"], _INSN.size):
            op, regs, _, imm = _INSN.unpack_from(code[shndx], off)
            target = relocs.get((shndx, off))
            if op == _BPF_LD_IMM64 and target is not None:
                # A function's address (a callback: libbpf makes it a
                # BPF_PSEUDO_FUNC) is the symbol plus imm bytes; a map's
                # or a global's matches no function.
                callees = at(target["st_shndx"], target["st_value"] + imm)
            elif op != _BPF_CALL:
                continue
            elif target is None and regs >> 4 == 0:
                helpers.add(imm)
                continue
            elif target is not None and target["st_shndx"] == "SHN_UNDEF":
                externs.add(target.name)  # a kfunc: a __ksym extern
                continue
            elif target is None and regs >> 4 == _BPF_PSEUDO_CALL:  # within the section
                callees = at(shndx, off + (imm + 1) * _INSN.size)
            elif target is not None:  # into another section: libbpf's sym + imm + 1
                callees = at(target["st_shndx"], target["st_value"] + (imm + 1) * _INSN.size)
            else:
                callees = []
            for callee in callees:
                if callee.name not in seen:
                    seen.add(callee.name)
                    todo.append(callee)
    return helpers, externs


def program_needs(path: str, function: str, section: str) -> Needs:
    helpers, externs = calls(path, function)
    return Needs(
        xdp_features=("redirect",) if helpers & REDIRECT_HELPERS.keys() else (),
        rx_metadata=tuple(sorted(RX_METADATA_KFUNCS[k] for k in externs
                                 if k in RX_METADATA_KFUNCS)),
        frags=section == "xdp.frags",
        helpers=tuple(sorted(helpers)), kfuncs=tuple(sorted(externs)))
