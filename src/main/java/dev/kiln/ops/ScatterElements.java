package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * A copy of {@code data} with each element of {@code updates} written (or combined by {@code reduction}:
 * add, mul, max, min) at its own position with the {@code axis} coordinate replaced by {@code indices}; updates
 * apply in row-major order, so with duplicate indices and no reduction the last one wins.
 */
public final class ScatterElements extends OpDef {
    public ScatterElements() {
        super("scatter_elements", Signature.builder().input("data", "indices", "updates").output("output")
                .attr("axis", AttrType.INT, 0L).attr("reduction", AttrType.STRING, "none").build(), Trait.DATA_MOVEMENT);
    }

    @Override
    public String summary() { return "per-element scatter along an axis, with none/add/mul/max/min"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape d = cx.shape(0), ix = cx.shape(1);
        cx.checkDType(1, DType.I32, DType.I64);
        cx.checkSameDType(0, 2);
        Indexing.checkReduction(cx);
        int r = d.rank();
        long axis = cx.attrs().getInt("axis");
        cx.check(r > 0 && ix.rank() == r && cx.shape(2).equals(ix), "data %s, indices %s and updates %s must have one rank, indices and updates one shape",
                d, ix, cx.shape(2));
        cx.check(axis >= -r && axis < r, "axis %d is out of range for rank %d", axis, r);
        return List.of(DataMovement.moved(cx.input(0), d));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), idx = cx.input(1), u = cx.input(2);
        NdArray y = x.copy();
        String red = cx.attrs().getString("reduction");
        int[] off = Indexing.elementOffsets(x.shape(), idx, x.shape().axis(cx.attrs().getInt("axis")));
        for (int i = 0; i < off.length; i++) Indexing.update(y, off[i], u, i, red);
        return List.of(y);
    }
}
