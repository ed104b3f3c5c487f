#!/usr/bin/env python3
"""What libbpf 1.1 (Debian 12's libbpf1, via ctypes) shows of an XDP object
file before loading it, and what pyelftools adds; optionally what the
instructions look like after a (device-bound) load.

usage: inspect_obj.py OBJ [--load-on IFNAME]   (load needs root)
"""
import ctypes
import ctypes.util
import os
import struct
import sys

sys.path.insert(0, "/tmp/attach-research/ex/usr/lib/python3/dist-packages")  # pyelftools 0.29 (Debian deb, unpacked)

BPF_JMP, BPF_CALL = 0x05, 0x80
BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL = 1, 2
BPF_F_XDP_HAS_FRAGS = 1 << 5
BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6  # 6.3+; absent from Debian 12's <linux/bpf.h>
HELPERS = {23: "bpf_redirect", 51: "bpf_redirect_map"}
INSN = struct.Struct("<BBhi")


class BtfType(ctypes.Structure):
    _fields_ = (("name_off", ctypes.c_uint32), ("info", ctypes.c_uint32),
                ("size_or_type", ctypes.c_uint32))


lib = ctypes.CDLL(ctypes.util.find_library("bpf") or "libbpf.so.1", use_errno=True)
P = ctypes.c_void_p
for name, res, args in (
        ("bpf_object__open_file", P, (ctypes.c_char_p, P)),
        ("bpf_object__next_program", P, (P, P)),
        ("bpf_object__load", ctypes.c_int, (P,)),
        ("bpf_object__close", None, (P,)),
        ("bpf_object__btf", P, (P,)),
        ("bpf_program__name", ctypes.c_char_p, (P,)),
        ("bpf_program__section_name", ctypes.c_char_p, (P,)),
        ("bpf_program__insns", P, (P,)),
        ("bpf_program__insn_cnt", ctypes.c_size_t, (P,)),
        ("bpf_program__flags", ctypes.c_uint32, (P,)),
        ("bpf_program__set_flags", ctypes.c_int, (P, ctypes.c_uint32)),
        ("bpf_program__set_ifindex", None, (P, ctypes.c_uint32)),
        ("bpf_program__set_autoload", ctypes.c_int, (P, ctypes.c_bool)),
        ("bpf_program__type", ctypes.c_int, (P,)),
        ("bpf_program__expected_attach_type", ctypes.c_int, (P,)),
        ("bpf_program__fd", ctypes.c_int, (P,)),
        ("btf__type_cnt", ctypes.c_uint32, (P,)),
        ("btf__type_by_id", ctypes.POINTER(BtfType), (P, ctypes.c_uint32)),
        ("btf__name_by_offset", ctypes.c_char_p, (P, ctypes.c_uint32)),
        ("btf__load_vmlinux_btf", P, ()),
        ("btf__free", None, (P,)),
        ("btf__parse_elf", P, (ctypes.c_char_p, P))):
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = res, args


def programs(obj):
    prog = None
    while True:
        prog = lib.bpf_object__next_program(obj, prog)
        if not prog:
            return
        yield prog


def insns(prog):
    n = lib.bpf_program__insn_cnt(prog)
    raw = ctypes.string_at(lib.bpf_program__insns(prog), n * INSN.size)
    return [INSN.unpack_from(raw, i * INSN.size) for i in range(n)]


def calls(prog):
    out = []
    for idx, (code, regs, off, imm) in enumerate(insns(prog)):
        if code == BPF_JMP | BPF_CALL:
            src = regs >> 4
            out.append((idx, src, off, imm))
    return out


def describe_calls(prog, vmlinux=None):
    for idx, src, off, imm in calls(prog):
        if src == 0:
            what = f"helper {imm} ({HELPERS.get(imm, '?')})"
        elif src == BPF_PSEUDO_CALL:
            what = f"pseudo call imm={imm} (bpf-to-bpf call or unresolved extern)"
        elif src == BPF_PSEUDO_KFUNC_CALL:
            name = "?"
            if vmlinux and off == 0:
                t = lib.btf__type_by_id(vmlinux, imm)
                name = lib.btf__name_by_offset(vmlinux, t.contents.name_off).decode()
            what = f"kfunc call btf_id={imm} off={off} -> {name}"
        else:
            what = f"src_reg={src} imm={imm}"
        print(f"      insn {idx:3}: call {what}")


def btf_ksyms(btf):
    """Names of the FUNCs in the BTF's '.ksyms' DATASEC: the kfuncs the object calls."""
    names = []
    for i in range(1, lib.btf__type_cnt(btf)):
        tp = lib.btf__type_by_id(btf, i)
        t = tp.contents
        kind, vlen = (t.info >> 24) & 0x1F, t.info & 0xFFFF
        if kind != 15 or lib.btf__name_by_offset(btf, t.name_off) != b".ksyms":  # BTF_KIND_DATASEC
            continue
        # struct btf_var_secinfo { __u32 type, offset, size; } x vlen, right after the btf_type
        secinfo = (ctypes.c_uint32 * (3 * vlen)).from_address(ctypes.addressof(t) + ctypes.sizeof(BtfType))
        for k in range(vlen):
            v = lib.btf__type_by_id(btf, secinfo[3 * k]).contents
            if (v.info >> 24) & 0x1F == 12:  # BTF_KIND_FUNC (a kfunc; a VAR would be a __ksym variable)
                names.append(lib.btf__name_by_offset(btf, v.name_off).decode())
    return names


