/*
 * Kiln's int8 kernels for hosts (x86-64 with AVX-512 VNNI, AVX-VNNI or AVX2; any other CPU in plain C), included
 * by generated code whose target takes the host int8 forms (Target.hostInt8). The integer results are exact, so
 * every path gives the same bytes as the interpreter (dev.kiln.quant.FixedPoint is the definition).
 *
 * Convolutions with one group and matrix products are a packed GEMM, acc[o][p] = sum_k A[o][k] * B[k][p]:
 *   A, the weights, packed by Kiln at compile time: [ceil(O / 8)][K4][8][4] int8 (K4 = ceil(K / 4); for each block
 *     of 8 output channels and each quad of the reduction, the 8 channels' 4 weights; zero beyond O and K);
 *   B, the columns, packed by the kernel at run time: [K4][Ppad][4] uint8 (Ppad = P rounded up to 16): the input
 *     value plus 128 (int8 inputs, "flip" 0x80) or as it is (uint8), so a 32-bit lane holds the 4 taps of a quad;
 *     the padding of a window holds the zero point in that form (its taps add (zp - zp) * w = 0).
 * The kernel's bias table holds bias[o] - zpu * sum_k A[o][k] (zpu: the zero point as stored in B), so that
 * acc + bias = bias + sum (x - zp) * w. Sums are taken modulo 2^32 (vpdpbusd wraps; the C paths add as uint32);
 * the true sum fits int32 (the int8 lowering proves it), so the wrapped one equals it.
 * The tile is KILN_QG_MR (8) output channels by KILN_QG_NR (16) positions: one zmm accumulator per channel with
 * AVX-512 VNNI (vpdpbusd), two ymm with AVX-VNNI, two ymm with AVX2 (u8 and s8 widened to 16 bits, vpmaddwd: exact,
 * unlike vpmaddubsw, which saturates), or plain C loops.
 */
#ifndef KILN_INT8_HOST_H
#define KILN_INT8_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif
#include "kiln_runtime.h"

#define KILN_QG_MR 8
#define KILN_QG_NR 16

/* The name of the GEMM path this translation unit was compiled with (for benchmarks and tests). */
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
#define KILN_QG_PATH "avx512vnni"
#elif defined(__AVXVNNI__)
#define KILN_QG_PATH "avxvnni"
#elif defined(__AVX2__)
#define KILN_QG_PATH "avx2"
#else
#define KILN_QG_PATH "c"
#endif

static inline int32_t kiln_ld32(const void *p)
{
    int32_t v;
    memcpy(&v, p, 4u);
    return v;
}

/*
 * One tile: acc[i * 16 + j] = sum over quads q of the 4 products of a[q * 32 + i * 4 + t] and b[q * bstride + j * 4 + t]
 * (bstride: bytes between two quads of B, Ppad * 4).
 */
static inline void kiln_qgemm_tile(const int8_t *a, const uint8_t *b, size_t k4, size_t bstride, int32_t *acc)
{
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
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
    _mm512_storeu_si512((void *)(acc + 16), c1);
    _mm512_storeu_si512((void *)(acc + 32), c2);
    _mm512_storeu_si512((void *)(acc + 48), c3);
    _mm512_storeu_si512((void *)(acc + 64), c4);
    _mm512_storeu_si512((void *)(acc + 80), c5);
    _mm512_storeu_si512((void *)(acc + 96), c6);
    _mm512_storeu_si512((void *)(acc + 112), c7);
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
        for (i = 0; i < KILN_QG_MR; ++i) _mm256_storeu_si256((__m256i *)(void *)(acc + i * 16u + h * 8u), c[i]);
    }
#else
    size_t i, j, q, t;
    for (i = 0; i < KILN_QG_MR * KILN_QG_NR; ++i) acc[i] = 0;
    for (q = 0; q < k4; ++q) {
        const int8_t *w = a + q * 32u;
        const uint8_t *v = b + q * bstride;
        for (i = 0; i < KILN_QG_MR; ++i) {
            for (j = 0; j < KILN_QG_NR; ++j) {
                uint32_t s = (uint32_t)acc[i * 16u + j];
                for (t = 0; t < 4u; ++t) s += (uint32_t)((int32_t)w[i * 4u + t] * (int32_t)v[j * 4u + t]);
                acc[i * 16u + j] = (int32_t)s;
            }
        }
    }
#endif
}

/*
 * y[p] = clamp(requantize(acc[p] + bias) + zp, lo, hi) for p < n, y's elements ystep apart; fast: every shift in
 * [-31, -1] with m >= 0, so the branch-free kiln_requantize_q31_r32 applies (a loop the compiler vectorises).
 */
