// bpf_redirect_map called from a static subprogram: invisible in
// bpf_program__insns() before load (subprograms are appended at load time).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

static __attribute__((noinline)) int pass_it(int x)
{
	return x ? XDP_PASS : XDP_DROP;
}

static __attribute__((noinline)) int do_redirect(struct xdp_md *ctx)
{
	return bpf_redirect_map(&tx_ports, ctx->rx_queue_index, pass_it(ctx->ingress_ifindex));
}

SEC("xdp")
int xdp_via_subprog(struct xdp_md *ctx)
{
	return do_redirect(ctx);
}

char _license[] SEC("license") = "GPL";
