/*
 * Kiln's int8 kernels for hosts (x86-64 with AVX-512 VNNI, AVX-VNNI or AVX2; AArch64 with the dot-product extension
 * (sdot) or plain NEON; any other CPU in plain C), included by generated code whose target takes the host int8 forms
 * (Target.hostInt8). The integer results are exact, so every path gives the same bytes as the interpreter
 * (dev.kiln.quant.FixedPoint is the definition).
 *
 * Convolutions with one group and matrix products are a packed GEMM, acc[o][p] = sum_k A[o][k] * B[k][p]:
 *   A, the weights, packed by Kiln at compile time: [ceil(O / 8)][K4][8][4] int8 (K4 = ceil(K / 4); for each block
 *     of 8 output channels and each quad of the reduction, the 8 channels' 4 weights; zero beyond O and K);
 *   B, the columns, packed by the kernel at run time: [K4][Ppad][4] bytes (Ppad = P rounded up to 16): on x86 and in
 *     plain C the input value plus 128 (int8 inputs, "flip" 0x80) or as it is (uint8), as uint8, so a 32-bit lane
 *     holds the 4 taps of a quad; on AArch64 (KILN_QG_SIGNED) that value minus 128 as int8 (sdot multiplies signed
 *     bytes: the kernels xor KILN_QG_BFLIP into the flip); the padding of a window holds the zero point in that
 *     form (its taps add (zp - zp) * w = 0).
 * The kernel's tables hold bias[o] and wsum[o] = sum_k A[o][k], and the call the zero point zpu as the uint8 form
 * stores it; comp = (zpu - 128 * KILN_QG_SIGNED) * wsum[o] is the zero point's share, so that acc - comp + bias =
 * bias + sum (x - zp) * w. The plain-C path sums in signed int32 (the u8 x s8 sum of a
 * reduction of at most 65536 stays below 2^31) and adds the bias as the portable kernels do, so a sanitizer reports
 * an accumulator overflow there too; vpdpbusd and the vector requantization wrap modulo 2^32, which gives the same
 * result whenever the true sum fits int32 (the int8 lowering proves it).
 * The tile is KILN_QG_MR (8) output channels by KILN_QG_NR (16) positions: one zmm accumulator per channel with
 * AVX-512 VNNI (vpdpbusd), two ymm with AVX-VNNI, two ymm with AVX2 (u8 and s8 widened to 16 bits, vpmaddwd: exact,
 * unlike vpmaddubsw, which saturates); on AArch64 four passes of 4 positions, one q register per channel (sdot by
 * lane), or two without the dot-product extension (smull and sadalp: pair sums, added pairwise at the end); or
 * plain C loops. The AArch64 and plain-C paths compute only the positions of a partial tile (by fours on AArch64),
 * so a matrix product of one row does not pay for sixteen.
 */
#ifndef KILN_INT8_HOST_H
#define KILN_INT8_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
/* B holds signed bytes (the uint8 form minus 128): sdot and smull multiply signed by signed */
#define KILN_QG_SIGNED 1
#else
#define KILN_QG_SIGNED 0
#endif
/* what the column packers xor into the input's bytes beyond the flip: B's signed form on AArch64 */
#define KILN_QG_BFLIP (KILN_QG_SIGNED ? 0x80u : 0u)
#include "kiln_runtime.h"

#define KILN_QG_MR 8
#define KILN_QG_NR 16
/* positions whose sums kiln_qgemm_s8 keeps for 8 channels before requantizing each channel's run of them at once */
#define KILN_QG_CHUNK 256

/* The name of the GEMM path this translation unit was compiled with (for benchmarks and tests). */
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
#define KILN_QG_PATH "avx512vnni"
#elif defined(__AVXVNNI__)
#define KILN_QG_PATH "avxvnni"
#elif defined(__AVX2__)
#define KILN_QG_PATH "avx2"
#elif KILN_QG_SIGNED && defined(__ARM_FEATURE_DOTPROD)
#define KILN_QG_PATH "sdot"
#elif KILN_QG_SIGNED
#define KILN_QG_PATH "neon"
#else
#define KILN_QG_PATH "c"
#endif

static inline int32_t kiln_ld32(const void *p)
{
    int32_t v;
    memcpy(&v, p, 4u);
    return v;
}

#if KILN_QG_SIGNED
/*
 * Four positions of a tile: acc[i * ldc + j] for i < 8, j < 4, from B's positions at b (signed bytes). With sdot one
 * accumulator per channel takes the channel's quad as a lane of the weights; without it, the 16 byte products of
 * smull are added in pairs into two accumulators per channel (lanes: pair sums of positions 0-1, of 2-3), and addp
 * gives the four sums.
 */
