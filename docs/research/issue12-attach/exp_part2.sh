#!/bin/bash
# Run as: ip netns exec xdpres bash exp_part2.sh
set -u
cd /tmp/attach-research/progs
X="python3 /tmp/attach-research/xdp_ctypes.py"
L=/tmp/attach-research/ex/usr/sbin/xdp-loader
export QUIET=1
mount -t bpf bpf /sys/fs/bpf
step() { echo; echo "### $*"; }

step "P1 native on 'lo' (no native XDP support in the driver); then unspec"
$X attach lo redirect.o --program xdp_redir --mode native 2>&1 | grep -v 'elf: skipping\|xdp_pass\|ulimit\|xdp-dispatcher.o\|Compatibility check'
$X attach lo redirect.o --program xdp_redir --mode unspec 2>&1 | grep -v 'elf: skipping\|xdp_pass\|ulimit\|xdp-dispatcher.o\|Compatibility check'
ip -j -d link show lo | python3 -c 'import json,sys; print("ip -j -d: xdp =", json.load(sys.stdin)[0].get("xdp"))'
ip -j link show lo | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print("ip -j (no -d): keys =", sorted(d), "xdp" in d)'
$L status lo
$X detach lo 2>&1 | head -1

step "P2 xdp-loader status / ip for skb and native programs attached by xdp-loader"
$L load -m skb -n xdp_redir v1 redirect.o; echo "rc=$?"
$L load -m native -n xdp_redir_map v0 redirect.o; echo "rc=$?"
$L status
ip -d link show v1 | sed -n '1,3p'
ip -j -d link show v1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["xdp"])'
echo "-- xdptool-style detach (xdp_multiprog__detach) of what xdp-loader attached:"
$X detach v1 2>&1 | head -1
$L unload -a v0; echo "xdp-loader unload -a rc=$?"
$L status v0 | tail -2

step "P3 frags: xdp_program__set_xdp_frags_support(prog, true) on libxdp 1.3.1 + libbpf 1.1"
python3 - <<'PY'
import importlib.util, ctypes
spec = importlib.util.spec_from_file_location("x", "/tmp/attach-research/xdp_ctypes.py"); x = importlib.util.module_from_spec(spec); spec.loader.exec_module(x)
x.xdp.xdp_program__set_xdp_frags_support.argtypes = (ctypes.c_void_p, ctypes.c_bool)
o = x.XdpProgramOpts(sz=ctypes.sizeof(x.XdpProgramOpts), open_filename=b"frags.o")
p = x.xdp.xdp_program__create(ctypes.byref(o))
print("before:", x.xdp.xdp_program__xdp_frags_support(p))
print("set_xdp_frags_support(true) =", x.xdp.xdp_program__set_xdp_frags_support(p, True))
print("after:", x.xdp.xdp_program__xdp_frags_support(p))
PY

step "P4 no bpffs + LIBXDP_BPFFS_AUTOMOUNT=1 (fresh mount namespace)"
unshare -m bash -c 'umount /sys/fs/bpf; mountpoint -q /sys/fs/bpf || echo "bpffs not mounted"; LIBXDP_BPFFS_AUTOMOUNT=1 '"$X"' attach v0 redirect.o --program xdp_redir 2>&1 | grep -E "attach|bpffs|Falling|dispatch" ; mountpoint /sys/fs/bpf; ls /sys/fs/bpf'
$X detach v0 | head -1
echo "### done"