def btf_extern_funcs(obj, path):
    raw = lib.btf__parse_elf(path.encode(), None)  # the file's own BTF, as clang wrote it
    try:
        return btf_ksyms(lib.bpf_object__btf(obj)), btf_ksyms(raw) if raw else None
    finally:
        lib.btf__free(raw)


def elf_calls(path):
    """{program (function symbol) name: (helper ids, extern call targets)}, following
    bpf-to-bpf calls into subprograms (which bpf_program__insns() does not show before load)."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.relocation import RelocationSection
    with open(path, "rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        funcs = [s for s in symtab.iter_symbols() if s["st_info"]["type"] == "STT_FUNC"]
        relocs = {}  # (section index, offset) -> symbol
        for rel_sec in elf.iter_sections():
            if isinstance(rel_sec, RelocationSection) and \
                    elf.get_section(rel_sec["sh_info"])["sh_flags"] & 0x4:  # SHF_EXECINSTR
                for rel in rel_sec.iter_relocations():
                    relocs[(rel_sec["sh_info"], rel["r_offset"])] = symtab.get_symbol(rel["r_info_sym"])

        def walk(fsym, seen):
            helpers, externs = set(), set()
            shndx, lo = fsym["st_shndx"], fsym["st_value"]
            code = elf.get_section(shndx).data()
            for off in range(lo, lo + fsym["st_size"], INSN.size):
                op, regs, _, imm = INSN.unpack_from(code, off)
                if op != BPF_JMP | BPF_CALL:
                    continue
                sym = relocs.get((shndx, off))
                if sym is None:
                    if regs >> 4 == 0:
                        helpers.add(imm)                # helper call: imm = helper id
                    elif regs >> 4 == BPF_PSEUDO_CALL:  # call within the same section, no relocation
                        dest = off + (imm + 1) * INSN.size
                        callees = [c for c in funcs if c["st_shndx"] == shndx and c["st_value"] == dest]
                        for c in callees:
                            if c.name not in seen:
                                seen.add(c.name)
                                h, e = walk(c, seen); helpers |= h; externs |= e
                elif sym["st_shndx"] == "SHN_UNDEF":
                    externs.add(sym.name)               # kfunc (__ksym extern)
                else:                                   # call into another section (.text subprog)
                    dest = sym["st_value"] + (imm + 1) * INSN.size   # libbpf: sym_off/8 + imm + 1
                    for c in funcs:
                        if c["st_shndx"] == sym["st_shndx"] and c["st_value"] == dest and c.name not in seen:
                            seen.add(c.name)
                            h, e = walk(c, seen); helpers |= h; externs |= e
            return helpers, externs

        return {s.name: tuple(sorted(x) for x in walk(s, {s.name})) for s in funcs}


def main():
    path = sys.argv[1]
    load_on = sys.argv[sys.argv.index("--load-on") + 1] if "--load-on" in sys.argv else None
    obj = lib.bpf_object__open_file(path.encode(), None)
    if not obj:
        err = ctypes.get_errno()
        sys.exit(f"open {path}: {os.strerror(err)}")
    print(f"== {path} (before load)")
    in_obj, in_file = btf_extern_funcs(obj, path)
    print(f"   kfuncs in .ksyms DATASEC: bpf_object__btf {in_obj}; btf__parse_elf {in_file}")
    for prog in programs(obj):
        print(f"   program {lib.bpf_program__name(prog).decode()!r} "
              f"section {lib.bpf_program__section_name(prog).decode()!r} "
              f"type {lib.bpf_program__type(prog)} "
              f"attach_type {lib.bpf_program__expected_attach_type(prog)} "
              f"flags {lib.bpf_program__flags(prog):#x} "
              f"insns {lib.bpf_program__insn_cnt(prog)}")
        describe_calls(prog)
    print("   pyelftools, per function (helper ids, extern calls), subprograms followed:")
    for fn, (helpers, externs) in elf_calls(path).items():
        print(f"      {fn}: helpers {helpers} externs {externs}")
    if load_on:
        ifindex = int(open(f"/sys/class/net/{load_on}/ifindex").read())
        for prog in programs(obj):
            if b"meta" in lib.bpf_program__name(prog):
                lib.bpf_program__set_ifindex(prog, ifindex)
                lib.bpf_program__set_flags(prog, lib.bpf_program__flags(prog) | BPF_F_XDP_DEV_BOUND_ONLY)
        ret = lib.bpf_object__load(obj)
        print(f"== after bpf_object__load (meta programs bound to {load_on}): ret={ret}"
              f" ({os.strerror(-ret) if ret else 'ok'})")
        vml = lib.btf__load_vmlinux_btf()
        for prog in programs(obj):
            print(f"   program {lib.bpf_program__name(prog).decode()!r} fd {lib.bpf_program__fd(prog)} "
                  f"flags {lib.bpf_program__flags(prog):#x} insns {lib.bpf_program__insn_cnt(prog)}")
            if lib.bpf_program__insns(prog):
                describe_calls(prog, vml)
        lib.btf__free(vml)
    lib.bpf_object__close(obj)


if __name__ == "__main__":
    main()