static inline void kiln_qgemm_cols4(const int8_t *a, const uint8_t *b, size_t k4, size_t bstride, int32_t *acc, size_t ldc)
{
    size_t q;
#if defined(__ARM_FEATURE_DOTPROD)
    int32x4_t c0 = vdupq_n_s32(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    for (q = 0; q < k4; ++q) {
        const int8x16_t v = vld1q_s8((const int8_t *)(const void *)(b + q * bstride));
        const int8x16_t w0 = vld1q_s8(a + q * 32u), w1 = vld1q_s8(a + q * 32u + 16u);
        c0 = vdotq_laneq_s32(c0, v, w0, 0);
        c1 = vdotq_laneq_s32(c1, v, w0, 1);
        c2 = vdotq_laneq_s32(c2, v, w0, 2);
        c3 = vdotq_laneq_s32(c3, v, w0, 3);
        c4 = vdotq_laneq_s32(c4, v, w1, 0);
        c5 = vdotq_laneq_s32(c5, v, w1, 1);
        c6 = vdotq_laneq_s32(c6, v, w1, 2);
        c7 = vdotq_laneq_s32(c7, v, w1, 3);
    }
#else
    int32x4_t l0 = vdupq_n_s32(0), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0;
    int32x4_t h0 = l0, h1 = l0, h2 = l0, h3 = l0, h4 = l0, h5 = l0, h6 = l0, h7 = l0;
    int32x4_t c0, c1, c2, c3, c4, c5, c6, c7;
    for (q = 0; q < k4; ++q) {
        const int8x16_t v = vld1q_s8((const int8_t *)(const void *)(b + q * bstride));
        const int8x8_t vl = vget_low_s8(v);
        const int32x4_t w0 = vreinterpretq_s32_s8(vld1q_s8(a + q * 32u)), w1 = vreinterpretq_s32_s8(vld1q_s8(a + q * 32u + 16u));
#define KILN_QG_PAIRS(l, h, w, lane) do { \
            const int8x16_t wl = vreinterpretq_s8_s32(vdupq_laneq_s32(w, lane)); \
            l = vpadalq_s16(l, vmull_s8(vl, vget_low_s8(wl))); \
            h = vpadalq_s16(h, vmull_high_s8(v, wl)); \
        } while (0)
        KILN_QG_PAIRS(l0, h0, w0, 0);
        KILN_QG_PAIRS(l1, h1, w0, 1);
        KILN_QG_PAIRS(l2, h2, w0, 2);
        KILN_QG_PAIRS(l3, h3, w0, 3);
        KILN_QG_PAIRS(l4, h4, w1, 0);
        KILN_QG_PAIRS(l5, h5, w1, 1);
        KILN_QG_PAIRS(l6, h6, w1, 2);
        KILN_QG_PAIRS(l7, h7, w1, 3);
#undef KILN_QG_PAIRS
    }
    c0 = vpaddq_s32(l0, h0);
    c1 = vpaddq_s32(l1, h1);
    c2 = vpaddq_s32(l2, h2);
    c3 = vpaddq_s32(l3, h3);
    c4 = vpaddq_s32(l4, h4);
    c5 = vpaddq_s32(l5, h5);
    c6 = vpaddq_s32(l6, h6);
    c7 = vpaddq_s32(l7, h7);
#endif
    vst1q_s32(acc, c0);
    vst1q_s32(acc + 1 * ldc, c1);
    vst1q_s32(acc + 2 * ldc, c2);
    vst1q_s32(acc + 3 * ldc, c3);
    vst1q_s32(acc + 4 * ldc, c4);
    vst1q_s32(acc + 5 * ldc, c5);
    vst1q_s32(acc + 6 * ldc, c6);
    vst1q_s32(acc + 7 * ldc, c7);
}
#endif

/*
 * One tile: acc[i * ldc + j] = sum over quads q of the 4 products of a[q * 32 + i * 4 + t] and b[q * bstride + j * 4 + t]
 * (bstride: bytes between two quads of B, Ppad * 4), for j < nr at least (the x86 paths compute all 16; B holds
 * Ppad positions, so any of them may be read).
 */
static inline void kiln_qgemm_tile(const int8_t *a, const uint8_t *b, size_t k4, size_t bstride, size_t nr, int32_t *acc, size_t ldc)
{
#if KILN_QG_SIGNED
    size_t j;
    for (j = 0; j < nr; j += 4u) kiln_qgemm_cols4(a, b + j * 4u, k4, bstride, acc + j, ldc);
#elif defined(__AVX512VNNI__) && defined(__AVX512BW__)
    __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    size_t q;
    for (q = 0; q < k4; ++q) {
        const __m512i v = _mm512_loadu_si512((const void *)(b + q * bstride));
        const int8_t *w = a + q * 32u;
        c0 = _mm512_dpbusd_epi32(c0, v, _mm512_set1_epi32(kiln_ld32(w)));
        c1 = _mm512_dpbusd_epi32(c1, v, _mm512_set1_epi32(kiln_ld32(w + 4)));
        c2 = _mm512_dpbusd_epi32(c2, v, _mm512_set1_epi32(kiln_ld32(w + 8)));
        c3 = _mm512_dpbusd_epi32(c3, v, _mm512_set1_epi32(kiln_ld32(w + 12)));
        c4 = _mm512_dpbusd_epi32(c4, v, _mm512_set1_epi32(kiln_ld32(w + 16)));
        c5 = _mm512_dpbusd_epi32(c5, v, _mm512_set1_epi32(kiln_ld32(w + 20)));
        c6 = _mm512_dpbusd_epi32(c6, v, _mm512_set1_epi32(kiln_ld32(w + 24)));
        c7 = _mm512_dpbusd_epi32(c7, v, _mm512_set1_epi32(kiln_ld32(w + 28)));
    }
    _mm512_storeu_si512((void *)(acc + 0), c0);
    _mm512_storeu_si512((void *)(acc + 1 * ldc), c1);
    _mm512_storeu_si512((void *)(acc + 2 * ldc), c2);
    _mm512_storeu_si512((void *)(acc + 3 * ldc), c3);
    _mm512_storeu_si512((void *)(acc + 4 * ldc), c4);
    _mm512_storeu_si512((void *)(acc + 5 * ldc), c5);
    _mm512_storeu_si512((void *)(acc + 6 * ldc), c6);
    _mm512_storeu_si512((void *)(acc + 7 * ldc), c7);
    (void)nr;
#elif defined(__AVX2__)
    size_t h;
    for (h = 0; h < 2u; ++h) {
        __m256i c[KILN_QG_MR];
        size_t i, q;
        for (i = 0; i < KILN_QG_MR; ++i) c[i] = _mm256_setzero_si256();
        for (q = 0; q < k4; ++q) {
            const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(b + q * bstride + h * 32u));
            const int8_t *w = a + q * 32u;
#if defined(__AVXVNNI__)
            for (i = 0; i < KILN_QG_MR; ++i) c[i] = _mm256_dpbusd_avx_epi32(c[i], v, _mm256_set1_epi32(kiln_ld32(w + 4u * i)));
#else
            /* bytes 0 and 2 of each lane, and bytes 1 and 3, as 16-bit values; the weights' likewise, sign-extended */
            const __m256i even = _mm256_and_si256(v, _mm256_set1_epi16(0x00FF)), odd = _mm256_srli_epi16(v, 8);
            for (i = 0; i < KILN_QG_MR; ++i) {
                const __m256i wq = _mm256_set1_epi32(kiln_ld32(w + 4u * i));
                const __m256i we = _mm256_srai_epi16(_mm256_slli_epi16(wq, 8), 8), wo = _mm256_srai_epi16(wq, 8);
                c[i] = _mm256_add_epi32(c[i], _mm256_add_epi32(_mm256_madd_epi16(even, we), _mm256_madd_epi16(odd, wo)));
            }
#endif
        }
        for (i = 0; i < KILN_QG_MR; ++i) _mm256_storeu_si256((__m256i *)(void *)(acc + i * ldc + h * 8u), c[i]);
    }
    (void)nr;
