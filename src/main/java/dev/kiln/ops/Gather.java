package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Picks slices of {@code data} along {@code axis} at the positions in {@code indices} (int32 or int64;
 * negative ones count from the end). The output shape is {@code data.dims[:axis] + indices.dims +
 * data.dims[axis+1:]}.
 */
public final class Gather extends OpDef {
    public Gather() {
        super("gather", Signature.builder().input("data", "indices").output("output").attr("axis", AttrType.INT, 0L).build(),
                Trait.DATA_MOVEMENT, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "take slices along an axis at given indices"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape data = cx.shape(0), idx = cx.shape(1);
        cx.checkDType(1, DType.I32, DType.I64);
        int r = data.rank();
        long axis = cx.attrs().getInt("axis");
        cx.check(r > 0, "cannot gather from a scalar");
        cx.check(axis >= -r && axis < r, "axis %d is out of range for rank %d", axis, r);
        int a = data.axis(axis);
        int[] out = new int[r - 1 + idx.rank()];
        int k = 0;
        for (int i = 0; i < a; i++) out[k++] = data.dim(i);
        for (int i = 0; i < idx.rank(); i++) out[k++] = idx.dim(i);
        for (int i = a + 1; i < r; i++) out[k++] = data.dim(i);
        Shape s = Shape.of(out);
        cx.check(s.numel() <= Integer.MAX_VALUE, "output shape %s is too large", s);
        NdArray c = cx.constant(1);
        if (c != null) {
            for (int i = 0; i < c.size(); i++) {
                long v = c.getLong(i);
                cx.check(v >= -data.dim(a) && v < data.dim(a), "index %d is out of range for axis %d of dimension %d", v, a, data.dim(a));
            }
        }
        return List.of(DataMovement.moved(cx.input(0), s));
    }

    /** Bounded indices give a bounded output (their axes sit at {@code axis}); bounded data only off the gathered axis. */
    @Override
    public int[] carriesExtent(dev.kiln.ir.Node n, int input, int axis) {
        int a = n.input(0).shape().axis(n.attrs().getInt("axis")), r = n.input(1).shape().rank();
        if (input == 1) return new int[] {a + axis};
        // why: indices may point anywhere along the gathered axis, also into its padding
        if (axis == a) return null;
        return new int[] {axis < a ? axis : axis + r - 1};
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), idx = cx.input(1);
        NdArray y = cx.newOutput(0);
        Shape in = x.shape();
        int a = in.axis(cx.attrs().getInt("axis"));
        int outer = in.prod(0, a), inner = in.prod(a + 1, in.rank()), n = in.dim(a);
        int k = idx.size();
        for (int j = 0; j < k; j++) {
            long v = idx.getLong(j);
            if (v < -n || v >= n)
                throw new IllegalArgumentException("index " + v + " (element " + j + " of indices) is out of range for axis " + a + " of dimension " + n);
            int src = (int) (v < 0 ? v + n : v);
            for (int o = 0; o < outer; o++) DataMovement.copy(x, (o * n + src) * inner, y, (o * k + j) * inner, inner);
        }
        return List.of(y);
    }
}
