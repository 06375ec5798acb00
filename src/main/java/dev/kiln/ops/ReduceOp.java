package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Base of the reductions (ReduceSum, ReduceMean, ReduceMax): combines the elements of {@code data} over the
 * axes in {@code axes} (negative ones count from the end; absent: every axis; empty: none, the output is a
 * copy). With {@code keepdims} = 1 the reduced axes stay with dimension 1, with 0 they are removed.
 * A reduction over an empty set of elements gives the subclass's identity value.
 *
 * <p>A subclass gives the start value, the combining step and the final step, for floats (in double
 * precision, rounded to the output type at the end) and for integers (exact 64-bit arithmetic, wrapped into
 * the output type at the end).
 */
public abstract class ReduceOp extends OpDef {
    protected ReduceOp(String name, Trait... traits) {
        super(name, Signature.builder().input("data").output("reduced")
                .optionalAttr("axes", AttrType.INTS).attr("keepdims", AttrType.INT, 1L).build(), withReduction(traits));
    }

    private static Trait[] withReduction(Trait[] t) {
        Trait[] r = Arrays.copyOf(t, t.length + 1);
        r[t.length] = Trait.REDUCTION;
        return r;
    }

    /** True if the result is one of the input's values, so per-tensor quantization parameters carry over. */
    protected boolean selectsElements() { return false; }

    /** Element types this reduction accepts. */
    protected abstract boolean accepts(DType t);

    protected abstract double startFloat();

    protected abstract double combineFloat(double acc, double x);

    /** The result from the combined value {@code acc} of {@code count} elements. */
    protected double finishFloat(double acc, int count) { return acc; }

    protected abstract long startInt(DType t);

    protected abstract long combineInt(long acc, long x);

    protected long finishInt(long acc, int count) { return acc; }

    /**
     * Which axes of a tensor of shape {@code in} a node with attributes {@code attrs} reduces, or an
     * IllegalArgumentException saying what is wrong with {@code axes}.
     */
    public static boolean[] reducedAxes(Shape in, Attrs attrs) {
        int r = in.rank();
        long[] axes = attrs.getIntsOrNull("axes");
        boolean[] red = new boolean[r];
        if (axes == null) {
            Arrays.fill(red, true);
            return red;
        }
        for (long ax : axes) {
            if (ax < -r || ax >= r) throw new IllegalArgumentException("axis " + ax + " in axes " + Arrays.toString(axes) + " is out of range for rank " + r);
            int a = (int) (ax < 0 ? ax + r : ax);
            if (red[a]) throw new IllegalArgumentException("axis " + a + " appears twice in axes " + Arrays.toString(axes));
            red[a] = true;
        }
        return red;
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape in = cx.shape(0);
        cx.check(accepts(cx.dtype(0)), "does not take %s tensors", cx.dtype(0));
        boolean[] red;
        try {
            red = reducedAxes(in, cx.attrs());
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        long keep = cx.attrs().getInt("keepdims");
        cx.check(keep == 0 || keep == 1, "keepdims must be 0 or 1, got %d", keep);
        int[] out = new int[in.rank()];
        int k = 0;
        for (int a = 0; a < in.rank(); a++) {
            if (!red[a]) out[k++] = in.dim(a);
            else if (keep == 1) out[k++] = 1;
        }
        Shape s = Shape.of(Arrays.copyOf(out, k));
        return List.of(selectsElements() ? DataMovement.moved(cx.input(0), s) : new TensorType(cx.dtype(0), s));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        Shape in = x.shape();
        boolean[] red = reducedAxes(in, cx.attrs());
        int r = in.rank();
        int[] outStride = new int[r];
        int acc = 1;
        for (int a = r - 1; a >= 0; a--) {
            if (red[a]) continue;
            outStride[a] = acc;
            acc *= in.dim(a);
        }
        int[][] offsets = new int[r][];
        int count = 1;
        for (int a = 0; a < r; a++) {
            offsets[a] = new int[in.dim(a)];
            for (int i = 0; i < in.dim(a); i++) offsets[a][i] = i * outStride[a];
            if (red[a]) count *= in.dim(a);
        }
        int[] map = DataMovement.offsetMap(in.dims(), offsets);
        int n = y.size();
        if (x.dtype().isFloat()) {
            double[] v = new double[n];
            Arrays.fill(v, startFloat());
            for (int i = 0; i < map.length; i++) v[map[i]] = combineFloat(v[map[i]], x.getDouble(i));
            for (int i = 0; i < n; i++) y.setDouble(i, finishFloat(v[i], count));
        } else {
            long[] v = new long[n];
            Arrays.fill(v, startInt(x.dtype()));
            long[] xs = x.longs();
            for (int i = 0; i < map.length; i++) v[map[i]] = combineInt(v[map[i]], xs[i]);
            for (int i = 0; i < n; i++) y.setLong(i, finishInt(v[i], count));
        }
        return List.of(y);
    }
}
