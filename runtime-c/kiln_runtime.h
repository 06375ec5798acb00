/* Kiln runtime helpers for generated C: small, portable C99, header only. Copied next to generated code. */
#ifndef KILN_RUNTIME_H
#define KILN_RUNTIME_H

#include <stdint.h>
#include <string.h>

/*
 * Quantization arithmetic, the twin of dev.kiln.ops.Quantization (roundAndSaturate, requantize): the same
 * results bit for bit on every target, soft float included. No libm: only IEEE add, multiply and conversions.
 */

/* Rounds v to the nearest integer, ties to even (Java's Math.rint); NaN and infinities come back unchanged. */
static inline float kiln_round_half_even_f32(float v)
{
    float t, d;
    /* why: NaN, infinities and |v| >= 2^23 have no fraction bits, so they are their own rounding */
    if (!(v > -8388608.0f && v < 8388608.0f)) return v;
    t = (float)(int32_t)v; /* truncated toward zero, exact */
    d = v - t;             /* the fraction, exact, in (-1, 1) */
    if (d > 0.5f || (d == 0.5f && ((int32_t)t & 1) != 0)) t += 1.0f;
    else if (d < -0.5f || (d == -0.5f && ((int32_t)t & 1) != 0)) t -= 1.0f;
    return t;
}

/* Rounds v to the nearest integer, ties to even (Java's Math.rint); NaN and infinities come back unchanged. */
static inline double kiln_round_half_even_f64(double v)
{
    double t, d;
    /* why: NaN, infinities and |v| >= 2^52 have no fraction bits, so they are their own rounding */
    if (!(v > -4503599627370496.0 && v < 4503599627370496.0)) return v;
    t = (double)(int64_t)v;
    d = v - t;
    if (d > 0.5 || (d == 0.5 && ((int64_t)t & 1) != 0)) t += 1.0;
    else if (d < -0.5 || (d == -0.5 && ((int64_t)t & 1) != 0)) t -= 1.0;
    return t;
}

/*
 * saturate(round_half_even(v) + zp) into [lo, hi], NaN counting as 0 (Quantization.roundAndSaturate). The value
 * is clamped to +-2^24 first: any 8- or 16-bit result of a value beyond that saturates all the same, and the int32
 * conversion stays defined.
 */
static inline int32_t kiln_round_saturate_f32(float v, int32_t zp, int32_t lo, int32_t hi)
{
    int32_t r;
    if (v != v) v = 0.0f;
    if (v > 16777216.0f) v = 16777216.0f;
    else if (v < -16777216.0f) v = -16777216.0f;
    r = (int32_t)kiln_round_half_even_f32(v) + zp;
    return r < lo ? lo : r > hi ? hi : r;
}

/* saturate(round_half_even(v) + zp) into [lo, hi] for a double v, NaN counting as 0. */
static inline int32_t kiln_round_saturate_f64(double v, int32_t zp, int32_t lo, int32_t hi)
{
    int32_t r;
    if (v != v) v = 0.0;
    if (v > 16777216.0) v = 16777216.0;
    else if (v < -16777216.0) v = -16777216.0;
    r = (int32_t)kiln_round_half_even_f64(v) + zp;
    return r < lo ? lo : r > hi ? hi : r;
}

/*
 * Requantizes an int32 accumulator: saturate(round_half_even((float)acc * multiplier) + zp) into [lo, hi], the
 * product taken in float32 (Quantization.requantize).
 */
static inline int32_t kiln_requantize_f32(int32_t acc, float multiplier, int32_t zp, int32_t lo, int32_t hi)
{
    return kiln_round_saturate_f32((float)acc * multiplier, zp, lo, hi);
}

/* Requantizes an int32 accumulator to int8 (see kiln_requantize_f32). */
static inline int8_t kiln_requantize_s8(int32_t acc, float multiplier, int32_t zp)
{
    return (int8_t)kiln_requantize_f32(acc, multiplier, zp, -128, 127);
}

/* Requantizes an int32 accumulator to uint8 (see kiln_requantize_f32). */
static inline uint8_t kiln_requantize_u8(int32_t acc, float multiplier, int32_t zp)
{
    return (uint8_t)kiln_requantize_f32(acc, multiplier, zp, 0, 255);
}

/*
 * Fixed-point requantization, the twin of dev.kiln.quant.FixedPoint: no float at all. A real multiplier M is
 * m * 2^(shift - 31) with m in Q31 (2^30 <= m < 2^31, or 0); the result is round_half_away(acc * m / 2^(31 - shift))
 * from one int64 product and one rounding right shift, taken on the magnitude (no right shift of a negative value),
 * saturated to int32. A right shift past 62 bits gives 0. shift must be at most 30.
 */
static inline int32_t kiln_requantize_q31(int32_t acc, int32_t m, int32_t shift)
{
    int32_t right = 31 - shift;
    int64_t p, half, r;
    if (right > 62) return 0;
    p = (int64_t)acc * (int64_t)m;
    half = (int64_t)1 << (right - 1);
    r = p >= 0 ? (p + half) >> right : -((-p + half) >> right);
    return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : (int32_t)r;
}

