/*
 * Kiln's minimal Cortex-M startup for bare-metal test and benchmark programs: vector table, .data copy,
 * .bss zeroing, FPU enable (CPACR) before any float instruction, then main() and exit() (semihosting).
 * Plain C99; the linker script kiln_cortexm.ld provides the symbols.
 */
#include <stdint.h>

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
extern int main(void);
extern void exit(int status);

void kiln_reset_handler(void);
void kiln_default_handler(void);

void kiln_reset_handler(void)
{
    uint32_t *src = &_sidata;
    uint32_t *dst = &_sdata;
    while (dst < &_edata) *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss;) *dst++ = 0;
#if defined(__ARM_FP)
    /* CPACR: full access to coprocessors 10 and 11 (the FPU) */
    *(volatile uint32_t *)0xE000ED88u |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    exit(main());
}

/* A fault or unexpected interrupt: report through semihosting's exit so qemu stops instead of hanging. */
void kiln_default_handler(void)
{
    exit(99);
}

typedef void (*kiln_vector)(void);

__attribute__((section(".vectors"), used)) static const kiln_vector kiln_vectors[16] = {
    (kiln_vector)(uintptr_t)&_estack, kiln_reset_handler, kiln_default_handler, kiln_default_handler,
    kiln_default_handler, kiln_default_handler, kiln_default_handler, 0, 0, 0, 0, kiln_default_handler,
    kiln_default_handler, 0, kiln_default_handler, kiln_default_handler};