#else
    size_t i, j, q, t;
    for (i = 0; i < KILN_QG_MR; ++i)
        for (j = 0; j < KILN_QG_NR; ++j) acc[i * ldc + j] = 0;
    for (q = 0; q < k4; ++q) {
        const int8_t *w = a + q * 32u;
        const uint8_t *v = b + q * bstride;
        for (i = 0; i < KILN_QG_MR; ++i) {
            for (j = 0; j < nr; ++j) {
                int32_t s = acc[i * ldc + j];
                for (t = 0; t < 4u; ++t) s += (int32_t)w[i * 4u + t] * (int32_t)v[j * 4u + t];
                acc[i * ldc + j] = s;
            }
        }
    }
#endif
}

#if defined(__AVX512F__) && defined(__AVX512BW__)
/* The constants of kiln_q_rq16 for one channel: the added bias, m, zp, the clamp, 2^(30 - s) and the shift -1 - s. */
typedef struct {
    __m512i vb, vm, vzp, vlo, vhi, vr;
    __m128i sh;
} kiln_q_rqc;

static inline kiln_q_rqc kiln_q_rqc_of(int32_t add, int32_t m, int32_t s, int32_t zp, int32_t lo, int32_t hi)
{
    kiln_q_rqc c;
    c.vb = _mm512_set1_epi32(add);
    c.vm = _mm512_set1_epi32(m);
    c.vzp = _mm512_set1_epi32(zp);
    c.vlo = _mm512_set1_epi32(lo);
    c.vhi = _mm512_set1_epi32(hi);
    c.vr = _mm512_set1_epi64((long long)((int64_t)1 << (30 - s)));
    c.sh = _mm_cvtsi32_si128(-1 - s);
    return c;
}

/*
 * clamp(kiln_requantize_q31_r32(acc + add, m, s) + zp, lo, hi) on 16 lanes (shifts in [-31, -1], m >= 0): the 64-bit
 * products of the even lanes and of the odd lanes (vpmuldq), each plus 2^(30 - s) minus [acc < 0], their high halves
 * put back in place, shifted right by -1 - s; zp and the clamp.
 */
static inline __m512i kiln_q_rq16(__m512i acc, const kiln_q_rqc *c)
{
    const __m512i a = _mm512_add_epi32(acc, c->vb);
    const __m512i odd = _mm512_srli_epi64(a, 32);
    __m512i pe = _mm512_mul_epi32(a, c->vm), po = _mm512_mul_epi32(odd, c->vm), v;
    pe = _mm512_add_epi64(_mm512_add_epi64(pe, c->vr), _mm512_srai_epi64(_mm512_slli_epi64(a, 32), 63));
    po = _mm512_add_epi64(_mm512_add_epi64(po, c->vr), _mm512_srai_epi64(a, 63));
    v = _mm512_mask_blend_epi32((__mmask16)0xAAAA, _mm512_srli_epi64(pe, 32), po);
    v = _mm512_add_epi32(_mm512_sra_epi32(v, c->sh), c->vzp);
    return _mm512_min_epi32(_mm512_max_epi32(v, c->vlo), c->vhi);
}
#endif

/*
 * y[p] = clamp(requantize(acc[p] - comp + bias) + zp, lo, hi) for p < n, y's elements ystep apart; fast: every shift
 * in [-31, -1] with m >= 0, so the branch-free kiln_requantize_q31_r32 applies (a loop the compiler vectorises).
 */
static inline void kiln_q_requantize_row(const int32_t *acc, size_t n, int32_t comp, int32_t bias, int32_t m, int32_t s, int fast,
        int32_t zp, int32_t lo, int32_t hi, int8_t *y, size_t ystep)
{
    size_t p = 0;
#if defined(__AVX512F__) && defined(__AVX512BW__)
    if (fast && ystep == 1u) {
        const kiln_q_rqc c = kiln_q_rqc_of((int32_t)((uint32_t)bias - (uint32_t)comp), m, s, zp, lo, hi);
        for (; p < n; p += 16u) {
            const __mmask16 k = n - p >= 16u ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - p)) - 1u);
            _mm512_mask_cvtepi32_storeu_epi8(y + p, k, kiln_q_rq16(_mm512_maskz_loadu_epi32(k, acc + p), &c));
        }
        return;
    }
