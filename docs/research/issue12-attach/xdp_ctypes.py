#!/usr/bin/env python3
"""libxdp 1.3.1 (Debian 12's libxdp1) through ctypes: attach / detach / status.

usage: xdp_ctypes.py attach IFNAME OBJ [--program NAME] [--mode native|skb|hw|unspec]
                                       [--own-obj]   (open OBJ with libbpf first, autoload only NAME)
       xdp_ctypes.py detach IFNAME [--id PROG_ID]    (all, or one component program)
       xdp_ctypes.py status IFNAME

LIBXDP (env) names the .so (default: the unpacked deb under /tmp/attach-research);
LIBXDP_OBJECT_PATH must point at a directory holding xdp-dispatcher.o when the
deb is not installed.  libxdp's and libbpf's messages are captured through
libxdp_set_print / libbpf_set_print and printed with a prefix.
"""
import ctypes
import ctypes.util
import os
import sys

HERE = "/tmp/attach-research/ex/usr/lib/x86_64-linux-gnu"
os.environ.setdefault("LIBXDP_OBJECT_PATH", f"{HERE}/bpf")  # before any libxdp call (secure_getenv)

MODES = {"unspec": 0, "native": 1, "skb": 2, "hw": 3}
MODE_NAMES = {v: k for k, v in MODES.items()}
MAX_ERRNO = 4095
P = ctypes.c_void_p

libc = ctypes.CDLL(None)
libc.vsnprintf.argtypes = (ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, P)
bpf = ctypes.CDLL("libbpf.so.1", use_errno=True)
xdp = ctypes.CDLL(os.environ.get("LIBXDP", f"{HERE}/libxdp.so.1"), use_errno=True)

# typedef int (*print_fn)(enum level, const char *fmt, va_list ap): on x86-64 a
# va_list argument is passed as a pointer, which vsnprintf accepts as is.
PRINT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, P)
LOG = []


def _make_printer(tag):
    def printer(level, fmt, ap):
        buf = ctypes.create_string_buffer(1024)
        libc.vsnprintf(buf, len(buf), fmt, ap)
        LOG.append((tag, level, buf.value.decode(errors="replace").rstrip()))
        return 0
    return PRINT_FN(printer)


_xdp_printer, _bpf_printer = _make_printer("libxdp"), _make_printer("libbpf")
xdp.libxdp_set_print.argtypes = (PRINT_FN,)
xdp.libxdp_set_print.restype = P
xdp.libxdp_set_print(_xdp_printer)
bpf.libbpf_set_print.argtypes = (PRINT_FN,)
bpf.libbpf_set_print.restype = P
bpf.libbpf_set_print(_bpf_printer)


class XdpProgramOpts(ctypes.Structure):  # struct xdp_program_opts (libxdp.h, LIBXDP_1.3.0)
    _fields_ = (("sz", ctypes.c_size_t), ("obj", P), ("opts", P), ("prog_name", ctypes.c_char_p),
                ("find_filename", ctypes.c_char_p), ("open_filename", ctypes.c_char_p),
                ("pin_path", ctypes.c_char_p), ("id", ctypes.c_uint32), ("fd", ctypes.c_int))


for name, res, args in (
        ("libxdp_get_error", ctypes.c_long, (P,)),
        ("libxdp_strerror", ctypes.c_int, (ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t)),
        ("xdp_program__create", P, (ctypes.POINTER(XdpProgramOpts),)),
        ("xdp_program__open_file", P, (ctypes.c_char_p, ctypes.c_char_p, P)),
        ("xdp_program__from_id", P, (ctypes.c_uint32,)),
        ("xdp_program__close", None, (P,)),
        ("xdp_program__name", ctypes.c_char_p, (P,)),
        ("xdp_program__id", ctypes.c_uint32, (P,)),
        ("xdp_program__run_prio", ctypes.c_uint, (P,)),
        ("xdp_program__xdp_frags_support", ctypes.c_bool, (P,)),
        ("xdp_program__attach", ctypes.c_int, (P, ctypes.c_int, ctypes.c_int, ctypes.c_uint)),
        ("xdp_program__detach", ctypes.c_int, (P, ctypes.c_int, ctypes.c_int, ctypes.c_uint)),
        ("xdp_program__is_attached", ctypes.c_int, (P, ctypes.c_int)),
        ("xdp_multiprog__get_from_ifindex", P, (ctypes.c_int,)),
        ("xdp_multiprog__close", None, (P,)),
        ("xdp_multiprog__detach", ctypes.c_int, (P,)),
        ("xdp_multiprog__next_prog", P, (P, P)),
        ("xdp_multiprog__main_prog", P, (P,)),
        ("xdp_multiprog__hw_prog", P, (P,)),
        ("xdp_multiprog__is_legacy", ctypes.c_bool, (P,)),
        ("xdp_multiprog__attach_mode", ctypes.c_int, (P,)),
        ("xdp_multiprog__program_count", ctypes.c_int, (P,)),
        ("xdp_multiprog__xdp_frags_support", ctypes.c_bool, (P,))):
    fn = getattr(xdp, name)
    fn.restype, fn.argtypes = res, args
for name, res, args in (("bpf_object__open_file", P, (ctypes.c_char_p, P)),
                        ("bpf_object__next_program", P, (P, P)),
                        ("bpf_object__close", None, (P,)),
                        ("bpf_program__name", ctypes.c_char_p, (P,)),
                        ("bpf_program__set_autoload", ctypes.c_int, (P, ctypes.c_bool))):
    fn = getattr(bpf, name)
    fn.restype, fn.argtypes = res, args


