package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.Half;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;

/**
 * Shared arithmetic of the ONNX-style linear quantization ops (QuantizeLinear, DequantizeLinear,
 * QLinearMatMul, MatMulInteger): how scales and zero points map onto tensor elements (per tensor, per axis,
 * blocked), round-half-to-even with saturation, float arithmetic in a given precision, and the batched
 * integer matrix product with numpy broadcasting.
 */
public final class Quantization {
    private Quantization() {}

    /** The integer types a quantized tensor may have. */
    static final DType[] QUANTIZED_TYPES = {DType.I8, DType.U8, DType.I16, DType.U16, DType.I4, DType.U4, DType.I2, DType.U2};

    /** The float types a quantized tensor may have (ONNX's float8 and float4 targets). */
    static final DType[] QUANTIZED_FLOATS = {DType.F8E4M3FN, DType.F8E4M3FNUZ, DType.F8E5M2, DType.F8E5M2FNUZ, DType.F4E2M1};

    /** True for a type QuantizeLinear may produce: {@link #QUANTIZED_TYPES} and {@link #QUANTIZED_FLOATS}. */
    static boolean isQuantized(DType t) {
        return java.util.Arrays.asList(QUANTIZED_TYPES).contains(t) || java.util.Arrays.asList(QUANTIZED_FLOATS).contains(t);
    }

    /** The short names of the types QuantizeLinear may produce, for messages. */
    static String quantizedNames() {
        StringBuilder b = new StringBuilder();
        for (DType t : QUANTIZED_TYPES) b.append(b.length() == 0 ? "" : ", ").append(t);
        for (DType t : QUANTIZED_FLOATS) b.append(", ").append(t);
        return b.toString();
    }

    /**
     * Checks that a scale (or zero point) of shape {@code p} fits a tensor of shape {@code x} with the given
     * axis and block size, and returns null if it does or a message saying what is wrong. A parameter with one
     * element is per tensor (whatever its rank); a 1-D one with {@code blockSize == 0} is per axis; with {@code blockSize > 0} it
     * has x's rank and x's dimensions except {@code ceil(x[axis] / blockSize)} along the axis.
     */
    static String checkParamShape(Shape p, Shape x, int axis, long blockSize) {
        if (blockSize < 0) return "block_size must not be negative, got " + blockSize;
        // why: one element is per tensor whatever its rank, as in the ONNX reference
        if (p.numel() == 1) return null;
        if (blockSize == 0) {
            if (p.rank() != 1) return "must be a scalar or a 1-D tensor (per axis) without block_size, got shape " + p;
            if (x.rank() == 0) return "a per-axis parameter needs an input of rank 1 or more";
            if (p.dim(0) != x.dim(axis))
                return "has " + p.dim(0) + " elements but the input has " + x.dim(axis) + " along axis " + axis;
            return null;
        }
        if (p.rank() != x.rank()) return "must have the input's rank " + x.rank() + " for blocked quantization, got shape " + p;
        for (int d = 0; d < x.rank(); d++) {
            long want = d == axis ? (x.dim(d) + blockSize - 1) / blockSize : x.dim(d);
            if (p.dim(d) != want)
                return "has shape " + p + " but blocked quantization of " + x + " along axis " + axis + " with block_size "
                        + blockSize + " needs " + want + " along dimension " + d;
        }
        return null;
    }

    /** The normalised quantization axis of input 0 for the scale (input 1); 0 when the scale is per tensor. */
    static int axis(InferContext cx, Shape x) {
        long a = cx.attrs().getInt("axis");
        if (cx.shape(1).numel() == 1) return 0;
        cx.check(a >= -x.rank() && a < x.rank(), "axis %d is out of range for an input of rank %d", a, x.rank());
        return x.axis(a);
    }

    /**
     * For each flat index of a tensor of shape {@code x}, the flat index of its scale/zero point of shape
     * {@code p} (which {@link #checkParamShape} accepted).
     */
    static int[] paramIndex(Shape p, Shape x, int axis, long blockSize) {
        int n = x.size();
        int[] map = new int[n];
        if (p.numel() == 1) return map;
        int[] xd = x.dims(), xs = x.strides();
        if (blockSize == 0) {
            int stride = xs[axis], dim = xd[axis];
            for (int i = 0; i < n; i++) map[i] = (i / stride) % dim;
            return map;
        }
        int[] ps = p.strides();
        for (int i = 0; i < n; i++) {
            int rem = i, idx = 0;
            for (int d = 0; d < xd.length; d++) {
                int c = rem / xs[d];
                rem -= c * xs[d];
                idx += (d == axis ? (int) (c / blockSize) : c) * ps[d];
            }
            map[i] = idx;
        }
        return map;
    }

