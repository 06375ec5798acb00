package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Picks one element of {@code data} per element of {@code indices} (same rank): the output element at
 * position p is {@code data[p with p[axis] replaced by indices[p]]}; negative indices count from the end.
 */
public final class GatherElements extends OpDef {
    public GatherElements() {
        super("gather_elements", Signature.builder().input("data", "indices").output("output").attr("axis", AttrType.INT, 0L).build(),
                Trait.DATA_MOVEMENT);
    }

    @Override
    public String summary() { return "per-element gather along an axis (indices as large as the output)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape d = cx.shape(0), ix = cx.shape(1);
        cx.checkDType(1, DType.I32, DType.I64);
        int r = d.rank();
        long axis = cx.attrs().getInt("axis");
        cx.check(r > 0 && ix.rank() == r, "data %s and indices %s must have the same rank (1 or more)", d, ix);
        cx.check(axis >= -r && axis < r, "axis %d is out of range for rank %d", axis, r);
        int a = d.axis(axis);
        for (int i = 0; i < r; i++)
            cx.check(i == a || ix.dim(i) <= d.dim(i), "indices %s exceed data %s on axis %d", ix, d, i);
        return List.of(DataMovement.moved(cx.input(0), ix));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), idx = cx.input(1);
        NdArray y = cx.newOutput(0);
        int[] off = Indexing.elementOffsets(x.shape(), idx, x.shape().axis(cx.attrs().getInt("axis")));
        for (int i = 0; i < off.length; i++) DataMovement.copy(x, off[i], y, i, 1);
        return List.of(y);
    }
}
