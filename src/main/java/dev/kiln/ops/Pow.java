package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * {@code z = x ^ y} with broadcasting; the exponent may have another numeric type and the result has the
 * base's type. Float bases are computed in double. An integer base with an integer exponent is exact
 * (wrapping like repeated C multiplication; a negative exponent gives the truncated quotient, so 0 unless
 * the base is 1 or -1); an integer base with a float exponent is computed in double and truncated toward zero.
 */
public final class Pow extends OpDef {
    public Pow() { super("pow", Signature.builder().input("X", "Y").output("Z").build(), Trait.ELEMENTWISE); }

    @Override
    public String summary() { return "x ^ y (broadcasting; result has x's type)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.check(cx.dtype(0) != DType.BOOL, "base X must be numeric, got %s", cx.dtype(0));
        cx.check(cx.dtype(1) != DType.BOOL, "exponent Y must be numeric, got %s", cx.dtype(1));
        try {
            return List.of(new TensorType(cx.dtype(0), Broadcast.shape(cx.shape(0), cx.shape(1))));
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), y = cx.input(1);
        NdArray z = cx.newOutput(0);
        Shape out = z.shape();
        int[] ix = Broadcast.indexMap(x.shape(), out), iy = Broadcast.indexMap(y.shape(), out);
        boolean floatBase = x.dtype().isFloat(), floatExp = y.dtype().isFloat();
        for (int i = 0, n = z.size(); i < n; i++) {
            if (floatBase || floatExp) {
                double e = floatExp ? y.getDouble(iy[i]) : (double) y.getLong(iy[i]);
                z.setDouble(i, Math.pow(x.getDouble(ix[i]), e));
            } else {
                z.setLong(i, intPow(x.getLong(ix[i]), y.getLong(iy[i])));
            }
        }
        return List.of(z);
    }

    /**
     * {@code base ^ exp} for integers by repeated squaring, wrapping modulo 2^64 (the caller wraps to the type); a
     * negative power is 0 except for the bases 1 and -1 ({@link IntegerSemantics}).
     */
    static long intPow(long base, long exp) {
        if (exp < 0) {
            if (base == 1) return 1;
            if (base == -1) return (exp & 1) == 0 ? 1 : -1;
            return 0;
        }
        long r = 1;
        while (exp != 0) {
            if ((exp & 1) != 0) r *= base;
            base *= base;
            exp >>>= 1;
        }
        return r;
    }
}
