// SPDX-License-Identifier: GPL-2.0
/* Programs whose needs `xdptool attach` reads from the ELF before loading:
 * a redirect through a subprogram, a direct bpf_redirect(), an RX-metadata
 * kfunc, and a frags program that needs nothing. libbpf resolves every
 * extern of an object when it loads any of its programs, so the kfunc's
 * prototype is the kernel's.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum xdp_rss_hash_type;

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tx SEC(".maps");

extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash,
				    enum xdp_rss_hash_type *rss_type) __ksym;

__attribute__((noinline)) int send_on(struct xdp_md *ctx)
{
	return bpf_redirect_map(&tx, 0, 0);
}

SEC("xdp")
int xdp_via_subprog(struct xdp_md *ctx)
{
	return send_on(ctx);
}

SEC("xdp")
int xdp_redirect_direct(struct xdp_md *ctx)
{
	return bpf_redirect(1, 0);
}

SEC("xdp")
int xdp_hash(struct xdp_md *ctx)
{
	__u32 hash, type;

	bpf_xdp_metadata_rx_hash(ctx, &hash, (enum xdp_rss_hash_type *)&type);
	return XDP_PASS;
}

SEC("xdp.frags")
int xdp_plain_frags(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

static long redirect_cb(__u32 index, void *ctx)
{
	bpf_redirect_map(&tx, 0, 0);
	return 1;
}

SEC("xdp")
int xdp_via_callback(struct xdp_md *ctx)
{
	bpf_loop(1, redirect_cb, 0, 0);
	return XDP_PASS;
}

/* The verifier refuses it: a packet read without a bounds check. */
SEC("xdp")
int xdp_refused(struct xdp_md *ctx)
{
	return *(char *)(long)ctx->data;
}

SEC("xdp/devmap")
int xdp_for_devmap(struct xdp_md *ctx)
{
	return XDP_PASS;
}
