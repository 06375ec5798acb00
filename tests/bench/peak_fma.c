/*
 * The roofline of tests/bench/run-bench.sh: the peak float multiply-add rate of one core, measured with the widest
 * vector the compiler's instruction set has (-march=native: AVX-512F 16 lanes, AVX/AVX2 8, else 4) in 12
 * independent FMA chains (registers), the best of 7 trials of the thread's CPU time. Prints "ISA LANES GFMA/s".
 * Build: gcc -O2 -march=native peak_fma.c -o peak_fma  (GNU C: a*b+c contracts to one FMA instruction).
 */
#include <stdio.h>
#include <time.h>

#if defined(__AVX512F__)
#define WIDTH 64
#define ISA "avx512f"
#elif defined(__AVX__) && defined(__FMA__)
#define WIDTH 32
#define ISA "avx2+fma"
#elif defined(__AVX__)
#define WIDTH 32
#define ISA "avx(no-fma)"
#else
#define WIDTH 16
#define ISA "128-bit"
#endif

typedef float vec __attribute__((vector_size(WIDTH)));
#define LANES (WIDTH / 4)
#define CHAINS 12

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long iters = 20000000;
    vec acc[CHAINS], a, b;
    double best = 0;
    int i, k;
    (void)argv;
    for (k = 0; k < LANES; k++) {
        a[k] = 0.999999f + (float)argc * 1e-9f;
        b[k] = 1e-7f;
    }
    for (int trial = 0; trial < 7; trial++) {
        for (i = 0; i < CHAINS; i++) acc[i] = b * (float)(i + 1);
        double t0 = cpu_seconds();
        vec c0 = acc[0], c1 = acc[1], c2 = acc[2], c3 = acc[3], c4 = acc[4], c5 = acc[5];
        vec c6 = acc[6], c7 = acc[7], c8 = acc[8], c9 = acc[9], c10 = acc[10], c11 = acc[11];
        for (long n = 0; n < iters; n++) {
            c0 = c0 * a + b; c1 = c1 * a + b; c2 = c2 * a + b; c3 = c3 * a + b; c4 = c4 * a + b; c5 = c5 * a + b;
            c6 = c6 * a + b; c7 = c7 * a + b; c8 = c8 * a + b; c9 = c9 * a + b; c10 = c10 * a + b; c11 = c11 * a + b;
        }
        acc[0] = c0; acc[1] = c1; acc[2] = c2; acc[3] = c3; acc[4] = c4; acc[5] = c5;
        acc[6] = c6; acc[7] = c7; acc[8] = c8; acc[9] = c9; acc[10] = c10; acc[11] = c11;
        double s = cpu_seconds() - t0;
        double rate = (double)iters * CHAINS * LANES / s;
        if (rate > best) best = rate;
    }
    float sink = 0;
    for (i = 0; i < CHAINS; i++) for (k = 0; k < LANES; k++) sink += acc[i][k];
    printf("%s %d %.1f%s\n", ISA, LANES, best * 1e-9, sink == 12345.f ? " " : "");
    return 0;
}
