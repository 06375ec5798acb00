package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * A copy of {@code data} with slices of {@code updates} written (or combined by {@code reduction}) at the
 * positions the last axis of {@code indices} addresses; {@code updates} has shape
 * {@code indices.dims[:-1] + data.dims[k:]}. Updates apply in order, so duplicates without reduction keep the last.
 */
public final class ScatterNd extends OpDef {
    public ScatterNd() {
        super("scatter_nd", Signature.builder().input("data", "indices", "updates").output("output")
                .attr("reduction", AttrType.STRING, "none").build(), Trait.DATA_MOVEMENT);
    }

    @Override
    public String summary() { return "scatter slices at index tuples, with none/add/mul/max/min"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(1, DType.I32, DType.I64);
        cx.checkSameDType(0, 2);
        Indexing.checkReduction(cx);
        Shape want = GatherNd.outShape(cx.shape(0), cx.shape(1), 0, cx);
        cx.check(cx.shape(2).equals(want), "updates %s must have shape %s (indices %s over data %s)", cx.shape(2), want, cx.shape(1), cx.shape(0));
        return List.of(DataMovement.moved(cx.input(0), cx.shape(0)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), idx = cx.input(1), u = cx.input(2);
        NdArray y = x.copy();
        String red = cx.attrs().getString("reduction");
        Shape d = x.shape();
        int k = idx.shape().dim(-1), n = idx.size() / Math.max(k, 1), slice = d.prod(k, d.rank());
        if (k == 0) n = idx.shape().prod(0, idx.shape().rank() - 1);
        int[] str = d.strides();
        for (int j = 0; j < n; j++) {
            int off = 0;
            for (int q = 0; q < k; q++) off += Indexing.index(idx.getLong(j * k + q), d.dim(q), "indices") * str[q];
            for (int e = 0; e < slice; e++) Indexing.update(y, off + e, u, j * slice + e, red);
        }
        return List.of(y);
    }
}
