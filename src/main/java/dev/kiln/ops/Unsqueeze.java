package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Inserts axes of dimension 1 at the positions {@code axes} of the output (negative ones count from the end
 * of the output's rank, which is the input's rank plus the number of axes).
 */
public final class Unsqueeze extends OpDef {
    public Unsqueeze() {
        super("unsqueeze", Signature.builder().input("data").output("expanded").requiredAttr("axes", AttrType.INTS).build(),
                Trait.ALIAS, Trait.DATA_MOVEMENT, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "insert axes of dimension 1"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape in = cx.shape(0);
        long[] axes = cx.attrs().getInts("axes");
        int r = in.rank() + axes.length;
        boolean[] inserted = new boolean[r];
        for (long ax : axes) {
            cx.check(ax >= -r && ax < r, "axis %d in axes %s is out of range for the output rank %d", ax, Arrays.toString(axes), r);
            int a = (int) (ax < 0 ? ax + r : ax);
            cx.check(!inserted[a], "axis %d appears twice in axes %s", a, Arrays.toString(axes));
            inserted[a] = true;
        }
        int[] out = new int[r];
        int k = 0;
        for (int a = 0; a < r; a++) out[a] = inserted[a] ? 1 : in.dim(k++);
        return List.of(DataMovement.moved(cx.input(0), Shape.of(out)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        return List.of(DataMovement.reshaped(cx.input(0), cx.outputType(0).shape()));
    }

    /** Carries a run-time extent to the same axis among the others ({@link Reshape#carried}): only axes of dimension 1 inserted. */
    @Override
    public int[] carriesExtent(dev.kiln.ir.Node n, int input, int axis) {
        int a = Reshape.carried(n.input(0).shape(), n.output(0).shape(), axis);
        return a < 0 ? null : new int[] {a};
    }

    /** On packed sub-byte values the output is the input's bytes: no unpacking (see {@link StorageTypes#SAME_BYTES}). */
    @Override
    public StorageTypes storageTypes(dev.kiln.ir.Node n) { return sameBytesWhenPacked(n); }
}
