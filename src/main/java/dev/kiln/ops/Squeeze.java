package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Removes axes of dimension 1: those listed in {@code axes} (negative ones count from the end), or every
 * axis of dimension 1 when {@code axes} is absent.
 */
public final class Squeeze extends OpDef {
    public Squeeze() {
        super("squeeze", Signature.builder().input("data").output("squeezed").optionalAttr("axes", AttrType.INTS).build(),
                Trait.ALIAS, Trait.DATA_MOVEMENT, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "remove axes of dimension 1"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape in = cx.shape(0);
        int r = in.rank();
        long[] axes = cx.attrs().getIntsOrNull("axes");
        boolean[] drop = new boolean[r];
        if (axes == null) {
            for (int a = 0; a < r; a++) drop[a] = in.dim(a) == 1;
        } else {
            for (long ax : axes) {
                cx.check(ax >= -r && ax < r, "axis %d in axes %s is out of range for rank %d", ax, Arrays.toString(axes), r);
                int a = (int) (ax < 0 ? ax + r : ax);
                cx.check(!drop[a], "axis %d appears twice in axes %s", a, Arrays.toString(axes));
                cx.check(in.dim(a) == 1, "cannot squeeze axis %d of shape %s: its dimension is %d, not 1", a, in, in.dim(a));
                drop[a] = true;
            }
        }
        int[] out = new int[r];
        int k = 0;
        for (int a = 0; a < r; a++) if (!drop[a]) out[k++] = in.dim(a);
        return List.of(DataMovement.moved(cx.input(0), Shape.of(Arrays.copyOf(out, k))));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        return List.of(DataMovement.reshaped(cx.input(0), cx.outputType(0).shape()));
    }

    /** Carries a run-time extent to the same axis among the others ({@link Reshape#carried}): only axes of dimension 1 removed. */
    @Override
    public int[] carriesExtent(dev.kiln.ir.Node n, int input, int axis) {
        int a = Reshape.carried(n.input(0).shape(), n.output(0).shape(), axis);
        return a < 0 ? null : new int[] {a};
    }

    /** On packed sub-byte values the output is the input's bytes: no unpacking (see {@link StorageTypes#SAME_BYTES}). */
    @Override
    public StorageTypes storageTypes(dev.kiln.ir.Node n) { return sameBytesWhenPacked(n); }
}
