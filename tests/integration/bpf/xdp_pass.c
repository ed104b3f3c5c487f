// SPDX-License-Identifier: GPL-2.0
/* The smallest XDP program: pass every packet. No headers, so it builds with
 * a bare `clang -target bpf` without kernel or libbpf headers installed.
 */
#define SEC(name) __attribute__((section(name), used))
#define XDP_PASS 2

struct xdp_md;

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
