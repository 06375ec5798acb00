/*
 * Kiln's QEMU TCG plugin (plugin API version 1): counts the guest instructions executed between two marker
 * functions. Arguments: start=<hex address>,stop=<hex address> (the markers' first instructions).
 * Every translation block adds its instruction count to a counter inline; an exec callback on each marker's first
 * instruction reads the counter, and the stop marker prints "kiln_icount <instructions>" through qemu's log
 * (visible with -d plugin). The marker functions are short and fixed, so what
 * lies between them is the measured code plus a constant call overhead: the same on every run.
 * Per-function mode: functions=<file> names a file of lines "<hex start> <hex size> <name>" (the counted program's
 * functions of interest, e.g. one per kernel). Each translation block that starts inside a listed function makes
 * that function the current one; every executed block adds its instructions to the current function, so the
 * helpers a function calls (memcpy, memset, libgcc) count for their caller. The stop marker then also prints
 * "kiln_icount_fn <name> <instructions>" per listed function that ran between the markers.
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
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_outs(const char *string);

KILN_EXPORT int qemu_plugin_version = 1;

static uint64_t executed;
static uint64_t started;
static int running;
static uint64_t start_addr, stop_addr;

/* per-function mode: the listed functions (sorted by start), their counts, and the current function (-1: none yet) */
#define KILN_MAX_FUNCTIONS 4096
struct function {
    uint64_t start, end;
    char name[96];
    uint64_t count, started;
};
static struct function functions[KILN_MAX_FUNCTIONS];
static size_t n_functions;
static long current = -1;

static void on_start(unsigned int vcpu, void *userdata)
{
    (void)vcpu;
    (void)userdata;
    size_t i;
    started = executed;
    for (i = 0; i < n_functions; i++) functions[i].started = functions[i].count;
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
    for (size_t i = 0; i < n_functions; i++) {
        char fn[160];
        uint64_t c = functions[i].count - functions[i].started;
        if (c == 0) continue;
        snprintf(fn, sizeof fn, "kiln_icount_fn %s %" PRIu64 "\n", functions[i].name, c);
        qemu_plugin_outs(fn);
    }
}

/* the listed function holding pc, or -1 (binary search over the sorted, disjoint ranges) */
static long function_at(uint64_t pc)
{
    size_t lo = 0, hi = n_functions;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pc < functions[mid].start) hi = mid;
        else if (pc >= functions[mid].end) lo = mid + 1;
        else return (long)mid;
    }
    return -1;
}

/* a block ran: userdata packs (function + 1) << 16 | instructions; a block inside a listed function makes it current */
static void on_block(unsigned int vcpu, void *userdata)
{
    uintptr_t u = (uintptr_t)userdata;
    long f = (long)(u >> 16) - 1;
    (void)vcpu;
    if (f >= 0) current = f;
    if (current >= 0) functions[current].count += u & 0xFFFFu;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    size_t i;
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed, n);
    if (n_functions > 0 && n > 0 && n < 0x10000u) {
        long f = function_at(qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, 0)));
        qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, (void *)(((uintptr_t)(f + 1) << 16) | n));
    }
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

static int by_start(const void *a, const void *b)
{
    const struct function *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* reads "<hex start> <hex size> <name>" lines (Thumb bit 0 dropped); 0 on success */
static int read_functions(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    if (f == NULL) {
        fprintf(stderr, "kiln_icount: cannot read %s\n", path);
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL && n_functions < KILN_MAX_FUNCTIONS) {
        unsigned long long start, size;
        char name[96];
        if (sscanf(line, "%llx %llx %95s", &start, &size, name) != 3 || size == 0) continue;
        functions[n_functions].start = start & ~1ull;
        functions[n_functions].end = (start & ~1ull) + size;
        memcpy(functions[n_functions].name, name, sizeof name);
        n_functions++;
    }
    fclose(f);
    qsort(functions, n_functions, sizeof functions[0], by_start);
    return 0;
}

KILN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc, char **argv)
{
    int i;
    (void)info;
    for (i = 0; i < argc; i++) {
        if (strncmp(argv[i], "functions=", 10) == 0) {
            if (read_functions(argv[i] + 10) != 0) return -1;
        } else if (!parse(argv[i], "start", &start_addr) && !parse(argv[i], "stop", &stop_addr)) {
            fprintf(stderr, "kiln_icount: unknown argument %s (expected start=ADDR,stop=ADDR[,functions=FILE])\n", argv[i]);
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
