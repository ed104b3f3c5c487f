// Calls the XDP rx-metadata kfuncs (kernel 6.3+; rx_vlan_tag 6.8+).
// Signatures as in net/core/xdp.c of 6.8+.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* A full (not forward) declaration: clang 14 writes a forward enum as a size-0
 * ENUM that the kernel rejects ("Unexpected size"), dropping the BTF. */
enum xdp_rss_hash_type { XDP_RSS_TYPE_NONE = 0 };

extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash,
				    enum xdp_rss_hash_type *rss_type) __ksym;
extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx,
					 __u64 *timestamp) __ksym;
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx,
					__be16 *vlan_proto, __u16 *vlan_tci) __ksym;

static __attribute__((noinline)) int sub_ts(struct xdp_md *ctx)
{
	__u64 ts = 0;
	return bpf_xdp_metadata_rx_timestamp(ctx, &ts) ? 0 : (int)(ts & 1);
}

SEC("xdp")
int xdp_meta_hash(struct xdp_md *ctx)
{
	__u32 hash = 0;
	__u32 type = 0;

	if (bpf_xdp_metadata_rx_hash(ctx, &hash, (enum xdp_rss_hash_type *)&type))
		return XDP_PASS;
	return hash == 42 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_meta_vlan_ts(struct xdp_md *ctx)
{
	__be16 proto = 0;
	__u16 tci = 0;

	bpf_xdp_metadata_rx_vlan_tag(ctx, &proto, &tci);
	return sub_ts(ctx) ? XDP_DROP : XDP_PASS;  /* kfunc via a subprogram */
}

char _license[] SEC("license") = "GPL";
