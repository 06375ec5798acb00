package dev.kiln.quant;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.TensorType;

/**
 * The float side of an int8 model's inputs and outputs, done in Java outside the model (whose code holds no
 * float): quantizing float data for an int8 input ({@code q = saturate(round_half_even(x / s) + z)}, as
 * QuantizeLinear) and dequantizing an int8 output ({@code (q - z) * s}, float32).
 */
public final class Int8Io {
    private Int8Io() {}

    /** Whether a graph input or output of type {@code t} is quantized (integer with parameters). */
    public static boolean quantized(TensorType t) { return !t.dtype().isFloat() && t.quant() != null && !t.quant().perChannel(); }

    /** {@code a} as the quantized input type {@code t} wants it: float data is quantized; other data is left alone. */
    public static NdArray toInput(NdArray a, TensorType t) {
        if (!quantized(t) || !a.dtype().isFloat()) return a;
        QuantParams q = t.quant();
        NdArray r = NdArray.zeros(t.dtype(), a.shape());
        double s = q.scale(0);
        long z = q.zeroPoint(0);
        for (int i = 0; i < a.size(); i++) {
            double v = Math.rint(a.getDouble(i) / s);
            if (Double.isNaN(v)) v = 0;
            v = Math.max(-1e9, Math.min(1e9, v));
            r.setLong(i, t.dtype().saturate((long) v + z));
        }
        return r;
    }

    /** The float32 values of output data {@code a} of type {@code t} (dequantized when it is quantized). */
    public static NdArray toFloat(NdArray a, TensorType t) {
        if (!quantized(t) || a.dtype().isFloat()) return a;
        QuantParams q = t.quant();
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) ((a.getLong(i) - q.zeroPoint(0)) * (double) q.scale(0));
        return NdArray.ofFloats(DType.F32, a.shape(), f);
    }
}
