package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * {@code y = min(max(x, min), max)}: clamps x into [min, max]; an absent bound does not clamp. When
 * min > max every element becomes max (ONNX's rule, from applying the lower bound first). On integer
 * tensors the bounds are rounded inward to integers and saturated to the type; integers are compared exactly.
 * The bounds are float (double) attributes, so int64 bounds beyond 2^53 are rounded. A bound computed at run time
 * (e.g. {@code max(x) - 80} in a log-mel front end) is an optional scalar input of X's type instead, and takes
 * precedence over the attribute.
 */
public final class Clip extends OpDef {
    public Clip() {
        super("clip", Signature.builder().input("X").optionalInput("min", "max").output("Y")
                .optionalAttr("min", AttrType.FLOAT).optionalAttr("max", AttrType.FLOAT).build(),
                Trait.ELEMENTWISE, Trait.ACTIVATION, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "min(max(x, min), max); absent bounds do not clamp"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.check(cx.dtype(0) != DType.BOOL, "does not take bool tensors");
        Attrs a = cx.attrs();
        cx.check(!(a.has("min") && Double.isNaN(a.getFloat("min"))), "min is NaN");
        cx.check(!(a.has("max") && Double.isNaN(a.getFloat("max"))), "max is NaN");
        for (int i = 1; i <= 2; i++) {
            if (!cx.has(i)) continue;
            cx.checkSameDType(0, i);
            cx.check(cx.shape(i).numel() == 1, "bound input '%s' must be a scalar, got %s", i == 1 ? "min" : "max", cx.shape(i));
        }
        return List.of(cx.input(0).withQuant(null));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        Attrs a = cx.attrs();
        if (cx.has(1)) a = a.with("min", cx.input(1).getDouble(0));
        if (cx.has(2)) a = a.with("max", cx.input(2).getDouble(0));
        int n = x.size();
        if (x.dtype().isFloat()) {
            double lo = a.getFloat("min", Double.NEGATIVE_INFINITY), hi = a.getFloat("max", Double.POSITIVE_INFINITY);
            for (int i = 0; i < n; i++) {
                double v = x.getDouble(i);
                if (v < lo) v = lo;
                if (v > hi) v = hi;
                y.setDouble(i, v);
            }
        } else {
            DType t = x.dtype();
            long lo = a.has("min") ? t.saturate(ceilToLong(a.getFloat("min"))) : t.minValue();
            long hi = a.has("max") ? t.saturate(floorToLong(a.getFloat("max"))) : t.maxValue();
            for (int i = 0; i < n; i++) {
                long v = x.getLong(i);
                if (v < lo) v = lo;
                if (v > hi) v = hi;
                y.setLong(i, v);
            }
        }
        return List.of(y);
    }

    private static long ceilToLong(double v) { return (long) Math.ceil(v); }

    private static long floorToLong(double v) { return (long) Math.floor(v); }
}
