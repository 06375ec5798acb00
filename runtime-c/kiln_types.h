/* Kiln storage-type helpers for generated C and OpenCL: bit-exact conversions between f32 and the narrow float
 * types (f16, bf16, float8 E4M3FN/E4M3FNUZ/E5M2/E5M2FNUZ/E8M0, float4 E2M1), and wrapping into the sub-byte
 * integers. Header only, C99, no libm: only integer operations on the float's bits, so a soft-float MCU gets the
 * same results as a host. The twins of dev.kiln.ir.Half and dev.kiln.ir.SmallFloats: round to nearest, ties to
 * even, with ONNX Cast's saturate rules. The same text is pasted into OpenCL programs after the dialect's typedefs
 * (kernels compute in f32 or int and store the narrow type, rounding at every op's output). */
#ifndef KILN_TYPES_H
#define KILN_TYPES_H

#ifndef __OPENCL_C_VERSION__
#include <stdint.h>
#endif

static inline uint32_t kiln_f32_bits(float v)
{
    union { float f; uint32_t u; } p;
    p.f = v;
    return p.u;
}

static inline float kiln_bits_f32(uint32_t u)
{
    union { float f; uint32_t u; } p;
    p.u = u;
    return p.f;
}

/* ---- f16 (IEEE binary16): Half.toBits / Half.fromBits ---- */

static inline uint16_t kiln_f32_to_f16_portable(float v, int saturate)
{
    const uint32_t bits = kiln_f32_bits(v);
    const uint32_t sg = (bits >> 16) & 0x8000u;
    const int ex = (int)((bits >> 23) & 0xFFu);
    uint32_t mant = bits & 0x7FFFFFu, hv, rem;
    const int e = ex - 127 + 15;
    (void)saturate;
    if (ex == 0xFF) return (uint16_t)(sg | 0x7C00u | (mant != 0 ? 0x200u | (mant >> 13) : 0u));
    if (e >= 0x1F) return (uint16_t)(sg | 0x7C00u);
    if (e <= 0) {
        int shift;
        uint32_t md;
        if (e < -10) return (uint16_t)sg;
        mant |= 0x800000u;
        shift = 14 - e;
        hv = mant >> shift;
        rem = mant & ((1u << shift) - 1u);
        md = 1u << (shift - 1);
        if (rem > md || (rem == md && (hv & 1u) != 0)) hv++;
        return (uint16_t)(sg | hv);
    }
    hv = ((uint32_t)e << 10) | (mant >> 13);
    rem = mant & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (hv & 1u) != 0)) hv++;
    return (uint16_t)(sg | hv);
}

static inline float kiln_f16_to_f32_portable(uint16_t h)
{
    const uint32_t sg = ((uint32_t)h & 0x8000u) << 16;
    const uint32_t ex = ((uint32_t)h >> 10) & 0x1Fu, mant = (uint32_t)h & 0x3FFu;
    if (ex == 0) {
        /* why: mant * 2^-24 is exact in f32 */
        const float v = (float)mant * kiln_bits_f32(103u << 23);
        return sg != 0 ? -v : v;
    }
    if (ex == 0x1F) return kiln_bits_f32(sg | 0x7F800000u | (mant << 13));
    return kiln_bits_f32(sg | ((ex - 15u + 127u) << 23) | (mant << 13));
}

/*
 * With KILN_FLOAT16_NATIVE (a target's c.float16=native) f16 converts through the compiler's _Float16 (hardware
 * conversions where the target has them); NaN keeps the portable form, whose payload rule the interpreter defines.
 */
