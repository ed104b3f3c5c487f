// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU TCG plugin: guest instructions executed, per translated block start
 * address, snapshotted to a file each time the guest executes one chosen
 * address (the "mark"). Diffing two snapshots taken around a workload
 * gives where its instructions went, per kernel function, once the
 * addresses are mapped with the guest's System.map (scripts/bench-profile).
 *
 *   -plugin tb-profile.so,out=PREFIX,mark=0xffffffff81234560
 *
 * writes PREFIX.0, PREFIX.1, ...: one "address instructions" line per block;
 * user space counts as one block at address 1 (processes come and go, each
 * with its own randomised addresses: the table would fill up).
 *
 * Debian's QEMU ships no qemu-plugin.h, so the few declarations used are
 * spelled out here; all exist unchanged since plugin API version 1 (QEMU 4.2).
 * With -icount TCG runs all vCPUs in one thread: the inline additions do not
 * race.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct qemu_info_t qemu_info_t;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* x86-64: the kernel's half of the address space, 4- or 5-level paging */
#define KERNEL_SPACE 0xff00000000000000ULL

struct block {
	uint64_t vaddr;
	uint64_t insns;	/* executed, summed over every translation of vaddr */
};

static struct block *blocks;
static size_t nr_slots = 1 << 21, nr_used;
static uint64_t mark;
static const char *out = "tb-profile";
static unsigned int snapshots;

static struct block *lookup(uint64_t vaddr)
{
	size_t i = (vaddr * 0x9e3779b97f4a7c15ULL) >> 44 & (nr_slots - 1);

	/* Never resized: inline counters point into the table. */
	while (blocks[i].vaddr && blocks[i].vaddr != vaddr)
		i = (i + 1) & (nr_slots - 1);
	if (!blocks[i].vaddr) {
		if (++nr_used > nr_slots / 2) {
			fprintf(stderr, "tb-profile: more than %zu blocks\n", nr_slots / 2);
			abort();
		}
		blocks[i].vaddr = vaddr;
	}
	return &blocks[i];
}

static void snapshot(unsigned int vcpu_index, void *userdata)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s.%u", out, snapshots++);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	for (size_t i = 0; i < nr_slots; i++)
		if (blocks[i].insns)
			fprintf(f, "%" PRIx64 " %" PRIu64 "\n", blocks[i].vaddr, blocks[i].insns);
	fclose(f);
}

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	uint64_t key = vaddr >= KERNEL_SPACE ? vaddr : 1;

	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &lookup(key)->insns, qemu_plugin_tb_n_insns(tb));
	if (vaddr == mark)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, snapshot, QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
	snapshot(0, NULL);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			out = argv[i] + 4;
		else if (!strncmp(argv[i], "mark=", 5))
			mark = strtoull(argv[i] + 5, NULL, 0);
		else
			fprintf(stderr, "tb-profile: unknown argument %s\n", argv[i]);
	}
	blocks = calloc(nr_slots, sizeof(*blocks));
	if (!blocks)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
