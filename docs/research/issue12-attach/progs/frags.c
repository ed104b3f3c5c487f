// SEC("xdp.frags") (libbpf >= 1.0 spelling) and SEC("xdp_frags") (old spelling)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp.frags")
int xdp_frags_new(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
