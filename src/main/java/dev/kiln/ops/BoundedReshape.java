package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Reshape that merges or splits an axis holding a run-time extent with the axes after it ({@code [N, 4] -> [N*4]},
 * {@code [N*4] -> [N, 4]}, {@code [2, N, 4] -> [2, N*4]}), the axes before it keeping their product: every row of
 * those keeps its place (its filled elements first, then padding), and the output's extent along
 * {@code axis} is the input's times {@code multiply} divided by {@code divide}, which must divide it (else the run
 * fails). The importer computes the attributes; see {@link Extents}.
 */
public final class BoundedReshape extends OpDef {
    public BoundedReshape() {
        super("bounded_reshape", Signature.builder().input("data").output("reshaped").requiredAttr("shape", AttrType.INTS)
                .requiredAttr("axis", AttrType.INT).requiredAttr("multiply", AttrType.INT).requiredAttr("divide", AttrType.INT).build(),
                Trait.DATA_MOVEMENT);
    }

    @Override
    public String summary() { return "reshape merging or splitting a run-time sized axis with the axes after it (a bounded shape)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        long[] shape = cx.attrs().getInts("shape");
        long n = 1;
        for (long d : shape) {
            cx.check(d >= 0 && d <= Integer.MAX_VALUE, "shape has an invalid dimension %d", d);
            n *= d;
        }
        cx.check(n == cx.shape(0).numel(), "cannot reshape %s to %d elements", cx.shape(0), n);
        long a = cx.attrs().getInt("axis"), mul = cx.attrs().getInt("multiply"), div = cx.attrs().getInt("divide");
        cx.check(a >= 0 && a < shape.length, "axis %d is out of range for rank %d", a, shape.length);
        cx.check(mul >= 1 && div >= 1 && (mul == 1 || div == 1), "multiply %d and divide %d: one must be 1, both positive", mul, div);
        return List.of(DataMovement.moved(cx.input(0), Shape.of(shape)));
    }

    @Override
    public int boundedAxis(Node n, int output) { return (int) n.attrs().getInt("axis"); }

    @Override
    public int[] carriesExtent(Node n, int input, int axis) { return new int[] {-1}; }

    @Override
    public boolean readsExtent(Node n, int input) { return true; }

    /** Reshapes the exact input: the output's bounded dimension is what its element count leaves. */
    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        int[] d = Shape.of(cx.attrs().getInts("shape")).dims();
        int a = (int) cx.attrs().getInt("axis");
        long rest = 1;
        for (int k = 0; k < d.length; k++) if (k != a) rest *= d[k];
        if (rest == 0 || x.size() % rest != 0)
            throw new IllegalArgumentException("cannot reshape " + x.shape() + " to " + Shape.of(d) + " with axis " + a + " of run-time size: "
                    + x.size() + " elements do not fill whole slices of " + rest);
        d[a] = (int) (x.size() / rest);
        return List.of(DataMovement.reshaped(x, Shape.of(d)));
    }
}
