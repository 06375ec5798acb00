package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Base of ArgMax and ArgMin: the int64 index of the extreme value along {@code axis} (default 0), the axis kept
 * with dimension 1 when {@code keepdims} = 1 (default) and removed when 0. Ties go to the first index, or to the
 * last with {@code select_last_index} = 1. A NaN counts as the extreme value (numpy's rule).
 */
public abstract class ArgReduce extends OpDef {
    protected ArgReduce(String name) {
        super(name, Signature.builder().input("data").output("reduced").attr("axis", AttrType.INT, 0L)
                .attr("keepdims", AttrType.INT, 1L).attr("select_last_index", AttrType.INT, 0L).build(), Trait.REDUCTION);
    }

    /** 1 when the largest value wins, -1 when the smallest does. */
    protected abstract int direction();

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape s = cx.shape(0);
        int r = s.rank();
        long axis = cx.attrs().getInt("axis"), keep = cx.attrs().getInt("keepdims");
        int a = AxisRun.check(cx, s, axis);
        cx.check(keep == 0 || keep == 1, "keepdims must be 0 or 1, got %d", keep);
        cx.check(s.dim(a) > 0, "axis %d has no elements, so there is no index to return", axis);
        int[] d = s.dims().clone();
        d[a] = 1;
        if (keep == 0) {
            int[] e = new int[r - 1];
            for (int i = 0, k = 0; i < r; i++) if (i != a) e[k++] = d[i];
            d = e;
        }
        return List.of(new TensorType(DType.I64, Shape.of(d)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        Shape s = x.shape();
        boolean last = cx.attrs().getInt("select_last_index") != 0, floating = x.dtype().isFloat();
        int dir = direction();
        AxisRun run = AxisRun.of(s, cx.attrs().getInt("axis"));
        int outer = run.outer(), n = run.n(), inner = run.inner();
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i, best = 0;
                double bv = x.getDouble(base);
                long bl = x.getLong(base);
                for (int k = 1; k < n && !Double.isNaN(bv); k++) {
                    int at = base + k * inner;
                    double v = x.getDouble(at);
                    long l = x.getLong(at);
                    int c = floating ? (Double.isNaN(v) ? dir : Double.compare(v, bv)) : Long.compare(l, bl);
                    if (floating && v == bv) c = 0; // why: -0.0 and 0.0 tie, as in C
                    if (c * dir > 0 || last && c == 0) {
                        best = k;
                        bv = v;
                        bl = l;
                    }
                }
                y.setLong(o * inner + i, best);
            }
        }
        return List.of(y);
    }
}
