#!/usr/bin/env python3
"""Bypassing libxdp for a metadata-kfunc program: libbpf open, bind the program to
IFNAME (prog_ifindex + BPF_F_XDP_DEV_BOUND_ONLY), load, bpf_xdp_attach in native
mode; then try the same fd on OTHER.  usage: devbound_attach.py OBJ PROG IFNAME OTHER"""
import ctypes, importlib.util, os, sys
spec = importlib.util.spec_from_file_location("i", "/tmp/attach-research/inspect_obj.py")
i = importlib.util.module_from_spec(spec); spec.loader.exec_module(i)
lib = i.lib
lib.bpf_xdp_attach.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_uint32, ctypes.c_void_p)
lib.bpf_object__find_program_by_name.restype = ctypes.c_void_p
lib.bpf_object__find_program_by_name.argtypes = (ctypes.c_void_p, ctypes.c_char_p)
XDP_FLAGS_UPDATE_IF_NOEXIST, XDP_FLAGS_SKB_MODE, XDP_FLAGS_DRV_MODE = 1, 2, 4
path, name, ifname, other = sys.argv[1:5]
idx = lambda n: int(open(f"/sys/class/net/{n}/ifindex").read())
obj = lib.bpf_object__open_file(path.encode(), None)
for p in i.programs(obj):
    lib.bpf_program__set_autoload(p, lib.bpf_program__name(p).decode() == name)
prog = lib.bpf_object__find_program_by_name(obj, name.encode())
lib.bpf_program__set_ifindex(prog, idx(ifname))
lib.bpf_program__set_flags(prog, lib.bpf_program__flags(prog) | i.BPF_F_XDP_DEV_BOUND_ONLY)
ret = lib.bpf_object__load(obj)
print(f"load {name} bound to {ifname}: {ret} {os.strerror(-ret) if ret else 'ok'}")
fd = lib.bpf_program__fd(prog)
for dev, flags, label in ((ifname, XDP_FLAGS_DRV_MODE, "native"), (other, XDP_FLAGS_DRV_MODE, "native"),
                          (ifname, XDP_FLAGS_SKB_MODE, "generic")):
    r = lib.bpf_xdp_attach(idx(dev), fd, flags | XDP_FLAGS_UPDATE_IF_NOEXIST, None)
    print(f"bpf_xdp_attach({dev}, {label}) = {r} {os.strerror(-r) if r else 'ok'}")
    if r == 0:
        os.system(f"ip -d link show {dev} | grep -o 'prog/xdp id [0-9]* name [a-z_]*'")
        lib.bpf_xdp_attach(idx(dev), -1, flags, None)
