package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Reshapes a tensor to 2-D: the dimensions before {@code axis} become the rows, the rest the columns.
 * {@code axis} is in [-rank, rank]; 0 gives {@code [1, size]}.
 */
public final class Flatten extends OpDef {
    public Flatten() {
        super("flatten", Signature.builder().input("X").output("Y").attr("axis", AttrType.INT, 1L).build(),
                Trait.ALIAS, Trait.DATA_MOVEMENT, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "reshape to 2-D [prod(dims[:axis]), prod(dims[axis:])]"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape s = cx.shape(0);
        long axis = cx.attrs().getInt("axis");
        int r = s.rank();
        cx.check(axis >= -r && axis <= r, "axis %d is out of range for a rank-%d input (allowed: %d to %d)", axis, r, -r, r);
        int a = (int) (axis < 0 ? axis + r : axis);
        long rows = prodLong(s, 0, a);
        long cols = prodLong(s, a, r);
        cx.check(rows <= Integer.MAX_VALUE && cols <= Integer.MAX_VALUE, "flattened dimensions [%d, %d] are too large", rows, cols);
        return List.of(DataMovement.moved(cx.input(0), Shape.of((int) rows, (int) cols)));
    }

    private static long prodLong(Shape s, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            int d = s.dim(i);
            if (d != 0 && p > Long.MAX_VALUE / d) return Long.MAX_VALUE;
            p *= d;
        }
        return p;
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        return List.of(DataMovement.reshaped(cx.input(0), cx.outputType(0).shape()));
    }

    /** On packed sub-byte values the output is the input's bytes: no unpacking (see {@link StorageTypes#SAME_BYTES}). */
    @Override
    public StorageTypes storageTypes(dev.kiln.ir.Node n) { return sameBytesWhenPacked(n); }
}