#endif
#if KILN_QG_SIGNED
    /*
     * kiln_requantize_q31_r32 on 16 lanes: each lane's 64-bit acc * m plus 2^(30 - s) (smlal) minus [acc < 0], the
     * high words (uzp2) shifted right by -1 - s (sshl by 1 + s); then narrowed with saturation to 16 bits, zp added
     * saturating and clamped there (exact: a saturated value plus zp stays beyond the clamp), narrowed to bytes. A tail
     * shorter than 16 is the block ending at n (recomputed outputs get the same bytes), unless n < 16.
     */
    if (fast && ystep == 1u && n >= 16u) {
        const int32x4_t vb = vdupq_n_s32((int32_t)((uint32_t)bias - (uint32_t)comp)), vm = vdupq_n_s32(m), vsh = vdupq_n_s32(1 + s);
        const int64x2_t vr = vdupq_n_s64((int64_t)1 << (30 - s));
        const int16x8_t vzp = vdupq_n_s16((int16_t)zp), vlo = vdupq_n_s16((int16_t)lo), vhi = vdupq_n_s16((int16_t)hi);
        for (p = 0; p < n; p += 16u) {
            int16x8_t h0, h1;
            int32x4_t v[4];
            size_t j;
            if (p + 16u > n) p = n - 16u;
            for (j = 0; j < 4u; ++j) {
                const int32x4_t a = vaddq_s32(vld1q_s32(acc + p + 4u * j), vb), neg = vshrq_n_s32(a, 31);
                const int64x2_t l = vaddw_s32(vmlal_s32(vr, vget_low_s32(a), vget_low_s32(vm)), vget_low_s32(neg));
                const int64x2_t h = vaddw_high_s32(vmlal_high_s32(vr, a, vm), neg);
                v[j] = vshlq_s32(vuzp2q_s32(vreinterpretq_s32_s64(l), vreinterpretq_s32_s64(h)), vsh);
            }
            h0 = vminq_s16(vmaxq_s16(vqaddq_s16(vqmovn_high_s32(vqmovn_s32(v[0]), v[1]), vzp), vlo), vhi);
            h1 = vminq_s16(vmaxq_s16(vqaddq_s16(vqmovn_high_s32(vqmovn_s32(v[2]), v[3]), vzp), vlo), vhi);
            vst1q_s8(y + p, vmovn_high_s16(vmovn_s16(h0), h1));
        }
        return;
    }
#endif
    if (fast && ystep == 1u) {
        for (p = 0; p < n; ++p) {
            const int32_t v = kiln_requantize_q31_r32(acc[p] - comp + bias, m, s) + zp;
            y[p] = (int8_t)(v < lo ? lo : v > hi ? hi : v);
        }
    } else {
        for (p = 0; p < n; ++p)
            y[p * ystep] = (int8_t)kiln_add_zp_clamp(kiln_requantize_q31(acc[p] - comp + bias, m, s), zp, lo, hi);
    }
}

/*
 * The whole GEMM with requantization: y[o * so + p * sp] for o < oc, p < np, from packed A (a), packed B (b, Ppad
 * positions per quad; tiles of 8 channels by 16 positions, their sums kept for up to KILN_QG_CHUNK positions, then
 * each channel's run requantized in one call), the bias and weight-sum tables, the input zero point in B's uint8 form (zpu), per-channel
 * multipliers and shifts, fast as for kiln_q_requantize_row.
 */
static inline void kiln_qgemm_s8(const int8_t *a, const uint8_t *b, size_t oc, size_t k4, size_t np, size_t ppad,
        const int32_t *bias, const int32_t *wsum, int32_t zpu, const int32_t *mult, const int32_t *shift, int fast, int32_t zp, int32_t lo, int32_t hi,
        int8_t *y, size_t so, size_t sp)
{
    int32_t acc[KILN_QG_MR * KILN_QG_CHUNK];
    size_t ob, c0, p0, i;
    for (ob = 0; ob < oc; ob += KILN_QG_MR) {
        const int8_t *ab = a + (ob / KILN_QG_MR) * k4 * 32u;
        const size_t mr = oc - ob < KILN_QG_MR ? oc - ob : KILN_QG_MR;
        for (c0 = 0; c0 < np; c0 += KILN_QG_CHUNK) {
            const size_t nc = np - c0 < KILN_QG_CHUNK ? np - c0 : KILN_QG_CHUNK;
            for (p0 = c0; p0 < c0 + nc; p0 += KILN_QG_NR) {
                const size_t nr = c0 + nc - p0 < KILN_QG_NR ? c0 + nc - p0 : KILN_QG_NR;
                kiln_qgemm_tile(ab, b + p0 * 4u, k4, ppad * 4u, nr, acc + (p0 - c0), KILN_QG_CHUNK);
            }
            for (i = 0; i < mr; ++i) {
                const size_t o = ob + i;
                kiln_q_requantize_row(acc + i * KILN_QG_CHUNK, nc, (zpu - 128 * KILN_QG_SIGNED) * wsum[o], bias[o], mult[o], shift[o], fast, zp,
                        lo, hi, y + o * so + c0 * sp, sp);
            }
        }
    }
}

