#!/bin/bash
# Run as: ip netns exec xdpres bash exp_dispatcher.sh   (netns with veth v0/v1, up)
# ip netns exec gives this shell its own mount namespace: the bpffs mounted
# here disappears with it.
set -u
cd /tmp/attach-research/progs
X="python3 /tmp/attach-research/xdp_ctypes.py"
L=/tmp/attach-research/ex/usr/sbin/xdp-loader
export QUIET=1
mount -t bpf bpf /sys/fs/bpf && echo "# bpffs mounted at /sys/fs/bpf"
step() { echo; echo "### $*"; }

step "E2 attach xdp_redir (native) with bpffs: dispatcher"
$X attach v0 redirect.o --program xdp_redir --mode native
find /sys/fs/bpf/xdp | sort
ip -j -d link show v0 | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0]["xdp"], indent=1))'
ip -d link show v0 | grep -E 'xdp|prog/xdp'

step "E3 add xdp_redir_map from xdptool, then xdp-loader adds xdp_pass_only"
$X attach v0 redirect.o --program xdp_redir_map --mode native
$L load -m native -n xdp_pass_only v0 redirect.o; echo "xdp-loader load rc=$?"
$L status
$L status v0 2>&1 | head -3
$X status v0
find /sys/fs/bpf/xdp | sort

step "E12 attach in skb mode while the dispatcher is native"
$X attach v0 redirect.o --program xdp_redir --mode skb

step "E4a detach one component by id (xdp_program__detach), then all (xdp_multiprog__detach)"
# (with the dispatcher the component ids come from xdp-loader status / xdp_multiprog; without it, the one program is the netlink one)
ID=$(ip -j link show v0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0].get("xdp", {}).get("prog", {}).get("id", 0))')
echo "xdp_redir_map id=$ID"
$X detach v0 --id "$ID"
$X detach v0
find /sys/fs/bpf/xdp | sort
ip -d link show v0 | grep -c prog/xdp

step "E11 a plain netlink (non-dispatcher) program is attached; libxdp attach on top"
ip link set dev v0 xdpdrv obj redirect.o sec xdp 2>&1 | head -2; ip -d link show v0 | grep -o 'prog/xdp id [0-9]* name [a-z_]*'
$X attach v0 redirect.o --program xdp_redir --mode native
echo "-- --force analogue: xdp_multiprog__detach of the legacy program, then attach"
$X detach v0 >/dev/null; $X attach v0 redirect.o --program xdp_redir --mode native
$X detach v0 >/dev/null

step "E5 generic (skb) mode and unspec on veth"
$X attach v0 redirect.o --program xdp_redir --mode skb
ip -j -d link show v0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["xdp"])'
$X detach v0 >/dev/null
$X attach v0 redirect.o --program xdp_redir --mode unspec
$X detach v0 >/dev/null

step "E5b native on a device without native XDP (the netns's lo; this kernel has no dummy driver), then unspec"
$X attach lo redirect.o --program xdp_redir --mode native
$X attach lo redirect.o --program xdp_redir --mode unspec
$X detach lo >/dev/null

step "E6 hw (offload) mode on veth"
$X attach v0 redirect.o --program xdp_redir --mode hw

step "E7 frags: MTU 9000 on v0; non-frags program vs SEC(\"xdp.frags\")"
ip link set v0 mtu 9000; ip link set v1 mtu 9000
$X attach v0 redirect.o --program xdp_pass_only --mode native
$X detach v0 >/dev/null 2>&1
$X attach v0 frags.o --mode native
$X detach v0 >/dev/null 2>&1
echo "-- same, skipping the dispatcher (LIBXDP_SKIP_DISPATCHER=1)"
LIBXDP_SKIP_DISPATCHER=1 $X attach v0 frags.o --mode native
$X detach v0 >/dev/null 2>&1
echo "-- xdp-loader with frags.o"
$L load -m native v0 frags.o; echo "rc=$?"; $L status v0 | sed -n '1,8p'; $L unload --all v0
ip link set v0 mtu 1500; ip link set v1 mtu 1500

step "E8 metadata kfunc program through libxdp 1.3.1"
$X attach v0 meta.o --program xdp_meta_hash --mode native
step "E8b the plain program of mixed.o (its sibling needs a device-bound load)"
$X attach v0 mixed.o --program xdp_plain --mode native
echo "-- own bpf_object, autoload only xdp_plain, then xdp_program__create(obj=...)"
$X attach v0 mixed.o --program xdp_plain --mode native --own-obj
$X detach v0 >/dev/null

step "E9 section-name selection: xdp_program__open_file(file, \"xdp\") picks the first program"
python3 - <<'PY'
import importlib.util, ctypes
spec = importlib.util.spec_from_file_location("x", "/tmp/attach-research/xdp_ctypes.py"); x = importlib.util.module_from_spec(spec); spec.loader.exec_module(x)
p = x.xdp.xdp_program__open_file(b"redirect.o", b"xdp", None); print("open_file(section 'xdp') ->", x.xdp.xdp_program__name(p))
q = x.xdp.xdp_program__open_file(b"redirect.o", b"nosuch", None); print("open_file(section 'nosuch') -> ptr", hex(q or 0), "err", x.ptr_error(q), "libxdp_get_error", x.xdp.libxdp_get_error(q))
r = x.xdp.xdp_program__create(ctypes.byref(x.XdpProgramOpts(sz=ctypes.sizeof(x.XdpProgramOpts), open_filename=b"redirect.o", prog_name=b"nosuch")))
print("create(prog_name 'nosuch') ->", r, "errno", ctypes.get_errno())
m = x.xdp.xdp_multiprog__get_from_ifindex(999); print("multiprog__get_from_ifindex(999) -> ptr", hex(m or 0), "err", x.ptr_error(m))
PY
echo; echo "### done"
