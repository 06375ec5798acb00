package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Takes a strided window of a tensor: along each axis {@code axes[i]} the elements from {@code starts[i]}
 * toward (not including) {@code ends[i]} in steps of {@code steps[i]}, with ONNX's rules: negative bounds
 * count from the end, bounds are clamped to the axis, negative steps walk backwards. Axes not listed are
 * kept whole; {@code axes} defaults to 0..n-1 and {@code steps} to all ones.
 */
public final class Slice extends OpDef {
    public Slice() {
        super("slice", Signature.builder().input("data").output("output")
                .requiredAttr("starts", AttrType.INTS).requiredAttr("ends", AttrType.INTS)
                .optionalAttr("axes", AttrType.INTS).optionalAttr("steps", AttrType.INTS).build(), Trait.DATA_MOVEMENT, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "strided window: starts/ends/axes/steps (ONNX clamping, negative steps)"; }

    /** The resolved window of every input axis: first element, step and number of elements taken. */
    public record Window(int[] start, int[] step, int[] count) {}

    /**
     * Resolves the attributes of a slice of a tensor of shape {@code in} into one window per axis, or throws
     * IllegalArgumentException saying what is wrong.
     */
    public static Window resolve(Shape in, Attrs attrs) {
        int r = in.rank();
        long[] starts = attrs.getInts("starts"), ends = attrs.getInts("ends");
        long[] axes = attrs.getIntsOrNull("axes"), steps = attrs.getIntsOrNull("steps");
        int n = starts.length;
        if (ends.length != n) throw new IllegalArgumentException("starts " + Arrays.toString(starts) + " and ends " + Arrays.toString(ends) + " differ in length");
        if (axes != null && axes.length != n) throw new IllegalArgumentException("axes " + Arrays.toString(axes) + " and starts " + Arrays.toString(starts) + " differ in length");
        if (steps != null && steps.length != n) throw new IllegalArgumentException("steps " + Arrays.toString(steps) + " and starts " + Arrays.toString(starts) + " differ in length");
        int[] start = new int[r], step = new int[r], count = in.dims();
        Arrays.fill(step, 1);
        boolean[] seen = new boolean[r];
        for (int i = 0; i < n; i++) {
            long ax = axes == null ? i : axes[i];
            if (ax < -r || ax >= r) throw new IllegalArgumentException("axis " + ax + " is out of range for rank " + r);
            int a = (int) (ax < 0 ? ax + r : ax);
            if (seen[a]) throw new IllegalArgumentException("axis " + a + " appears twice in axes " + Arrays.toString(axes));
            seen[a] = true;
            long st = steps == null ? 1 : steps[i];
            if (st == 0) throw new IllegalArgumentException("step 0 on axis " + a);
            if (st > Integer.MAX_VALUE || st < -Integer.MAX_VALUE) st = st > 0 ? Integer.MAX_VALUE : -Integer.MAX_VALUE;
            long dim = in.dim(a);
            long b = starts[i], e = ends[i];
            if (b < 0) b += dim;
            if (e < 0) e += dim;
            long c;
            if (st > 0) {
                b = clamp(b, 0, dim);
                e = clamp(e, 0, dim);
                c = e > b ? (e - b + st - 1) / st : 0;
            } else {
                b = clamp(b, 0, dim - 1);
                e = clamp(e, -1, dim - 1);
                c = b > e ? (b - e - st - 1) / -st : 0;
            }
            if (dim == 0) {
                b = 0;
                c = 0;
            }
            start[a] = (int) b;
            step[a] = (int) st;
            count[a] = (int) c;
        }
        return new Window(start, step, count);
    }

    /**
     * A slice that keeps a bounded axis whole (from 0, step 1, to its end) takes each slice along it independently,
     * so the extent passes through on the same axis.
     */
    @Override
    public int[] carriesExtent(dev.kiln.ir.Node n, int input, int axis) {
        Window w = resolve(n.input(0).shape(), n.attrs());
        // why: a window that starts later or stops earlier on the bounded axis would need the run-time extent to place it
        if (w.start()[axis] != 0 || w.step()[axis] != 1 || w.count()[axis] != n.input(0).shape().dim(axis)) return null;
        return new int[] {axis};
    }

    private static long clamp(long v, long lo, long hi) { return Math.max(lo, Math.min(hi, v)); }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Window w;
        try {
            w = resolve(cx.shape(0), cx.attrs());
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        return List.of(DataMovement.moved(cx.input(0), Shape.of(w.count())));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        Window w = resolve(x.shape(), cx.attrs());
        int[] strides = x.shape().strides();
        int r = strides.length;
        int[][] offsets = new int[r][];
        for (int a = 0; a < r; a++) {
            offsets[a] = new int[w.count()[a]];
            for (int o = 0; o < offsets[a].length; o++) offsets[a][o] = (w.start()[a] + o * w.step()[a]) * strides[a];
        }
        DataMovement.take(x, DataMovement.offsetMap(y.shape().dims(), offsets), y);
        return List.of(y);
    }
}
