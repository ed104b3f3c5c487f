// SPDX-License-Identifier: GPL-2.0
/* XDP program for xdp_stats.py: the frame says which action to return.
 *
 * A frame of EtherType 0x88B5 (IEEE 802 local experimental) carries the
 * action in its first payload byte and gets it back as-is, so values that
 * are not XDP actions can be tested too. For XDP_REDIRECT the next four
 * payload bytes are the target ifindex (big endian). Other frames pass.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_XDPACT	0x88B5

SEC("xdp")
int xdp_act(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	__u8 *act = (__u8 *)(eth + 1);
	__u32 ifindex;

	/* action (1 byte), ifindex (4 bytes) */
	if ((void *)(act + 5) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_XDPACT))
		return XDP_PASS;

	if (act[0] == XDP_REDIRECT) {
		ifindex = (__u32)act[1] << 24 | (__u32)act[2] << 16 |
			  (__u32)act[3] << 8 | act[4];
		return bpf_redirect(ifindex, 0);
	}
	return act[0];
}

char _license[] SEC("license") = "GPL";