/*
 * Columns from four rows of n bytes (int8 data flipped by xor with flip, 0x80, or uint8 data as is, flip 0; then
 * KILN_QG_BFLIP): b[p * 4 + t] = r_t[p] ^ flip ^ KILN_QG_BFLIP. Positions n..ppad - 1 are set to 0 (their sums are computed and dropped).
 */
static inline void kiln_qcol_quad(const uint8_t *r0, const uint8_t *r1, const uint8_t *r2, const uint8_t *r3, size_t n,
        size_t ppad, uint8_t flip, uint8_t *b)
{
    const uint32_t f = (uint32_t)(flip ^ KILN_QG_BFLIP) * 0x01010101u;
    size_t p;
    for (p = 0; p < n; ++p) {
        const uint32_t v = ((uint32_t)r0[p] | (uint32_t)r1[p] << 8 | (uint32_t)r2[p] << 16 | (uint32_t)r3[p] << 24) ^ f;
        memcpy(b + p * 4u, &v, 4u);
    }
    if (ppad > n) memset(b + n * 4u, 0, (ppad - n) * 4u);
}

/*
 * B from k rows of n bytes each, rows stride bytes apart (a 1x1 convolution's input planes, or im2col rows);
 * rows k..4 * K4 - 1 read row 0 again (their weights are 0).
 */
static inline void kiln_qcol_planes(const uint8_t *x, size_t k, size_t stride, size_t n, size_t ppad, uint8_t flip, uint8_t *b)
{
    size_t q;
    for (q = 0; q < k; q += 4u) {
        const uint8_t *r0 = x + q * stride;
        const uint8_t *r1 = q + 1u < k ? r0 + stride : x;
        const uint8_t *r2 = q + 2u < k ? r0 + 2u * stride : x;
        const uint8_t *r3 = q + 3u < k ? r0 + 3u * stride : x;
        kiln_qcol_quad(r0, r1, r2, r3, n, ppad, flip, b + (q / 4u) * ppad * 4u);
    }
}

/*
 * B of a matrix product: positions are the rows of X [np][k] (bytes), b[q][p][t] = X[p][4q + t] ^ flip, 0 past k and
 * past np.
 */
static inline void kiln_qcol_rows(const uint8_t *x, size_t np, size_t k, size_t ppad, uint8_t flip, uint8_t *b)
{
    size_t q, p, t;
    memset(b, 0, ((k + 3u) / 4u) * ppad * 4u);
    for (q = 0; q < k; q += 4u)
        for (p = 0; p < np; ++p)
            for (t = 0; t < 4u && q + t < k; ++t) b[(q / 4u) * ppad * 4u + p * 4u + t] = (uint8_t)(x[p * k + q + t] ^ flip ^ KILN_QG_BFLIP);
}

/*
 * A padded copy of c input planes (ih x iw bytes each) into pp (c planes of rows x cols), the input's (0, 0) at
 * (pt, pl), the border filled with zpr (the zero point's raw byte: its taps add nothing).
 */
static inline void kiln_qcol_pad(const uint8_t *x, size_t c, size_t ih, size_t iw, size_t pt, size_t pl, size_t rows, size_t cols,
        uint8_t zpr, uint8_t *pp)
{
    size_t ci, r;
    memset(pp, zpr, c * rows * cols);
    for (ci = 0; ci < c; ++ci)
        for (r = 0; r < ih; ++r) memcpy(pp + (ci * rows + r + pt) * cols + pl, x + (ci * ih + r) * iw, iw);
}

/*
 * B of a 2-D convolution with one group from the padded planes (rows x cols): reduction index k = (ci * kh + ki) * kw
 * + kj, the weights' order; each quad of it in one pass over the output positions, reading the four taps' elements
 * (rows k..4 * K4 - 1 read row 0 again: their weights are 0).
 */
static inline void kiln_qcol_conv2d(const uint8_t *pp, size_t c, size_t rows, size_t cols, size_t kh, size_t kw, size_t oh,
        size_t ow, size_t sh, size_t sw, size_t dh, size_t dw, uint8_t flip, size_t ppad, uint8_t *b)
{
    const size_t taps = kh * kw, k = c * taps, np = oh * ow;
    const uint32_t f = (uint32_t)(flip ^ KILN_QG_BFLIP) * 0x01010101u;
    size_t q, t, r, cc;
    for (q = 0; q < k; q += 4u) {
        const uint8_t *src[4];
        uint8_t *bq = b + (q / 4u) * ppad * 4u;
        for (t = 0; t < 4u; ++t) {
            const size_t kk = q + t < k ? q + t : 0;
            src[t] = pp + ((kk / taps) * rows + ((kk % taps) / kw) * dh) * cols + (kk % kw) * dw;
        }
        for (r = 0; r < oh; ++r) {
            const uint8_t *s0 = src[0] + r * sh * cols, *s1 = src[1] + r * sh * cols;
            const uint8_t *s2 = src[2] + r * sh * cols, *s3 = src[3] + r * sh * cols;
            uint8_t *o = bq + r * ow * 4u;
            if (sw == 1u) {
                for (cc = 0; cc < ow; ++cc) {
                    const uint32_t v = ((uint32_t)s0[cc] | (uint32_t)s1[cc] << 8 | (uint32_t)s2[cc] << 16 | (uint32_t)s3[cc] << 24) ^ f;
                    memcpy(o + cc * 4u, &v, 4u);
                }
            } else {
                for (cc = 0; cc < ow; ++cc) {
                    const size_t e = cc * sw;
                    const uint32_t v = ((uint32_t)s0[e] | (uint32_t)s1[e] << 8 | (uint32_t)s2[e] << 16 | (uint32_t)s3[e] << 24) ^ f;
                    memcpy(o + cc * 4u, &v, 4u);
                }
            }
        }
        if (ppad > np) memset(bq + np * 4u, 0, (ppad - np) * 4u);
    }
}