/*
 * kiln_requantize_q31 for a multiplier m >= 0 and a shift in [-31, -1] (a right shift of 32 to 62 bits), as the DSP
 * kernels use it: the result then fits in 30 bits (no saturation), and rounding half away from zero equals
 * flooring (p + half - [p < 0]) / 2^right, where [p < 0] = [acc < 0] (m = 0 gives 0 either way), so one
 * multiply-accumulate into 64 bits and two arithmetic shifts do it without a branch. The shifts of negative values
 * rely on them shifting in sign bits, as GCC and Clang define it (the other helpers avoid it).
 */
static inline int32_t kiln_requantize_q31_r32(int32_t acc, int32_t m, int32_t shift)
{
    const int64_t p = (int64_t)acc * (int64_t)m + (((int64_t)1 << (30 - shift)) - (int64_t)(acc < 0));
    return (int32_t)(p >> 32) >> (-1 - shift);
}

/*
 * kiln_requantize_q31(d * 2^20, m, shift) for |d| < 2^9 (an int8 minus its zero point), m >= 0 and a shift in
 * [-31, 0]: how qadd moves an operand to the common scale (Qadd.LEFT_SHIFT = 20), without a branch. The product
 * d * m is rounded half away from zero by a right shift of 11 - shift bits, as flooring (p + half - [p < 0]);
 * the result stays below 2^29, so nothing saturates. Shifts of negative values as in kiln_requantize_q31_r32.
 */
static inline int32_t kiln_rescale_q31_shl20(int32_t d, int32_t m, int32_t shift)
{
    const int64_t p = (int64_t)d * (int64_t)m;
    return (int32_t)((p + ((int64_t)1 << (10 - shift)) - (int64_t)(p < 0)) >> (11 - shift));
}

/*
 * The high word of acc * m + c * 2^32 (SMMLA on cores with the DSP extension). With c = 2^(h-1) + zp * 2^h and
 * h = -1 - shift, (kiln_mul_hi_add(acc, m, c) >> h) is kiln_requantize_q31_r32(acc, m, shift) + zp wherever the
 * kernel's lowering proved that no negative accumulator lands on a rounding tie (Int8PairKernels.floorRequant).
 */
static inline int32_t kiln_mul_hi_add(int32_t acc, int32_t m, int32_t c)
{
#if defined(__ARM_FEATURE_DSP)
    int32_t r;
    __asm__("smmla %0, %1, %2, %3" : "=r"(r) : "r"(acc), "r"(m), "r"(c));
    return r;
#else
    return (int32_t)(((int64_t)acc * (int64_t)m + (int64_t)c * 4294967296LL) >> 32);
#endif
}

