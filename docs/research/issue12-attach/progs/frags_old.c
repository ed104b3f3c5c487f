#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp_frags")
int xdp_frags_old(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
