/*
 * Kiln's QEMU TCG plugin (plugin API version 1): counts the guest instructions executed between two marker
 * functions. Arguments: start=<hex address>,stop=<hex address> (the markers' first instructions).
 * Every translation block adds its instruction count to a counter inline; an exec callback on each marker's first
 * instruction reads the counter, and the stop marker prints "kiln_icount <instructions>" through qemu's log
 * (visible with -d plugin). The marker functions are short and fixed, so what
 * lies between them is the measured code plus a constant call overhead: the same on every run.
 * qemu ships no qemu-plugin.h here, so the few API functions used are declared below, as the API v1 defines them.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KILN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
struct qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_outs(const char *string);

KILN_EXPORT int qemu_plugin_version = 1;

static uint64_t executed;
static uint64_t started;
static int running;
static uint64_t start_addr, stop_addr;

static void on_start(unsigned int vcpu, void *userdata)
{
    (void)vcpu;
    (void)userdata;
    started = executed;
    running = 1;
}

static void on_stop(unsigned int vcpu, void *userdata)
{
    char line[64];
    (void)vcpu;
    (void)userdata;
    if (!running) return;
    running = 0;
    snprintf(line, sizeof line, "kiln_icount %" PRIu64 "\n", executed - started);
    qemu_plugin_outs(line);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    size_t i;
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed, n);
    for (i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        if (pc == start_addr) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_start, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (pc == stop_addr) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_stop, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
}

static int parse(const char *arg, const char *key, uint64_t *out)
{
    size_t k = strlen(key);
    if (strncmp(arg, key, k) != 0 || arg[k] != '=') return 0;
    /* why: Thumb symbol addresses carry bit 0; instruction addresses do not */
    *out = strtoull(arg + k + 1, NULL, 0) & ~(uint64_t)1;
    return 1;
}

KILN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc, char **argv)
{
    int i;
    (void)info;
    for (i = 0; i < argc; i++) {
        if (!parse(argv[i], "start", &start_addr) && !parse(argv[i], "stop", &stop_addr)) {
            fprintf(stderr, "kiln_icount: unknown argument %s (expected start=ADDR,stop=ADDR)\n", argv[i]);
            return -1;
        }
    }
    if (start_addr == 0 || stop_addr == 0) {
        fprintf(stderr, "kiln_icount: needs start=ADDR and stop=ADDR\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    return 0;
}