static inline void kiln_q_requantize_row(const int32_t *acc, size_t n, int32_t bias, int32_t m, int32_t s, int fast,
        int32_t zp, int32_t lo, int32_t hi, int8_t *y, size_t ystep)
{
    size_t p;
    if (fast && ystep == 1u) {
        for (p = 0; p < n; ++p) {
            const int32_t v = kiln_requantize_q31_r32((int32_t)((uint32_t)acc[p] + (uint32_t)bias), m, s) + zp;
            y[p] = (int8_t)(v < lo ? lo : v > hi ? hi : v);
        }
    } else {
        for (p = 0; p < n; ++p)
            y[p * ystep] = (int8_t)kiln_add_zp_clamp(kiln_requantize_q31((int32_t)((uint32_t)acc[p] + (uint32_t)bias), m, s), zp, lo, hi);
    }
}

/*
 * The whole GEMM with requantization: y[o * so + p * sp] for o < oc, p < np, from packed A (a), packed B (b, Ppad
 * positions per quad), the bias table (bias - zpu * weight sums), per-channel multipliers and shifts, fast as for
 * kiln_q_requantize_row.
 */
static inline void kiln_qgemm_s8(const int8_t *a, const uint8_t *b, size_t oc, size_t k4, size_t np, size_t ppad,
        const int32_t *bias, const int32_t *mult, const int32_t *shift, int fast, int32_t zp, int32_t lo, int32_t hi,
        int8_t *y, size_t so, size_t sp)
{
    int32_t acc[KILN_QG_MR * KILN_QG_NR];
    size_t ob, p0, i;
    for (ob = 0; ob < oc; ob += KILN_QG_MR) {
        const int8_t *ab = a + (ob / KILN_QG_MR) * k4 * 32u;
        const size_t mr = oc - ob < KILN_QG_MR ? oc - ob : KILN_QG_MR;
        for (p0 = 0; p0 < np; p0 += KILN_QG_NR) {
            const size_t nr = np - p0 < KILN_QG_NR ? np - p0 : KILN_QG_NR;
            kiln_qgemm_tile(ab, b + p0 * 4u, k4, ppad * 4u, acc);
            for (i = 0; i < mr; ++i) {
                const size_t o = ob + i;
                kiln_q_requantize_row(acc + i * KILN_QG_NR, nr, bias[o], mult[o], shift[o], fast, zp, lo, hi,
                        y + o * so + p0 * sp, sp);
            }
        }
    }
}

/*
 * Columns from four rows of n bytes (int8 data flipped by xor with flip, 0x80, or uint8 data as is, flip 0):
 * b[p * 4 + t] = r_t[p] ^ flip. Positions n..ppad - 1 are set to 0 (their sums are computed and dropped).
 */
static inline void kiln_qcol_quad(const uint8_t *r0, const uint8_t *r1, const uint8_t *r2, const uint8_t *r3, size_t n,
        size_t ppad, uint8_t flip, uint8_t *b)
{
    const uint32_t f = (uint32_t)flip * 0x01010101u;
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
            for (t = 0; t < 4u && q + t < k; ++t) b[(q / 4u) * ppad * 4u + p * 4u + t] = (uint8_t)(x[p * k + q + t] ^ flip);
}

/*
 * One im2col row of a 2-D convolution (1-D: ih = kh = 1): for output position (r, c), the input element at
 * (r * sh + ki * dh - pt, c * sw + kj * dw - pl) of plane x (ih x iw bytes), or zpr (the zero point, stored raw:
 * the flip is applied later) outside it.
 */
static inline void kiln_qcol_im2row(const uint8_t *x, size_t ih, size_t iw, size_t oh, size_t ow, size_t ki, size_t kj,
        size_t sh, size_t sw, size_t dh, size_t dw, size_t pt, size_t pl, uint8_t zpr, uint8_t *row)
{
    size_t r, c, c0, c1;
    const size_t off = kj * dw;
    /* valid columns: c * sw + off >= pl and c * sw + off - pl < iw */
    c0 = off >= pl ? 0 : (pl - off + sw - 1u) / sw;
    c1 = iw + pl > off ? (iw + pl - off + sw - 1u) / sw : 0;
    if (c1 > ow) c1 = ow;
    if (c0 > c1) c0 = c1;
    for (r = 0; r < oh; ++r) {
        uint8_t *o = row + r * ow;
        const size_t y = r * sh + ki * dh;
        if (y < pt || y - pt >= ih) {
            memset(o, zpr, ow);
            continue;
        }
        for (c = 0; c < c0; ++c) o[c] = zpr;
        if (c1 > c0) {
            /* the first valid column's element: c0 * sw + off - pl >= 0 by the choice of c0 */
            const uint8_t *xr = x + (y - pt) * iw + (c0 * sw + off - pl);
            if (sw == 1u) memcpy(o + c0, xr, c1 - c0);
            else for (c = c0; c < c1; ++c) o[c] = xr[(c - c0) * sw];
        }
        for (c = c1; c < ow; ++c) o[c] = zpr;
    }
}