/*
 * Depthwise convolutions compute in float: every product (x - zp) * w is an integer of magnitude at most 255 * 128
 * and a window has at most 514 taps (HostInt8 checks), so every partial sum is an integer below 2^24, which float
 * represents exactly whatever the order of the additions: the sums are the exact integer sums, and the requantization
 * is the integer one. On AArch64 (KILN_QG_SIGNED) the plane holds int16 (x - zp fits: |x - zp| <= 383) and the sums
 * are int32, 16 outputs at a time in four q registers (smlal by the tap's weight), the window's taps unrolled for 3x3. The padded input plane is stored split by stride phase: for strides sh x sw it is sh * sw
 * sub-planes of srows x scols, element (y, x) of the padded plane in sub-plane (y % sh) * sw + x % sw at
 * (y / sh, x / sw); then every tap of every output position reads one sub-plane at a fixed offset, and one pass per
 * tap over a flat run of (oh - 1) * scols + ow accumulators computes a whole output plane (the columns past ow are
 * dropped).
 */

/*
 * Copies one input plane (ih x iw, int8 or u8 when u8 is set) minus its zero point into the split padded plane pp,
 * the input's (0, 0) at padded (pt, pl). The border is not written: the caller clears pp once (every plane writes
 * the same elements).
 */
#if KILN_QG_SIGNED
typedef int16_t kiln_qdw_t;
#else
typedef float kiln_qdw_t;
#endif

static inline void kiln_qdw_plane(const void *x, int u8, int32_t zp, size_t ih, size_t iw, size_t pt, size_t pl, size_t sh,
        size_t sw, size_t srows, size_t scols, kiln_qdw_t *pp)
{
    size_t r, c;
    for (r = 0; r < ih; ++r) {
        const size_t yy = r + pt;
        kiln_qdw_t *sub = pp + (yy % sh) * sw * srows * scols + (yy / sh) * scols;
        if (sw == 1u) {
            kiln_qdw_t *o = sub + pl;
#if KILN_QG_SIGNED
            /*
             * rows of at most 8: 8 bytes read (inside the plane) and 8 values stored with the lanes past iw zero (the
             * row's right border and the next row's left one, which later rows overwrite where they hold data;
             * inside pp's sub-plane)
             */
            if (!u8 && iw <= 8u && r * iw + 8u <= ih * iw && (size_t)(o - pp) + 8u <= sh * srows * scols) {
                static const uint16_t lane[8] = {0, 1, 2, 3, 4, 5, 6, 7};
                const uint16x8_t keep = vcltq_u16(vld1q_u16(lane), vdupq_n_u16((uint16_t)iw));
                const int16x8_t v = vsubq_s16(vmovl_s8(vld1_s8((const int8_t *)x + r * iw)), vdupq_n_s16((int16_t)zp));
                vst1q_s16(o, vandq_s16(v, vreinterpretq_s16_u16(keep)));
                continue;
            }
#endif
            if (u8) {
                const uint8_t *xr = (const uint8_t *)x + r * iw;
                for (c = 0; c < iw; ++c) o[c] = (kiln_qdw_t)((int32_t)xr[c] - zp);
            } else {
                const int8_t *xr = (const int8_t *)x + r * iw;
                for (c = 0; c < iw; ++c) o[c] = (kiln_qdw_t)((int32_t)xr[c] - zp);
            }
        } else {
            /* phase ph holds the columns c with (c + pl) % sw == ph, from c0 on, sw apart, at (c0 + pl) / sw on */
            size_t ph;
            for (ph = 0; ph < sw; ++ph) {
                const size_t c0 = (ph + sw - pl % sw) % sw;
                kiln_qdw_t *o = sub + ph * srows * scols + (c0 + pl) / sw;
                if (c0 >= iw) continue;
                if (u8) {
                    const uint8_t *xr = (const uint8_t *)x + r * iw + c0;
                    for (c = 0; c * sw < iw - c0; ++c) o[c] = (kiln_qdw_t)((int32_t)xr[c * sw] - zp);
                } else {
                    const int8_t *xr = (const int8_t *)x + r * iw + c0;
                    for (c = 0; c * sw < iw - c0; ++c) o[c] = (kiln_qdw_t)((int32_t)xr[c * sw] - zp);
                }
            }
        }
    }
}

#if KILN_QG_SIGNED
/* The sums of flat outputs i..i + 15 over the taps (tap t reads the plane at off[t] with weight wt[t]), added to acc's when add is set. */
static inline void kiln_qdw_block16(const int16_t *pp, const size_t *off, const int16_t *wt, size_t taps, size_t i, int add, int32_t *acc)
{
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
    size_t t;
    if (add) {
        a0 = vld1q_s32(acc + i);
        a1 = vld1q_s32(acc + i + 4u);
        a2 = vld1q_s32(acc + i + 8u);
        a3 = vld1q_s32(acc + i + 12u);
    }
    for (t = 0; t < taps; ++t) {
        const int16_t *src = pp + off[t] + i;
        const int16x8_t x0 = vld1q_s16(src), x1 = vld1q_s16(src + 8);
        a0 = vmlal_n_s16(a0, vget_low_s16(x0), wt[t]);
        a1 = vmlal_high_n_s16(a1, x0, wt[t]);
        a2 = vmlal_n_s16(a2, vget_low_s16(x1), wt[t]);
        a3 = vmlal_high_n_s16(a3, x1, wt[t]);
    }
    vst1q_s32(acc + i, a0);
    vst1q_s32(acc + i + 4u, a1);
    vst1q_s32(acc + i + 8u, a2);
    vst1q_s32(acc + i + 12u, a3);
}

