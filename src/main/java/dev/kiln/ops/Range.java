package dev.kiln.ops;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * The numbers {@code start, start + delta, ...} up to (not including) {@code limit}: {@code max(ceil((limit - start) /
 * delta), 0)} of them, with the three operands scalars known only at run time (a Range of constants is folded at
 * import). The count is a run-time extent: the static shape holds the {@code bound} attribute (see {@link Extents}),
 * which the importer takes from {@code --bound NODE=N}.
 */
public final class Range extends OpDef {
    private static final java.util.Set<DType> TYPES = java.util.Set.of(DType.F32, DType.F64, DType.I16, DType.I32, DType.I64);

    public Range() {
        super("range", Signature.builder().input("start", "limit", "delta").output("output").requiredAttr("bound", AttrType.INT).build());
    }

    @Override
    public String summary() { return "start, start + delta, ... below limit, from run-time scalars (a bounded shape)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.check(TYPES.contains(cx.dtype(0)), "takes float, double, int16, int32 or int64 operands, got %s", cx.dtype(0));
        for (int i = 0; i < 3; i++) {
            cx.check(cx.dtype(i) == cx.dtype(0), "start, limit and delta must have one type, got %s, %s, %s", cx.dtype(0), cx.dtype(1), cx.dtype(2));
            cx.check(cx.shape(i).numel() == 1, "input %d must be a scalar, got %s", i, cx.shape(i));
        }
        return List.of(new TensorType(cx.dtype(0), Shape.of(Extents.bound(cx, Extents.MAX_BOUND))));
    }

    @Override
    public int boundedAxis(Node n, int output) { return 0; }

    /** The element count of a range, or -1 when {@code delta} is 0 (no range). */
    public static long count(NdArray start, NdArray limit, NdArray delta) {
        if (start.dtype().isFloat()) {
            double d = delta.getDouble(0);
            if (d == 0 || Double.isNaN(d)) return -1;
            double q = Math.ceil((limit.getDouble(0) - start.getDouble(0)) / d);
            return Double.isNaN(q) ? -1 : q <= 0 ? 0 : q >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) q;
        }
        long s = start.getLong(0), l = limit.getLong(0), d = delta.getLong(0);
        if (d == 0) return -1;
        long diff = l - s;
        if (d > 0) return diff > 0 ? (diff + d - 1) / d : 0;
        return diff < 0 ? (-diff - d - 1) / -d : 0;
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray s = cx.input(0), l = cx.input(1), d = cx.input(2);
        long count = count(s, l, d);
        if (count < 0) throw new IllegalArgumentException("delta is 0");
        long bound = cx.outputType(0).shape().dim(0);
        if (count > bound)
            throw new KilnException(Code.BOUNDED_SHAPE, Location.node(null, cx.nodeName()), "range '" + cx.nodeName() + "' gives " + count
                    + " along axis 0, more than its bound " + bound + " (set a larger one with --bound " + cx.nodeName() + "=N)");
        NdArray r = NdArray.zeros(s.dtype(), Shape.of((int) count));
        for (int i = 0; i < count; i++) {
            if (s.dtype().isFloat()) r.setDouble(i, s.getDouble(0) + i * d.getDouble(0));
            else r.setLong(i, s.getLong(0) + i * d.getLong(0));
        }
        return List.of(r);
    }
}