    /**
     * Rounds {@code v} half to even and saturates {@code round(v) + zeroPoint} into {@code to}'s range; NaN
     * counts as 0.
     */
    static long roundAndSaturate(double v, long zeroPoint, DType to) {
        double r = Math.rint(v);
        if (Double.isNaN(r)) r = 0;
        // why: clamp before the long conversion so huge values saturate instead of wrapping
        r = Math.max(-0x1p40, Math.min(0x1p40, r));
        return to.saturate((long) r + zeroPoint);
    }

    /**
     * Requantizes an int32 accumulator: {@code saturate(round_half_even(float(acc) * multiplier) + zeroPoint)},
     * the product taken in float32 like ONNX Runtime's requantization (and a float-only MCU) does it.
     */
    public static long requantize(long acc, float multiplier, long zeroPoint, DType to) {
        return roundAndSaturate((float) acc * multiplier, zeroPoint, to);
    }

    /** {@code a / b} computed in precision {@code p} (f16 rounds operands and result to half, f32 to float). */
    static double divide(double a, double b, DType p) {
        switch (p) {
            case F16: return Half.round(Half.round((float) a) / Half.round((float) b));
            case F32: return (float) a / (float) b;
            default: return a / b;
        }
    }

    /** {@code a * b} computed in precision {@code p}. */
    static double multiply(double a, double b, DType p) {
        switch (p) {
            case F16: return Half.round(Half.round((float) a) * Half.round((float) b));
            case F32: return (float) a * (float) b;
            default: return a * b;
        }
    }

    /** The shape of {@code numpy.matmul(a, b)}, or an IllegalArgumentException saying why there is none. */
    static Shape matmulShape(Shape a, Shape b) {
        if (a.rank() == 0 || b.rank() == 0) throw new IllegalArgumentException("matrix product operands must have rank 1 or more, got " + a + " and " + b);
        Shape a2 = promote(a, true), b2 = promote(b, false);
        int k = a2.dim(-1);
        if (b2.dim(-2) != k) throw new IllegalArgumentException("inner dimensions differ: " + a + " times " + b);
        Shape batch = Broadcast.shape(batchOf(a2), batchOf(b2));
        int[] bd = batch.dims();
        int extra = (a.rank() == 1 ? 0 : 1) + (b.rank() == 1 ? 0 : 1);
        int[] out = java.util.Arrays.copyOf(bd, bd.length + extra);
        int j = bd.length;
        if (a.rank() != 1) out[j++] = a2.dim(-2);
        if (b.rank() != 1) out[j] = b2.dim(-1);
        return Shape.of(out);
    }

    private static Shape batchOf(Shape s) {
        int[] d = s.dims();
        return Shape.of(java.util.Arrays.copyOf(d, d.length - 2));
    }

    /**
     * A batched matrix product seen as 3-D: for every output batch, the batch index of its matrix in
     * {@code a} and in {@code b} (after broadcasting), and the sizes M, K, N.
     */
    record MatmulPlan(int batches, int[] aBatch, int[] bBatch, int m, int k, int n) {
        static MatmulPlan of(Shape a, Shape b) {
            Shape a2 = promote(a, true), b2 = promote(b, false);
            Shape ab = batchOf(a2), bb = batchOf(b2);
            Shape batch = Broadcast.shape(ab, bb);
            return new MatmulPlan(batch.size(), Broadcast.indexMap(ab, batch), Broadcast.indexMap(bb, batch), a2.dim(-2), a2.dim(-1), b2.dim(-1));
        }
    }

    /** A matrix-product operand as a matrix: a 1-D {@code a} of K elements is {@code [1, K]}, a 1-D {@code b} is {@code [K, 1]}. */
    static Shape promote(Shape s, boolean isA) {
        if (s.rank() != 1) return s;
        return isA ? Shape.of(1, s.dim(0)) : Shape.of(s.dim(0), 1);
    }