/*
 * The sums of flat outputs 0..n - 1 over the taps, 16 at a time (a tail shorter than 16 one by one, or, when nothing
 * is added and n >= 16, as the block ending at n: its overlap is computed twice), added to acc's when add is set.
 * Inlined with a constant tap count for 3x3, so the weights and offsets stay in registers across the outputs.
 */
static inline void kiln_qdw_sums(const int16_t *pp, const size_t *off, const int16_t *wt, size_t taps, size_t n, int add, int32_t *acc)
{
    size_t i, t;
    for (i = 0; i + 16u <= n; i += 16u) kiln_qdw_block16(pp, off, wt, taps, i, add, acc);
    if (i < n && !add && n >= 16u) {
        kiln_qdw_block16(pp, off, wt, taps, n - 16u, 0, acc);
        return;
    }
    if (i < n) {
        /* (a count and pointers: gcc 12 at -O3 otherwise warns of an iteration 2^63 of this loop) */
        const size_t left = n - i;
        const int16_t *q = pp + i;
        int32_t *a = acc + i;
        size_t j;
        for (j = 0; j < left; ++j) {
            int32_t v = add ? a[j] : 0;
            for (t = 0; t < taps; ++t) v += (int32_t)q[off[t] + j] * (int32_t)wt[t];
            a[j] = v;
        }
    }
}
#endif

#if !KILN_QG_SIGNED
/*
 * The sums of flat outputs i..i + 15 over the taps (tap t reads the plane at off[t] with weight wt[t]), plus acc's
 * when add is set, kept in registers across the taps; stored to acci, and to acc (float) when keep is set (a later
 * group of taps adds to them).
 */
static inline void kiln_qdw_block16f(const float *pp, const size_t *off, const float *wt, size_t taps, size_t i, int add, int keep,
        float *acc, int32_t *acci)
{
    size_t t;
#if defined(__AVX512F__)
    __m512 a0 = add ? _mm512_loadu_ps(acc + i) : _mm512_setzero_ps();
    for (t = 0; t < taps; ++t) a0 = _mm512_fmadd_ps(_mm512_set1_ps(wt[t]), _mm512_loadu_ps(pp + off[t] + i), a0);
    if (keep) _mm512_storeu_ps(acc + i, a0);
    _mm512_storeu_si512((void *)(acci + i), _mm512_cvttps_epi32(a0));
#elif defined(__AVX2__) && defined(__FMA__)
    __m256 a0 = add ? _mm256_loadu_ps(acc + i) : _mm256_setzero_ps(), a1 = add ? _mm256_loadu_ps(acc + i + 8u) : _mm256_setzero_ps();
    for (t = 0; t < taps; ++t) {
        const __m256 wv = _mm256_set1_ps(wt[t]);
        a0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(pp + off[t] + i), a0);
        a1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(pp + off[t] + i + 8u), a1);
    }
    if (keep) {
        _mm256_storeu_ps(acc + i, a0);
        _mm256_storeu_ps(acc + i + 8u, a1);
    }
    _mm256_storeu_si256((__m256i *)(void *)(acci + i), _mm256_cvttps_epi32(a0));
    _mm256_storeu_si256((__m256i *)(void *)(acci + i + 8u), _mm256_cvttps_epi32(a1));
#else
    float a[16];
    size_t j;
    for (j = 0; j < 16u; ++j) a[j] = add ? acc[i + j] : 0.0f;
    for (t = 0; t < taps; ++t)
        for (j = 0; j < 16u; ++j) a[j] += wt[t] * pp[off[t] + i + j];
    for (j = 0; j < 16u; ++j) {
        if (keep) acc[i + j] = a[j];
        acci[i + j] = (int32_t)a[j];
    }
#endif
}

#if defined(__AVX512F__) && defined(__AVX512BW__)
/*
 * Flat outputs 0..n - 1 (n >= 16) requantized to out, 16 at a time (the last block ends at n; its overlap is computed
 * twice, to the same bytes): the sums over the taps in a register, converted to int32 and requantized there (c).
 */
static inline void kiln_qdw_rq_blocks(const float *pp, const size_t *off, const float *wt, size_t taps, size_t n, const kiln_q_rqc *c,
        int8_t *out)
{
    size_t i = 0, t;
    for (;;) {
        __m512 a0 = _mm512_setzero_ps();
        if (i + 16u > n) i = n - 16u;
        for (t = 0; t < taps; ++t) a0 = _mm512_fmadd_ps(_mm512_set1_ps(wt[t]), _mm512_loadu_ps(pp + off[t] + i), a0);
        _mm_storeu_si128((__m128i *)(void *)(out + i), _mm512_cvtepi32_epi8(kiln_q_rq16(_mm512_cvttps_epi32(a0), c)));
        if (i + 16u >= n) return;
        i += 16u;
    }
}
#endif

/*
 * The float twin of kiln_qdw_sums: flat outputs 0..n - 1, 16 at a time (a tail shorter than 16 one by one, or, when
 * nothing is added and n >= 16, as the block ending at n), to acci (and acc when keep is set); inlined with 9 taps
 * for 3x3.
 */