/*
 * B of a 2-D convolution with one group: c input planes (ih x iw) and kh x kw taps, k = c * kh * kw rows in the
 * weights' order; four im2col rows of oh * ow bytes at a time go to rows (scratch of 4 * oh * ow bytes), then
 * interleaved into b.
 */
static inline void kiln_qcol_conv2d(const uint8_t *x, size_t c, size_t ih, size_t iw, size_t kh, size_t kw, size_t oh, size_t ow,
        size_t sh, size_t sw, size_t dh, size_t dw, size_t pt, size_t pl, uint8_t zpr, uint8_t flip, size_t ppad,
        uint8_t *rows, uint8_t *b)
{
    const size_t taps = kh * kw, k = c * taps, np = oh * ow;
    size_t q, t;
    for (q = 0; q < k; q += 4u) {
        for (t = 0; t < 4u; ++t) {
            const size_t kk = q + t < k ? q + t : 0;
            const size_t ci = kk / taps, ki = (kk % taps) / kw, kj = kk % kw;
            kiln_qcol_im2row(x + ci * ih * iw, ih, iw, oh, ow, ki, kj, sh, sw, dh, dw, pt, pl, zpr, rows + t * np);
        }
        kiln_qcol_quad(rows, rows + np, rows + 2u * np, rows + 3u * np, np, ppad, flip, b + (q / 4u) * ppad * 4u);
    }
}

/*
 * A zero-bordered 16-bit copy of one input plane minus its zero point (padding: 0, which adds nothing): pp holds
 * rows x cols, the input's (0, 0) at (pt, pl). u8: whether x holds uint8 (else int8).
 */
static inline void kiln_qdw_plane(const void *x, int u8, int32_t zp, size_t ih, size_t iw, size_t pt, size_t pl, size_t rows,
        size_t cols, int16_t *pp)
{
    size_t r, c;
    memset(pp, 0, rows * cols * sizeof(int16_t));
    for (r = 0; r < ih; ++r) {
        int16_t *o = pp + (r + pt) * cols + pl;
        if (u8) {
            const uint8_t *xr = (const uint8_t *)x + r * iw;
            for (c = 0; c < iw; ++c) o[c] = (int16_t)((int32_t)xr[c] - zp);
        } else {
            const int8_t *xr = (const int8_t *)x + r * iw;
            for (c = 0; c < iw; ++c) o[c] = (int16_t)((int32_t)xr[c] - zp);
        }
    }
}

/*
 * One depthwise output plane (oh x ow) from a padded plane (cols wide) and kh x kw weights w: with stride 1 in the
 * rows, every tap is one pass over the flat padded rows (acc: oh * cols int32, the columns past ow dropped), else
 * one pass per output row (acc: ow int32).
 */
static inline void kiln_qdw_channel(const int16_t *pp, size_t cols, const int8_t *w, size_t kh, size_t kw, size_t sh, size_t sw,
        size_t dh, size_t dw, size_t oh, size_t ow, int32_t bias, int32_t m, int32_t s, int fast, int32_t zp, int32_t lo,
        int32_t hi, int32_t *acc, int8_t *y)
{
    size_t r, i, ki, kj;
    if (sw == 1u && sh == 1u) {
        const size_t n = (oh - 1u) * cols + ow;
        for (i = 0; i < n; ++i) acc[i] = 0;
        for (ki = 0; ki < kh; ++ki) {
            for (kj = 0; kj < kw; ++kj) {
                const int32_t wt = w[ki * kw + kj];
                const int16_t *src = pp + ki * dh * cols + kj * dw;
                for (i = 0; i < n; ++i) acc[i] += wt * (int32_t)src[i];
            }
        }
        for (r = 0; r < oh; ++r) kiln_q_requantize_row(acc + r * cols, ow, bias, m, s, fast, zp, lo, hi, y + r * ow, 1u);
        return;
    }
    for (r = 0; r < oh; ++r) {
        for (i = 0; i < ow; ++i) acc[i] = 0;
        for (ki = 0; ki < kh; ++ki) {
            for (kj = 0; kj < kw; ++kj) {
                const int32_t wt = w[ki * kw + kj];
                const int16_t *src = pp + (r * sh + ki * dh) * cols + kj * dw;
                if (sw == 2u) for (i = 0; i < ow; ++i) acc[i] += wt * (int32_t)src[2u * i];
                else for (i = 0; i < ow; ++i) acc[i] += wt * (int32_t)src[i * sw];
            }
        }
        kiln_q_requantize_row(acc, ow, bias, m, s, fast, zp, lo, hi, y + r * ow, 1u);
    }
}

#endif
