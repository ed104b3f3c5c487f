#!/usr/bin/env python3
"""Load an object with plain bpf_object__load (no device binding); print result and flags."""
import ctypes, importlib.util, os, sys
spec = importlib.util.spec_from_file_location("i", "/tmp/attach-research/inspect_obj.py")
i = importlib.util.module_from_spec(spec); spec.loader.exec_module(i)
obj = i.lib.bpf_object__open_file(sys.argv[1].encode(), None)
ret = i.lib.bpf_object__load(obj)
print(f"bpf_object__load({sys.argv[1]}) = {ret} ({os.strerror(-ret) if ret else 'ok'})")
for p in i.programs(obj):
    print(f"  {i.lib.bpf_program__name(p).decode()}: fd {i.lib.bpf_program__fd(p)} flags {i.lib.bpf_program__flags(p):#x}")