static inline void kiln_qdw_sumsf(const float *pp, const size_t *off, const float *wt, size_t taps, size_t n, int add, int keep,
        float *acc, int32_t *acci)
{
    size_t i, t;
    for (i = 0; i + 16u <= n; i += 16u) kiln_qdw_block16f(pp, off, wt, taps, i, add, keep, acc, acci);
    if (i < n && !add && n >= 16u) {
        kiln_qdw_block16f(pp, off, wt, taps, n - 16u, 0, keep, acc, acci);
        return;
    }
    if (i < n) {
        const size_t left = n - i;
        const float *q = pp + i;
        float *a = acc + i;
        int32_t *ai = acci + i;
        size_t j;
        for (j = 0; j < left; ++j) {
            float v = add ? a[j] : 0.0f;
            for (t = 0; t < taps; ++t) v += wt[t] * q[off[t] + j];
            a[j] = v;
            ai[j] = (int32_t)v;
        }
    }
}
#endif

/*
 * The requantized flat outputs tmp (n = (oh - 1) * scols + ow bytes, row r's outputs at r * scols) to the plane y
 * (oh x ow): rows of 4 to 8 outputs but the last as one 8-byte copy each (the bytes past ow are overwritten by the
 * next row; the copies stay inside y), when tmp has 8 bytes from every such row.
 */
static inline void kiln_qdw_rows(const int8_t *tmp, size_t scols, size_t oh, size_t ow, int8_t *y)
{
    size_t r;
    if (ow <= 8u && ow >= 4u && scols + ow >= 8u) {
        for (r = 0; r + 1u < oh; ++r) {
            uint64_t v;
            memcpy(&v, tmp + r * scols, 8u);
            memcpy(y + r * ow, &v, 8u);
        }
        memcpy(y + r * ow, tmp + r * scols, ow);
        return;
    }
    for (r = 0; r < oh; ++r) memcpy(y + r * ow, tmp + r * scols, ow);
}

/* The offset in the split padded plane of tap t of a window kw wide (dilations dh, dw; strides sh, sw). */
static inline size_t kiln_qdw_tap(size_t t, size_t kw, size_t dh, size_t dw, size_t sh, size_t sw, size_t srows, size_t scols)
{
    const size_t ki = t / kw, kj = t % kw;
    return (((ki * dh) % sh) * sw + (kj * dw) % sw) * srows * scols + (ki * dh / sh) * scols + kj * dw / sw;
}

/*
 * One depthwise output plane (oh x ow, to y) from the split padded plane and the kh x kw weights w; acc and acci hold
 * (oh - 1) * scols + ow floats and int32, tmp as many bytes.
 */
static inline void kiln_qdw_channel(const kiln_qdw_t *pp, size_t srows, size_t scols, size_t sh, size_t sw, const int8_t *w,
        size_t kh, size_t kw, size_t dh, size_t dw, size_t oh, size_t ow, int32_t bias, int32_t m, int32_t s, int fast,
        int32_t zp, int32_t lo, int32_t hi, float *acc, int32_t *acci, int8_t *tmp, int8_t *y)
{
    const size_t n = (oh - 1u) * scols + ow;
    /* the taps in groups of 64 (offsets and weights on the stack), the first group setting the sums */
    size_t off[64], t0, t;
#if KILN_QG_SIGNED
    int16_t wt[64];
    (void)acc;
#else
    float wt[64];
#endif
    for (t0 = 0; t0 < kh * kw; t0 += 64u) {
        const size_t taps = kh * kw - t0 < 64u ? kh * kw - t0 : 64u;
        for (t = 0; t < taps; ++t) {
            off[t] = kiln_qdw_tap(t0 + t, kw, dh, dw, sh, sw, srows, scols);
            wt[t] = (kiln_qdw_t)w[t0 + t];
        }
#if KILN_QG_SIGNED
        if (taps == 9u) kiln_qdw_sums(pp, off, wt, 9u, n, t0 > 0u, acci);
        else kiln_qdw_sums(pp, off, wt, taps, n, t0 > 0u, acci);
#else
#if defined(__AVX512F__) && defined(__AVX512BW__)
        /*
         * one group and 16 to 64 outputs (small planes, where a call per stage costs more than the work; on larger
         * ones the two passes below measured faster): requantized in registers, straight to y when the plane has no
         * column border
         */
        if (fast && taps == kh * kw && n >= 16u && n <= 64u) {
            const kiln_q_rqc c = kiln_q_rqc_of(bias, m, s, zp, lo, hi);
            if (taps == 9u) kiln_qdw_rq_blocks(pp, off, wt, 9u, n, &c, scols == ow ? y : tmp);
            else kiln_qdw_rq_blocks(pp, off, wt, taps, n, &c, scols == ow ? y : tmp);
            if (scols != ow) kiln_qdw_rows(tmp, scols, oh, ow, y);
            return;
        }
#endif
        if (taps == 9u) kiln_qdw_sumsf(pp, off, wt, 9u, n, t0 > 0u, t0 + taps < kh * kw, acc, acci);
        else kiln_qdw_sumsf(pp, off, wt, taps, n, t0 > 0u, t0 + taps < kh * kw, acc, acci);
#endif
    }
    if (scols == ow) {
        kiln_q_requantize_row(acci, n, 0, bias, m, s, fast, zp, lo, hi, y, 1u);
        return;
    }
    kiln_q_requantize_row(acci, n, 0, bias, m, s, fast, zp, lo, hi, tmp, 1u);
    kiln_qdw_rows(tmp, scols, oh, ow, y);
}

#endif
