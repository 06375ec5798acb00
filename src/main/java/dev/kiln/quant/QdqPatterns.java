package dev.kiln.quant;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Reading the quantization of an imported QDQ or QOperator model: the constant parameters of a
 * quantize_linear / dequantize_linear node as Kiln's int8 {@link QuantParams}, whether two boundaries quantize
 * alike, and whether an op is transparent to quantization (so a value's parameters pass through it unchanged).
 */
public final class QdqPatterns {
    private QdqPatterns() {}

    /** Probes larger than this many elements are not evaluated; the op is then treated as not transparent. */
    private static final int MAX_PROBE_ELEMENTS = 1 << 20;

    /** Whether {@code n} is a quantize_linear node. */
    public static boolean isQuantize(Node n) { return n != null && n.op() == Ops.QUANTIZE_LINEAR; }

    /** Whether {@code n} is a dequantize_linear node. */
    public static boolean isDequantize(Node n) { return n != null && n.op() == Ops.DEQUANTIZE_LINEAR; }

    /**
     * The int8 parameters of quantize or dequantize node {@code n}: its scale (input 1) and zero point (input 2,
     * 0 when absent) must be constants and the quantized side 8-bit. A u8 zero point z becomes the i8 zero point
     * {@code z - 128} (the same real values, the codes shifted by 128). One scale is per tensor (axis -1); a 1-D
     * scale is per axis along the node's {@code axis}. Returns null when the parameters are not constant, blocked
     * ({@code block_size > 0}) or not 8-bit.
     */
    public static QuantParams params(Node n) { return params(n, false); }

    /**
     * The parameters of dequantize node {@code n} of an int4 weight (its integer side i4, not blocked), as
     * {@link #params} gives them for 8-bit ones; null otherwise.
     */
    public static QuantParams int4Params(Node n) { return quantizedType(n) == DType.I4 ? params(n, true) : null; }

    private static QuantParams params(Node n, boolean int4) {
        Value scale = n.input(1), zp = n.input(2);
        if (scale == null || !scale.isConstant() || (zp != null && !zp.isConstant())) return null;
        if (n.attrs().getInt("block_size", 0) != 0) return null;
        DType q = quantizedType(n);
        if (q != DType.I8 && q != DType.U8 && !(int4 && q == DType.I4)) return null;
        long shift = q == DType.U8 ? -128 : 0;
        NdArray s = scale.constant();
        int k = s.size();
        float[] scales = new float[k];
        long[] zps = new long[k];
        for (int i = 0; i < k; i++) {
            scales[i] = s.getFloat(i);
            zps[i] = (zp == null ? 0 : zp.constant().getLong(i)) + shift;
        }
        if (k == 1) return new QuantParams(scales, zps, -1);
        int rank = n.input(0).shape().rank();
        return new QuantParams(scales, zps, Shape.normalizeAxis(n.attrs().getInt("axis", 1), rank));
    }

    /** The integer side of a quantize (its output) or dequantize (its input) node. */
    public static DType quantizedType(Node n) {
        return isQuantize(n) ? n.output(0).dtype() : n.input(0).dtype();
    }

    /**
     * Whether boundaries {@code a} and {@code b} quantize identically: same integer type and bit-equal constant
     * scales and zero points along the same axis, so {@code dequantize(quantize(v))} through them is the plain
     * rounding of v to that grid.
     */
    public static boolean sameQuantization(Node a, Node b) {
        QuantParams pa = params(a), pb = params(b);
        return pa != null && pa.equals(pb) && quantizedType(a) == quantizedType(b);
    }

    /**
     * Whether per-tensor quantization passes unchanged through node {@code n}: for every per-tensor grid
     * {@code Q} (with {@code Q(0)} exactly its zero point), {@code Q(n(v)) = n'(Q(v))} where {@code n'} is the
     * same op on the integer codes with 0 read as the zero point — so n's int8 output has its input's
     * parameters. Holds for reshapes, transposes, slices, pads with 0, max pooling, relu: ops whose every output
     * element is an input element or 0 and that commute with monotone maps fixing 0.
     *
     * <p>Asked of the op's behaviour, not its name: n (one runtime input, the others constant, one float output)
     * is evaluated on a probe of distinct values of both signs and on the probe's cubes (a monotone map fixing
     * 0); it is transparent when every output is a probe value or 0 and the second result is the cube of the
     * first, element by element.
     */
    public static boolean transparent(Node n) {
        if (n.outputs().size() != 1 || n.input(0) == null || n.input(0).isConstant()) return false;
        for (int i = 1; i < n.numInputs(); i++) if (n.input(i) != null && !n.input(i).isConstant()) return false;
        Value x = n.input(0);
        if (x.dtype() != DType.F32 || n.output(0).dtype() != DType.F32) return false;
        int size = x.shape().size();
        if (size == 0 || size > MAX_PROBE_ELEMENTS) return false;
        float[] probe = new float[size];
        Random r = new Random(0x5eed);
        for (int i = 0; i < size; i++) {
            // values of both signs whose cubes are exact in float: multiples of 1/16 in [-63/16, 63/16]
            probe[i] = (r.nextInt(127) - 63) / 16f;
        }
        float[] cubes = new float[size];
        for (int i = 0; i < size; i++) cubes[i] = probe[i] * probe[i] * probe[i];
        NdArray y, yc;
        try {
            y = evaluate(n, NdArray.ofFloats(x.shape(), probe));
            yc = evaluate(n, NdArray.ofFloats(x.shape(), cubes));
        } catch (RuntimeException e) {
            return false;
        }
        Set<Float> allowed = new HashSet<>();
        for (float v : probe) allowed.add(v);
        allowed.add(0f);
        for (int i = 0; i < y.size(); i++) {
            float a = y.getFloat(i);
            if (!allowed.contains(a) && a != 0f) return false;
            if (Float.compare(yc.getFloat(i), a * a * a) != 0 && !(a == 0f && yc.getFloat(i) == 0f)) return false;
        }
        return true;
    }

    private static NdArray evaluate(Node n, NdArray x) {
        List<NdArray> ins = new ArrayList<>();
        ins.add(x);
        for (int i = 1; i < n.numInputs(); i++) ins.add(n.input(i) == null ? null : n.input(i).constant());
        return Interpreter.evaluate(n, ins).get(0);
    }

    /** {@code s * w[m]} for every per-channel scale {@code w[m]}, rounded to float32 like ONNX Runtime forms a bias scale. */
    public static NdArray productScale(NdArray s, NdArray w) {
        float a = s.getFloat(0);
        float[] out = new float[w.size()];
        for (int m = 0; m < out.length; m++) out[m] = a * w.getFloat(m);
        return NdArray.ofFloats(Shape.of(out.length), out);
    }

    /** A short description of {@code q} for reports: {@code scale=0.0123 zp=-128} or {@code per-axis 1 (64 channels)}. */
    public static String describe(QuantParams q) {
        if (q == null) return "none";
        return q.perChannel() ? "per-axis " + q.axis() + " (" + q.channels() + " channels)"
                : "scale=" + q.scale(0) + " zp=" + q.zeroPoint(0);
    }

    /** Whether every zero point of {@code q} is 0 (symmetric). */
    public static boolean symmetric(QuantParams q) {
        return Arrays.stream(q.zeroPoints()).allMatch(z -> z == 0);
    }
}