#if defined(KILN_FLOAT16_NATIVE)
__extension__ typedef _Float16 kiln_half;
static inline uint16_t kiln_f32_to_f16(float v, int saturate)
{
    union { kiln_half h; uint16_t u; } p;
    if (v != v) return kiln_f32_to_f16_portable(v, saturate);
    p.h = (kiln_half)v;
    return p.u;
}
static inline float kiln_f16_to_f32(uint16_t c)
{
    union { kiln_half h; uint16_t u; } p;
    if ((c & 0x7C00u) == 0x7C00u && (c & 0x3FFu) != 0u) return kiln_f16_to_f32_portable(c);
    p.u = c;
    return (float)p.h;
}
#else
static inline uint16_t kiln_f32_to_f16(float v, int saturate) { return kiln_f32_to_f16_portable(v, saturate); }
static inline float kiln_f16_to_f32(uint16_t c) { return kiln_f16_to_f32_portable(c); }
#endif

/* ---- bf16: the upper half of an f32, rounded to nearest even; NaN stays a quiet NaN of its sign ---- */

static inline uint16_t kiln_f32_to_bf16(float v, int saturate)
{
    const uint32_t b = kiln_f32_bits(v);
    (void)saturate;
    if ((b & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)(((b >> 16) & 0x8000u) | 0x7FC0u);
    return (uint16_t)(((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16) & 0xFFFFu);
}

static inline float kiln_bf16_to_f32(uint16_t c) { return kiln_bits_f32((uint32_t)c << 16); }

/* ---- float8 and float4: one format described by its fields (SmallFloats.Format) ---- */

/* The non-negative value of magnitude code c of a format with mbits mantissa bits and exponent bias bias. */
static inline float kiln_small_value(uint32_t c, int mbits, int bias)
{
    const uint32_t e = c >> mbits, m = c & ((1u << mbits) - 1u);
    /* why: every code of these formats is an f32 normal (or, below, an exact multiple of one) */
    if (e == 0) return (float)m * kiln_bits_f32((uint32_t)(1 - bias - mbits + 127) << 23);
    return kiln_bits_f32((((uint32_t)((int)e - bias + 127)) << 23) | (m << (23 - mbits)));
}

/*
 * The code of v: bits in all (8 or 4), mbits mantissa bits, bias, largest finite magnitude code maxCode, NaN code
 * nanCode, whether the format has infinities (E5M2: 0x7C) and whether it is "unsigned zero" (FNUZ: no -0, NaN
 * 0x80). Beyond the largest value: that value with saturate (always for float4), else infinity or NaN.
 */
static inline uint8_t kiln_small_encode(float v, int saturate, int bits, int mbits, int bias, uint32_t maxCode,
        uint32_t nanCode, int hasInf, int uz)
{
    const uint32_t b = kiln_f32_bits(v);
    const uint32_t a = b & 0x7FFFFFFFu;
    const uint32_t sg = (b >> 31) != 0 ? 1u << (bits - 1) : 0u;
    const float mx = kiln_small_value(maxCode, mbits, bias);
    uint32_t code;
    if (a > 0x7F800000u) return (uint8_t)nanCode;
    if (kiln_bits_f32(a) >= mx) {
        const float ulp = mx - kiln_small_value(maxCode - 1u, mbits, bias);
        const float md = mx + ulp / 2;
        const float fa = kiln_bits_f32(a);
        const int fits = fa < md || (fa == md && (maxCode & 1u) == 0);
        if (fits || saturate || bits == 4) code = maxCode;
        else if (hasInf) code = 0x7Cu;
        else return (uint8_t)(uz ? nanCode : sg | nanCode);
    } else if ((a >> 23) == 0) {
        code = 0; /* why: an f32 subnormal is far below hv of every format's smallest value */
    } else {
        const int eb = (int)(a >> 23) - 127 + bias;
        const uint32_t mant = a & 0x7FFFFFu;
        uint32_t q, rem, hv;
        if (eb >= 1) {
            const int shift = 23 - mbits;
            q = ((uint32_t)eb << mbits) | (mant >> shift);
            rem = mant & ((1u << shift) - 1u);
            hv = 1u << (shift - 1);
        } else {
            const int shift = 23 - mbits + 1 - eb;
            const uint32_t m24 = mant | 0x800000u;
            if (shift > 25) {
                q = 0;
                rem = 0;
                hv = 1;
            } else {
                q = m24 >> shift;
                rem = m24 & ((1u << shift) - 1u);
                hv = 1u << (shift - 1);
            }
        }
        if (rem > hv || (rem == hv && (q & 1u) != 0)) q++;
        code = q;
    }
    if (code == 0 && uz) return 0;
    return (uint8_t)(sg | code);
}

/* The value of code c (NaN, infinities and the FNUZ NaN 0x80 included). */
static inline float kiln_small_decode(uint8_t c8, int bits, int mbits, int bias, uint32_t maxCode, uint32_t nanCode,
        int hasInf, int uz)
{
    const uint32_t c = (uint32_t)c8 & ((1u << bits) - 1u);
    const uint32_t signBit = 1u << (bits - 1);
    const uint32_t mag = c & (signBit - 1u);
    const int neg = (c & signBit) != 0;
    float v;
    if (uz && c == nanCode) return kiln_bits_f32(0x7FC00000u);
    if (!uz && bits == 8) {
        if (hasInf && mag == 0x7Cu) return kiln_bits_f32(neg ? 0xFF800000u : 0x7F800000u);
        if (mag > maxCode) return kiln_bits_f32(0x7FC00000u);
    }
    v = kiln_small_value(mag, mbits, bias);
    return neg ? -v : v;
}

static inline uint8_t kiln_f32_to_f8e4m3fn(float v, int s) { return kiln_small_encode(v, s, 8, 3, 7, 0x7Eu, 0x7Fu, 0, 0); }
static inline float kiln_f8e4m3fn_to_f32(uint8_t c) { return kiln_small_decode(c, 8, 3, 7, 0x7Eu, 0x7Fu, 0, 0); }
static inline uint8_t kiln_f32_to_f8e4m3fnuz(float v, int s) { return kiln_small_encode(v, s, 8, 3, 8, 0x7Fu, 0x80u, 0, 1); }
static inline float kiln_f8e4m3fnuz_to_f32(uint8_t c) { return kiln_small_decode(c, 8, 3, 8, 0x7Fu, 0x80u, 0, 1); }
static inline uint8_t kiln_f32_to_f8e5m2(float v, int s) { return kiln_small_encode(v, s, 8, 2, 15, 0x7Bu, 0x7Fu, 1, 0); }
static inline float kiln_f8e5m2_to_f32(uint8_t c) { return kiln_small_decode(c, 8, 2, 15, 0x7Bu, 0x7Fu, 1, 0); }
static inline uint8_t kiln_f32_to_f8e5m2fnuz(float v, int s) { return kiln_small_encode(v, s, 8, 2, 16, 0x7Fu, 0x80u, 0, 1); }
static inline float kiln_f8e5m2fnuz_to_f32(uint8_t c) { return kiln_small_decode(c, 8, 2, 16, 0x7Fu, 0x80u, 0, 1); }
static inline uint8_t kiln_f32_to_f4e2m1(float v, int s) { return kiln_small_encode(v, s, 4, 1, 1, 0x7u, 0x8u, 0, 0); }
static inline float kiln_f4e2m1_to_f32(uint8_t c) { return kiln_small_decode(c, 4, 1, 1, 0x7u, 0x8u, 0, 0); }

/* ---- E8M0: unsigned powers of two 2^-127..2^127, 0xFF NaN (SmallFloats.encodeE8M0) ---- */

#define KILN_E8M0_UP 0
#define KILN_E8M0_DOWN 1
#define KILN_E8M0_NEAREST 2

/* The E8M0 code of |v|, rounded up, down or to the nearer power (halfway up) as mode says. */
static inline uint8_t kiln_f32_to_f8e8m0_mode(float v, int saturate, int mode)
{
    const uint32_t a = kiln_f32_bits(v) & 0x7FFFFFFFu;
    uint32_t frac, hv;
    int lo, e;
    if (a > 0x7F800000u) return 0xFF;
    if (a == 0x7F800000u) return (uint8_t)(saturate ? 0xFE : 0xFF);
    if (a == 0) return 0;
    if ((a >> 23) != 0) {
        lo = (int)(a >> 23) - 127;
        frac = a & 0x7FFFFFu;
        hv = 0x400000u;
    } else {
        int hb = 22;
        while (((a >> hb) & 1u) == 0) hb--;
        lo = hb - 149;
        frac = a & ((1u << hb) - 1u);
        hv = hb > 0 ? 1u << (hb - 1) : 1u;
    }
    if (mode == KILN_E8M0_DOWN) e = lo;
    else if (mode == KILN_E8M0_NEAREST) e = frac >= hv && frac != 0 ? lo + 1 : lo;
    else e = frac == 0 ? lo : lo + 1;
    e += 127;
    if (e < 0) return 0;
    if (e > 0xFE) return (uint8_t)(saturate ? 0xFE : 0xFF);
    return (uint8_t)e;
}

static inline uint8_t kiln_f32_to_f8e8m0(float v, int s) { return kiln_f32_to_f8e8m0_mode(v, s, KILN_E8M0_UP); }

static inline float kiln_f8e8m0_to_f32(uint8_t c)
{
    if (c == 0xFF) return kiln_bits_f32(0x7FC00000u);
    /* why: 2^-127 is the f32 subnormal 0x00400000 */
    return c == 0 ? kiln_bits_f32(0x00400000u) : kiln_bits_f32((uint32_t)c << 23);
}

/* ---- sub-byte tensors: i4, u4 and f4e2m1 (B = 4 bits), i2 and u2 (B = 2), packed in every buffer ----
   Element i of a packed tensor p is bits (i * B) % 8 .. of byte i * B / 8, low bits first (ONNX's raw_data order);
   n elements take (n * B + 7) / 8 bytes, and the bits after element n - 1 in the last byte are zero. Kernels read
   an element in its compute type (KILN_UNPACK_*: i8, u8, or f4e2m1's code for kiln_f4e2m1_to_f32) and write each
   output byte whole, adding its elements' codes one by one (KILN_PACK4, KILN_PACK2: element j of the byte, code c
   as any integer, of which the low B bits are kept), so no two writers share a byte. */
#define KILN_UNPACK_U4(p, i) ((uint8_t)(((uint8_t)(p)[(i) >> 1] >> (((i) & 1) << 2)) & 15u))
#define KILN_UNPACK_I4(p, i) ((int8_t)((int)(KILN_UNPACK_U4(p, i) ^ 8u) - 8))
#define KILN_UNPACK_U2(p, i) ((uint8_t)(((uint8_t)(p)[(i) >> 2] >> (((i) & 3) << 1)) & 3u))
#define KILN_UNPACK_I2(p, i) ((int8_t)((int)(KILN_UNPACK_U2(p, i) ^ 2u) - 2))
#define KILN_PACK4(b, j, c) ((uint8_t)((unsigned)(b) | (((unsigned)(c) & 15u) << (((unsigned)(j) & 1u) << 2))))
#define KILN_PACK2(b, j, c) ((uint8_t)((unsigned)(b) | (((unsigned)(c) & 3u) << (((unsigned)(j) & 3u) << 1))))

/* A sub-byte integer wrapped into its range as a two's-complement cast would (DType.wrap). */
static inline int8_t kiln_wrap_i4(int64_t v) { return (int8_t)((int)((((uint64_t)v) & 15u) ^ 8u) - 8); }
static inline uint8_t kiln_wrap_u4(int64_t v) { return (uint8_t)(((uint64_t)v) & 15u); }
static inline int8_t kiln_wrap_i2(int64_t v) { return (int8_t)((int)((((uint64_t)v) & 3u) ^ 2u) - 2); }
static inline uint8_t kiln_wrap_u2(int64_t v) { return (uint8_t)(((uint64_t)v) & 3u); }

#endif
