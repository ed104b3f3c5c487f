// SPDX-License-Identifier: GPL-2.0
/* One XDP program for every action: the frame says what to return.
 *
 * A frame with EtherType 0x88B5 (IEEE 802 local experimental) carries the
 * action in its first payload byte and returns it as-is, so any value can
 * be tested, including ones that are not XDP actions (7 counts "unknown").
 * For XDP_REDIRECT (4) the next four payload bytes are the target ifindex,
 * big endian, handed to bpf_redirect(): a device that exists tests a
 * successful redirect, one that does not (0) a failed one.
 * The byte after the ifindex holds flags: with bit 0 (MARK_TX) set, XDP_TX
 * first rewrites the EtherType to 0x88B6, so a frame that a reflecting link
 * sends back is passed instead of bouncing forever. (Without the flag the
 * frame is left alone: BPF_PROG_TEST_RUN repeats on the same buffer.)
 * Every other frame is passed.
 *
 * No headers, so it builds with a bare `clang -O2 -target bpf -c` without
 * kernel or libbpf headers installed: the context layout and the helper
 * (by its id in enum bpf_func_id) are spelled out here.
 */
typedef unsigned char __u8;
typedef unsigned int __u32;
typedef unsigned long long __u64;

#define SEC(name) __attribute__((section(name), used))

#define XDP_PASS	2
#define XDP_TX		3
#define XDP_REDIRECT	4

/* include/uapi/linux/bpf.h */
struct xdp_md {
	__u32 data;
	__u32 data_end;
	__u32 data_meta;
	__u32 ingress_ifindex;
	__u32 rx_queue_index;
	__u32 egress_ifindex;
};

/* BPF_FUNC_redirect */
static long (*const bpf_redirect)(__u32 ifindex, __u64 flags) = (void *)23;

/* Ethernet header (14 bytes), action (1), ifindex (4), flags (1). */
#define ACT_OFF		14
#define FLAGS_OFF	19
#define HDR_LEN		20
#define MARK_TX		0x1

SEC("xdp")
int xdp_act(struct xdp_md *ctx)
{
	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *end = (__u8 *)(long)ctx->data_end;
	__u32 act, ifindex;

	if (data + HDR_LEN > end)
		return XDP_PASS;
	if (data[12] != 0x88 || data[13] != 0xb5)
		return XDP_PASS;

	act = data[ACT_OFF];
	if (act == XDP_REDIRECT) {
		ifindex = (__u32)data[ACT_OFF + 1] << 24 |
			  (__u32)data[ACT_OFF + 2] << 16 |
			  (__u32)data[ACT_OFF + 3] << 8 |
			  (__u32)data[ACT_OFF + 4];
		return bpf_redirect(ifindex, 0);
	}
	if (act == XDP_TX && (data[FLAGS_OFF] & MARK_TX))
		data[13] = 0xb6;
	return act;
}

char _license[] SEC("license") = "GPL";
