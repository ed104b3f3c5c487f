// SPDX-License-Identifier: GPL-2.0
/* Programs for `xdptool attach`: two plain XDP programs, one that takes
 * multi-buffer frames (xdp.frags) and one of another type. No headers, so
 * that a bare `clang -target bpf` builds it.
 */
#define SEC(name) __attribute__((section(name), used))
#define XDP_DROP 1
#define XDP_PASS 2

struct xdp_md;

SEC("xdp")
int xdp_pass_first(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_drop_second(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp.frags")
int xdp_frags_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int tc_other(void *ctx)
{
	return 0;
}

char _license[] SEC("license") = "GPL";