/* clamp(v, lo, hi) as int8 (v + zp from kiln_requantize_q31_r32 cannot overflow: no guard needed). */
static inline int8_t kiln_clamp_s8(int32_t v, int32_t lo, int32_t hi)
{
    return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

/* clamp(v + zp, lo, hi) without overflow (FixedPoint.addZeroPointAndClamp). */
static inline int32_t kiln_add_zp_clamp(int32_t v, int32_t zp, int32_t lo, int32_t hi)
{
    if (v > hi - zp) return hi;
    if (v < lo - zp) return lo;
    return v + zp;
}

/* The whole requantization of an accumulator to int8: clamp(round(acc * M) + zp, lo, hi). */
static inline int8_t kiln_requantize_q31_s8(int32_t acc, int32_t m, int32_t shift, int32_t zp, int32_t lo, int32_t hi)
{
    return (int8_t)kiln_add_zp_clamp(kiln_requantize_q31(acc, m, shift), zp, lo, hi);
}

/*
 * A compact requantization multiplier packed in 16 bits (FixedPoint.pack / unpack): an 11-bit mantissa above a
 * 5-bit shift offset. The Q31 multiplier is the mantissa times 2^20; the shift is the layer's base plus the offset.
 */
static inline int32_t kiln_packed_multiplier(uint16_t p)
{
    return (int32_t)(p >> 5) * 1048576;
}

/* The shift of a packed multiplier: the layer's base plus the 5-bit offset. */
static inline int32_t kiln_packed_shift(uint16_t p, int32_t base)
{
    return base + (int32_t)(p & 31u);
}

/*
 * 2^(-t / 2^16) in Q16 for t >= 0 (FixedPoint.exp2NegQ16), no table, no float: n = t >> 16 and f the Q16 fraction;
 * 2^(1 - f) in Q30 by Horner's rule over the Taylor coefficients (ln 2)^k / k! in Q30, k = 0..8, with truncating
 * shifts of positive values; then round(P / 2^(15 + n)), and 0 past 40 bits.
 */
static inline int32_t kiln_exp2_neg_q16(int32_t t)
{
    const uint64_t y = 65536u - ((uint32_t)t & 0xFFFFu);
    const int32_t right = 15 + (int32_t)((uint32_t)t >> 16);
    uint64_t p = 1419u;
    p = 16377u + ((p * y) >> 16);
    p = 165394u + ((p * y) >> 16);
    p = 1431680u + ((p * y) >> 16);
    p = 10327387u + ((p * y) >> 16);
    p = 59597083u + ((p * y) >> 16);
    p = 257941248u + ((p * y) >> 16);
    p = 744261118u + ((p * y) >> 16);
    p = 1073741824u + ((p * y) >> 16);
    if (right > 40) return 0;
    return (int32_t)((p + ((uint64_t)1 << (right - 1))) >> right);
}

/*
 * e^x in float with no libm and no branch, so GCC vectorises a loop that calls it (the recurrent gates): x is
 * clamped to [-87, 88] (NaN becomes -87), split as n ln 2 + r with |r| <= ln 2 / 2 (n rounded by adding and
 * subtracting 1.5 * 2^23, ln 2 in two parts), e^r by its Taylor polynomial of degree 6 and 2^n built in the
 * exponent bits. Relative error below 3e-7 over the clamped range.
 */
static inline float kiln_exp_f32(float x)
{
    float n, r, p, s;
    int32_t e;
    x = x > -87.0f ? x : -87.0f;
    x = x < 88.0f ? x : 88.0f;
    n = x * 1.44269504088896341f;
    n = (n + 12582912.0f) - 12582912.0f;
    r = x - n * 0.693145751953125f;
    r = r - n * 1.42860682030941723e-6f;
    p = 1.0f + r * (1.0f + r * (0.5f + r * (1.66666667e-1f + r * (4.16666667e-2f + r * (8.33333333e-3f + r * 1.38888889e-3f)))));
    e = ((int32_t)n + 127) * 8388608;
    memcpy(&s, &e, sizeof s);
    return p * s;
}

/* The logistic sigmoid 1 / (1 + e^-x) through kiln_exp_f32 (vectorisable); relative error below 3e-7, NaN stays NaN. */
static inline float kiln_sigmoid_f32(float x)
{
    const float y = 1.0f / (1.0f + kiln_exp_f32(-x));
    return x == x ? y : x;
}

/*
 * tanh through kiln_exp_f32 (vectorisable): 1 - 2 / (e^2|x| + 1) with x's sign, and below |x| = 1/4, where that
 * difference would cancel, the Taylor polynomial to x^11. Relative error below 3e-7, NaN stays NaN.
 */
static inline float kiln_tanh_f32(float x)
{
    const float a = x < 0.0f ? -x : x, x2 = x * x;
    const float small = x * (1.0f + x2 * (-3.33333333e-1f + x2 * (1.33333333e-1f + x2 * (-5.39682540e-2f
            + x2 * (2.18694885e-2f + x2 * -8.86323552e-3f)))));
    float big = 1.0f - 2.0f / (kiln_exp_f32(2.0f * a) + 1.0f);
    big = x < 0.0f ? -big : big;
    big = a < 0.25f ? small : big;
    return x == x ? big : x;
}

/*
 * erf through kiln_exp_f32 (vectorisable, no libm): below |x| = 1 its odd Taylor series to x^21, above it
 * Abramowitz and Stegun 7.1.26, 1 - t P(t) e^(-x^2) with t = 1 / (1 + 0.3275911 |x|) and x's sign (+-1 far out).
 * Relative error below 3e-7 (checked against double erf at every float in [-6, 6]), NaN stays NaN.
 */
static inline float kiln_erf_f32(float x)
{
    const float a = x < 0.0f ? -x : x, x2 = x * x;
    const float small = x * (1.128379167f + x2 * (-3.761263890e-1f + x2 * (1.128379167e-1f + x2 * (-2.686617065e-2f
            + x2 * (5.223977625e-3f + x2 * (-8.548327023e-4f + x2 * (1.205533298e-4f + x2 * (-1.492565036e-5f
            + x2 * (1.646211437e-6f + x2 * (-1.636584469e-7f + x2 * 1.480719282e-8f))))))))));
    const float t = 1.0f / (1.0f + 0.3275911f * a);
    float big = 1.0f - t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f
            + t * 1.061405429f)))) * kiln_exp_f32(-x2);
    big = x < 0.0f ? -big : big;
    big = a < 1.0f ? small : big;
    return x == x ? big : x;
}

/*
 * KILN_FP_CONTRACT marks a float kernel whose products and sums may be fused (a * b + c as one FMA, rounded once):
 * -std=c99 turns contraction off for a whole file, which halves the throughput of the float kernels, while the
 * int8 kernels must round a product before adding to it, bit for bit. So only the float kernels that ask for it
 * (KernelModel.fpContract) get it, one function at a time. Their results move within float rounding.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define KILN_FP_CONTRACT __attribute__((optimize("fp-contract=fast")))
#else
#define KILN_FP_CONTRACT
#endif

/*
 * KILN_NOINLINE keeps a kernel out of the run function (KernelModel.outOfLine): the int8 SMLAD kernels hold a dozen
 * accumulators and pointers in registers, and inlined into the run function, beside every other kernel's values,
 * they spill more (DS-CNN int8 on cortex-m4f: 2.7 % more instructions inlined).
 */
#if defined(__GNUC__)
#define KILN_NOINLINE __attribute__((noinline))
#else
#define KILN_NOINLINE
#endif

#endif /* KILN_RUNTIME_H */
