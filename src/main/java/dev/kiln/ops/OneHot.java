package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * One-hot encoding: a new axis of {@code depth} positions is inserted at {@code axis}; position j holds
 * {@code values[1]} where the index equals j (negative indices count from depth) and {@code values[0]} elsewhere.
 * Out-of-range indices give a row of {@code values[0]}.
 */
public final class OneHot extends OpDef {
    public OneHot() {
        super("one_hot", Signature.builder().input("indices", "values").output("output")
                .requiredAttr("depth", AttrType.INT).attr("axis", AttrType.INT, -1L).build());
    }

    @Override
    public String summary() { return "one-hot encoding along a new axis (depth, off/on values)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape ix = cx.shape(0);
        long depth = cx.attrs().getInt("depth"), axis = cx.attrs().getInt("axis");
        int r = ix.rank() + 1;
        cx.check(depth >= 1 && depth <= Integer.MAX_VALUE, "depth %d must be positive", depth);
        cx.check(axis >= -r && axis < r, "axis %d is out of range for output rank %d", axis, r);
        cx.check(cx.shape(1).numel() == 2, "values %s must hold two elements (off, on)", cx.shape(1));
        int a = (int) (axis < 0 ? axis + r : axis);
        int[] out = new int[r];
        for (int i = 0, k = 0; i < r; i++) out[i] = i == a ? (int) depth : ix.dim(k++);
        return List.of(new TensorType(cx.dtype(1), Shape.of(out)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray idx = cx.input(0), v = cx.input(1);
        NdArray y = cx.newOutput(0);
        int depth = (int) cx.attrs().getInt("depth"), r = y.shape().rank();
        int a = Shape.normalizeAxis(cx.attrs().getInt("axis"), r);
        int outer = y.shape().prod(0, a), inner = y.shape().prod(a + 1, r);
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < depth; j++) {
                for (int i = 0; i < inner; i++) {
                    long k = idx.getLong(o * inner + i);
                    if (idx.dtype().isFloat()) k = (long) idx.getDouble(o * inner + i);
                    if (k < 0) k += depth;
                    DataMovement.copy(v, k == j ? 1 : 0, y, (o * depth + j) * inner + i, 1);
                }
            }
        }
        return List.of(y);
    }
}
