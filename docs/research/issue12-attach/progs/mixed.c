// A plain XDP_PASS program next to one that needs a device-bound load:
// opening the object with libxdp and attaching xdp_plain loads *both*.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx,
					 __u64 *timestamp) __ksym;

SEC("xdp")
int xdp_plain(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_needs_devbound(struct xdp_md *ctx)
{
	__u64 ts = 0;

	return bpf_xdp_metadata_rx_timestamp(ctx, &ts) ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