    /**
     * The exact integer product {@code (a - aZero) x (b - bZero)} with numpy matmul broadcasting, each
     * accumulator wrapped to int32 as an int32 accumulation would leave it. The zero points are given per
     * element of {@code a} and {@code b} (already broadcast).
     */
    static long[] integerMatmul(NdArray a, long[] aZero, NdArray b, long[] bZero, MatmulPlan p) {
        long[] av = a.longs(), bv = b.longs();
        int m = p.m(), k = p.k(), n = p.n();
        long[] out = new long[p.batches() * m * n];
        long[] row = new long[n];
        for (int t = 0; t < p.batches(); t++) {
            int ao = p.aBatch()[t] * m * k, bo = p.bBatch()[t] * k * n;
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(row, 0);
                for (int kk = 0; kk < k; kk++) {
                    int ai = ao + i * k + kk;
                    long x = av[ai] - aZero[ai];
                    if (x == 0) continue;
                    int bi = bo + kk * n;
                    for (int j = 0; j < n; j++) row[j] += x * (bv[bi + j] - bZero[bi + j]);
                }
                int base = (t * m + i) * n;
                for (int j = 0; j < n; j++) out[base + j] = (int) row[j];
            }
        }
        return out;
    }

    /**
     * A zero point broadcast to one value per element of matrix operand {@code x} (all zeros when {@code zp}
     * is null); a 1-D zero point of the left operand ({@code perRow}) holds one value per row.
     */
    static long[] broadcastZeroPoint(NdArray zp, Shape x, boolean perRow) {
        long[] r = new long[x.size()];
        if (zp == null) return r;
        Shape ps = paramShape(zp.shape(), x, perRow);
        int[] map = Broadcast.indexMap(ps, x);
        for (int i = 0; i < r.length; i++) r[i] = zp.getLong(map[i]);
        return r;
    }

    /**
     * The shape a matrix-product parameter (scale or zero point) broadcasts with against operand shape {@code x}:
     * a 1-D per-row parameter of M elements becomes {@code [M, 1]}; anything else broadcasts numpy-style.
     */
    static Shape paramShape(Shape p, Shape x, boolean perRow) {
        if (perRow && p.rank() == 1 && p.numel() > 1 && x.rank() >= 2) return Shape.of(p.dim(0), 1);
        return p;
    }

    /**
     * Checks a matrix-product parameter of shape {@code p} for operand {@code x}: it must broadcast to x and be
     * constant along the summed axis K ({@code kAxisFromEnd} 1 for a's last axis, 2 for b's second-to-last,
     * 0 for the output, which has none).
     * Returns null if it fits, else what is wrong.
     */
    static String checkMatmulParam(Shape p, Shape x, boolean perRow, int kAxisFromEnd) {
        if (p.numel() == 1) return null;
        Shape ps = paramShape(p, x, perRow);
        if (kAxisFromEnd > 0) x = promote(x, kAxisFromEnd == 1);
        if (!Broadcast.broadcastsTo(ps, x)) return "shape " + p + " does not fit operand " + x + (perRow ? " (per row)" : " (per column)");
        if (kAxisFromEnd > 0 && x.rank() >= kAxisFromEnd && ps.rank() >= kAxisFromEnd
                && ps.dim(ps.rank() - kAxisFromEnd) != 1 && x.dim(x.rank() - kAxisFromEnd) != 1)
            return "shape " + p + " varies along the summed axis of operand " + x;
        return null;
    }

    /**
     * For a scale of matrix operand {@code x} ({@code isA}: the left one, per row; else the right one, per
     * column), the index of its value for each row of a (flat {@code batch * M + i}) or each column of b
     * (flat {@code batch * N + j}), the operand's batches counted before broadcasting.
     */
    static int[] collapsedParamIndex(Shape p, Shape x, boolean isA) {
        int[] d = promote(x, isA).dims();
        d[isA ? d.length - 1 : d.length - 2] = 1;
        Shape c = Shape.of(d);
        if (p.numel() == 1) return new int[c.size()];
        return Broadcast.indexMap(paramShape(p, x, isA), c);
    }
}
