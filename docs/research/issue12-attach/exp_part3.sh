#!/bin/bash
set -u; cd /tmp/attach-research/progs; export QUIET=1
mount -t bpf bpf /sys/fs/bpf
echo "### hw mode, object without maps"
python3 /tmp/attach-research/xdp_ctypes.py attach v0 frags.o --mode hw 2>&1 | grep -v 'elf: skipping'
echo "### non-zero flags"
python3 - <<'PY'
import importlib.util, ctypes
spec = importlib.util.spec_from_file_location("x", "/tmp/attach-research/xdp_ctypes.py"); x = importlib.util.module_from_spec(spec); spec.loader.exec_module(x)
p = x.xdp.xdp_program__create(ctypes.byref(x.XdpProgramOpts(sz=ctypes.sizeof(x.XdpProgramOpts), open_filename=b"frags.o")))
print("xdp_program__attach(..., flags=1) =", x.xdp.xdp_program__attach(p, x.ifindex("v0"), 1, 1))
print("multiprog__detach(NULL) =", x.xdp.xdp_multiprog__detach(None))
PY