def ptr_error(ptr):
    """0, or the negative errno of a NULL or ERR_PTR-encoded pointer (a c_void_p int)."""
    if ptr is None:
        return -(ctypes.get_errno() or 22)
    if ptr >= 2**64 - MAX_ERRNO:  # ERR_PTR(-errno) as an unsigned address
        return ptr - 2**64
    return 0


def strerror(err):
    buf = ctypes.create_string_buffer(256)
    xdp.libxdp_strerror(err, buf, len(buf))
    return buf.value.decode()


def flush_log():
    verbose = os.environ.get("VERBOSE") == "1"
    for tag, level, line in LOG:
        if level == 2 and not verbose and (tag == "libbpf" or os.environ.get("QUIET") == "1"):
            continue  # libbpf's DEBUG lines (object parsing, relocations): VERBOSE=1 shows them
        for part in line.splitlines():
            print(f"    [{tag} {('WARN', 'INFO', 'DEBUG')[level]}] {part}")
    LOG.clear()


def ifindex(name):
    return int(open(f"/sys/class/net/{name}/ifindex").read())


def status(ifname):
    mp = xdp.xdp_multiprog__get_from_ifindex(ifindex(ifname))
    err = ptr_error(mp)
    if err:
        print(f"  {ifname}: no XDP ({err} {strerror(err)})")
        return
    main = xdp.xdp_multiprog__main_prog(mp)
    legacy = xdp.xdp_multiprog__is_legacy(mp)
    print(f"  {ifname}: mode {MODE_NAMES[xdp.xdp_multiprog__attach_mode(mp)]} "
          f"legacy={legacy} main={xdp.xdp_program__name(main)} id={xdp.xdp_program__id(main)} "
          f"count={xdp.xdp_multiprog__program_count(mp)} frags={xdp.xdp_multiprog__xdp_frags_support(mp)}"
          f" hw={'yes' if xdp.xdp_multiprog__hw_prog(mp) else 'no'}")
    prog = None
    while not legacy:
        prog = xdp.xdp_multiprog__next_prog(prog, mp)
        if not prog:
            break
        print(f"     => {xdp.xdp_program__name(prog).decode()} id={xdp.xdp_program__id(prog)}"
              f" prio={xdp.xdp_program__run_prio(prog)} frags={xdp.xdp_program__xdp_frags_support(prog)}")
    xdp.xdp_multiprog__close(mp)
    flush_log()


def attach(ifname, path, program, mode, own_obj):
    obj = None
    if own_obj:
        obj = bpf.bpf_object__open_file(path.encode(), None)
        if not obj:
            sys.exit(f"open: {os.strerror(ctypes.get_errno())}")
        p = None
        while True:
            p = bpf.bpf_object__next_program(obj, p)
            if not p:
                break
            bpf.bpf_program__set_autoload(p, bpf.bpf_program__name(p).decode() == program)
        opts = XdpProgramOpts(sz=ctypes.sizeof(XdpProgramOpts), obj=obj,
                              prog_name=program.encode() if program else None)
    else:
        opts = XdpProgramOpts(sz=ctypes.sizeof(XdpProgramOpts), open_filename=path.encode(),
                              prog_name=program.encode() if program else None)
    prog = xdp.xdp_program__create(ctypes.byref(opts))
    err = ptr_error(prog)
    if err:
        flush_log()
        sys.exit(f"  xdp_program__create: {err} ({strerror(err)})")
    print(f"  opened {xdp.xdp_program__name(prog).decode()} frags_support(before load)="
          f"{xdp.xdp_program__xdp_frags_support(prog)}")
    ret = xdp.xdp_program__attach(prog, ifindex(ifname), MODES[mode], 0)
    print(f"  xdp_program__attach(mode={mode}) = {ret}"
          + (f" ({strerror(ret)})" if ret else f" -> prog id {xdp.xdp_program__id(prog)}, "
             f"is_attached={MODE_NAMES[xdp.xdp_program__is_attached(prog, ifindex(ifname))]}"))
    flush_log()
    xdp.xdp_program__close(prog)  # the attachment survives: pinned in bpffs (or netlink-held)
    if obj:
        bpf.bpf_object__close(obj)
    return ret


def detach(ifname, prog_id=None):
    idx = ifindex(ifname)
    if prog_id is None:
        mp = xdp.xdp_multiprog__get_from_ifindex(idx)
        err = ptr_error(mp)
        if err:
            sys.exit(f"  xdp_multiprog__get_from_ifindex: {err} ({strerror(err)})")
        ret = xdp.xdp_multiprog__detach(mp)
        xdp.xdp_multiprog__close(mp)
        print(f"  xdp_multiprog__detach = {ret}" + (f" ({strerror(ret)})" if ret else ""))
    else:
        prog = xdp.xdp_program__from_id(prog_id)
        err = ptr_error(prog)
        if err:
            sys.exit(f"  xdp_program__from_id: {err} ({strerror(err)})")
        ret = xdp.xdp_program__detach(prog, idx, 0, 0)  # XDP_MODE_UNSPEC: whatever mode it is in
        xdp.xdp_program__close(prog)
        print(f"  xdp_program__detach(id {prog_id}) = {ret}" + (f" ({strerror(ret)})" if ret else ""))
    flush_log()
    return ret


def main(argv):
    def opt(name, default=None):
        return argv[argv.index(name) + 1] if name in argv else default
    cmd = argv[0]
    if cmd == "attach":
        ret = attach(argv[1], argv[2], opt("--program"), opt("--mode", "native"), "--own-obj" in argv)
    elif cmd == "detach":
        ret = detach(argv[1], int(opt("--id")) if "--id" in argv else None)
    else:
        ret = 0
    status(argv[1])
    return 1 if ret else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
