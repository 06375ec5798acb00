package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Gives a tensor's data, in the same row-major order, the shape {@code shape}. The shape is fully resolved:
 * every entry is the actual dimension (ONNX's 0 = copy and -1 = infer are resolved when importing), and it
 * must hold as many elements as the input.
 */
public final class Reshape extends OpDef {
    public Reshape() {
        super("reshape", Signature.builder().input("X").output("Y").requiredAttr("shape", AttrType.INTS).build(),
                Trait.ALIAS, Trait.DATA_MOVEMENT, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "same data, new shape (the target shape is explicit)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        long[] shape = cx.attrs().getInts("shape");
        long n = 1;
        for (long d : shape) {
            cx.check(d >= 0 && d <= Integer.MAX_VALUE, "shape %s has an invalid dimension %d (it must be resolved: no -1 or 0 placeholders)",
                    Arrays.toString(shape), d);
            cx.check(d == 0 || n <= Long.MAX_VALUE / d, "shape %s has too many elements", Arrays.toString(shape));
            n *= d;
        }
        Shape in = cx.shape(0);
        cx.check(n == in.numel(), "cannot reshape %s (%d elements) to %s (%d elements)", in, in.numel(), Arrays.toString(shape), n);
        return List.of(DataMovement.moved(cx.input(0), Shape.of(shape)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        return List.of(DataMovement.reshaped(cx.input(0), cx.outputType(0).shape()));
    }

    /**
     * A reshape that keeps the bounded axis as one output axis of the same length, with the same element count before
     * it (so each slice along it stays where it was), carries the extent to that axis: {@code [N, 4] -> [N, 2, 2]},
     * {@code [1, N, 4] -> [N, 4]}. Merging or splitting the bounded axis with later ones changes the extent: the importer makes that a {@link BoundedReshape}.
     */
    @Override
    public int[] carriesExtent(dev.kiln.ir.Node n, int input, int axis) {
        int a = carried(n.input(0).shape(), n.output(0).shape(), axis);
        return a < 0 ? null : new int[] {a};
    }

    /** The output axis a reshape of {@code in} to {@code out} carries input axis {@code axis} to unchanged, or -1 (see {@link #carriesExtent}). */
    public static int carried(dev.kiln.ir.Shape in, dev.kiln.ir.Shape out, int axis) {
        long before = in.prod(0, axis);
        for (int a = 0; a < out.rank(); a++)
            if (out.prod(0, a) == before && out.dim(a) == in.dim(axis) && (out.dim(a) != 1 || in.dim(axis) == 1)) return a;
        return -1;
    }

    /** On packed sub-byte values the output is the input's bytes: no unpacking (see {@link StorageTypes#SAME_BYTES}). */
    @Override
    public StorageTypes storageTypes(dev.kiln.ir.Node n) { return sameBytesWhenPacked(n); }
}
