package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Gathers slices of {@code data} addressed by the last axis of {@code indices} (k coordinates each, after the
 * first {@code batch_dims} axes, which data and indices share): the output shape is
 * {@code indices.dims[:-1] + data.dims[batch_dims + k:]}.
 */
public final class GatherNd extends OpDef {
    public GatherNd() {
        super("gather_nd", Signature.builder().input("data", "indices").output("output").attr("batch_dims", AttrType.INT, 0L).build(),
                Trait.DATA_MOVEMENT);
    }

    @Override
    public String summary() { return "gather slices addressed by index tuples (batch_dims)"; }

    /** The output shape, or an error message. */
    static Shape outShape(Shape d, Shape ix, long b, InferContext cx) {
        cx.check(ix.rank() >= 1 && d.rank() >= 1, "data %s and indices %s must have rank 1 or more", d, ix);
        int k = ix.dim(-1);
        cx.check(b >= 0 && b < Math.min(d.rank(), ix.rank()), "batch_dims %d must be below the ranks of data %s and indices %s", b, d, ix);
        cx.check(b + k <= d.rank(), "indices %s address %d axes past batch_dims %d, data %s has only %d", ix, k, b, d, d.rank());
        for (int i = 0; i < b; i++) cx.check(d.dim(i) == ix.dim(i), "batch axis %d differs: data %s, indices %s", i, d, ix);
        int[] out = new int[ix.rank() - 1 + d.rank() - (int) b - k];
        int n = 0;
        for (int i = 0; i < ix.rank() - 1; i++) out[n++] = ix.dim(i);
        for (int i = (int) b + k; i < d.rank(); i++) out[n++] = d.dim(i);
        return Shape.of(out);
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(1, DType.I32, DType.I64);
        return List.of(DataMovement.moved(cx.input(0), outShape(cx.shape(0), cx.shape(1), cx.attrs().getInt("batch_dims"), cx)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), idx = cx.input(1);
        NdArray y = cx.newOutput(0);
        Shape d = x.shape(), is = idx.shape();
        int b = (int) cx.attrs().getInt("batch_dims"), k = is.dim(-1);
        int[] str = d.strides();
        int slice = d.prod(b + k, d.rank()), batches = d.prod(0, b), perBatch = is.prod(b, is.rank() - 1);
        for (int bi = 0; bi < batches; bi++) {
            for (int j = 0; j < perBatch; j++) {
                int t = bi * perBatch + j, off = 0, rem = bi;
                for (int q = b - 1; q >= 0; q--) {
                    off += (rem % d.dim(q)) * str[q];
                    rem /= d.dim(q);
                }
                for (int q = 0; q < k; q++) off += Indexing.index(idx.getLong(t * k + q), d.dim(b + q), "indices") * str[b + q];
                DataMovement.copy(x, off, y, t * slice, slice);
            }
        }
        return List.of(y);
    }
}
