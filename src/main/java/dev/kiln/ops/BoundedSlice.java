package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * ONNX Slice of the axis {@code axis} that holds a run-time extent, with a constant {@code step} and a {@code start}
 * and {@code end} that are constants (attributes) or run-time values (the optional one-element inputs {@code starts}
 * and {@code ends}, which then take the attributes' place): as the spec says, negative indices count from the run-time extent (not the bound) and both are
 * clamped to it, so where the window starts and how many slices it takes are computed at run time; the output's
 * bound is the most it can take for any extent up to the input's bound, or for run-time indices the most any
 * window can take, {@code ceil(bound / |step|)} (see {@link Extents}). Other axes are kept
 * whole (the importer slices them first).
 */
public final class BoundedSlice extends OpDef {
    /** Indices are clamped to this magnitude at import: beyond any extent, so clamping them changes nothing. */
    public static final long FAR = 1L << 40;
    /** Bounds above this take the input's bound as the output's (no search over every extent). */
    private static final int SEARCHED = 1 << 20;

    public BoundedSlice() {
        super("bounded_slice", Signature.builder().input("data").optionalInput("starts", "ends").output("output").requiredAttr("axis", AttrType.INT)
                .requiredAttr("start", AttrType.INT).requiredAttr("end", AttrType.INT).requiredAttr("step", AttrType.INT).build(),
                Trait.DATA_MOVEMENT);
    }

    @Override
    public String summary() { return "slice of a run-time sized axis, its indices resolved against the extent at run time (a bounded shape)"; }

    /** The first index and the count of slice {@code start:end:step} of an axis of {@code e} elements, as ONNX Slice resolves it. */
    public static long[] window(long e, long start, long end, long step) {
        long b = start < 0 ? start + e : start, t = end < 0 ? end + e : end, c;
        if (step > 0) {
            b = Math.max(0, Math.min(e, b));
            t = Math.max(0, Math.min(e, t));
            c = t > b ? (t - b + step - 1) / step : 0;
        } else {
            b = Math.max(0, Math.min(e - 1, b));
            t = Math.max(-1, Math.min(e - 1, t));
            c = b > t ? (b - t - step - 1) / -step : 0;
        }
        return e == 0 ? new long[] {0, 0} : new long[] {b, c};
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape s = cx.shape(0);
        long a = cx.attrs().getInt("axis"), st = cx.attrs().getInt("step"), b = cx.attrs().getInt("start"), e = cx.attrs().getInt("end");
        cx.check(a >= 0 && a < s.rank(), "axis %d is out of range for rank %d", a, s.rank());
        cx.check(st != 0 && Math.abs(st) <= FAR && Math.abs(b) <= FAR && Math.abs(e) <= FAR, "start %d, end %d, step %d: step 0 or an index beyond %d", b, e, st, FAR);
        for (int i = 1; i <= 2; i++) {
            if (!cx.has(i)) continue;
            cx.checkDType(i, dev.kiln.ir.DType.I32, dev.kiln.ir.DType.I64);
            cx.check(cx.shape(i).numel() == 1, "%s must hold one index, got %s", i == 1 ? "starts" : "ends", cx.shape(i));
        }
        int bound = s.dim((int) a);
        long most = bound;
        if (cx.has(1) || cx.has(2)) most = (bound + Math.abs(st) - 1) / Math.abs(st);
        else if (bound <= SEARCHED) {
            most = 0;
            for (long x = 0; x <= bound; x++) most = Math.max(most, window(x, b, e, st)[1]);
        }
        int[] d = s.dims();
        d[(int) a] = (int) most;
        return List.of(DataMovement.moved(cx.input(0), Shape.of(d)));
    }

    @Override
    public int boundedAxis(Node n, int output) { return (int) n.attrs().getInt("axis"); }

    @Override
    public int[] carriesExtent(Node n, int input, int axis) { return axis == n.attrs().getInt("axis") ? new int[] {-1} : null; }

    @Override
    public boolean readsExtent(Node n, int input) { return true; }

    /** Slices the exact input (the interpreter hands it unpadded), so indices resolve against the extent. */
    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        int a = (int) cx.attrs().getInt("axis");
        long[] w = window(x.shape().dim(a), index(cx, 1, "start"), index(cx, 2, "end"), cx.attrs().getInt("step"));
        int[] d = x.shape().dims();
        d[a] = (int) w[1];
        NdArray y = NdArray.zeros(x.dtype(), Shape.of(d));
        long step = cx.attrs().getInt("step");
        int outer = x.shape().prod(0, a), inner = x.shape().prod(a + 1, d.length), n = x.shape().dim(a);
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < w[1]; j++) DataMovement.copy(x, (int) ((o * (long) n + w[0] + j * step) * inner), y, (o * d[a] + j) * inner, inner);
        return List.of(y);
    }

    /** The start ({@code i} 1) or end (2): the run-time input's value clamped to {@link #FAR} when given, else attribute {@code attr}. */
    private static long index(EvalContext cx, int i, String attr) {
        NdArray v = cx.input(i);
        return v == null ? cx.attrs().getInt(attr) : Math.max(-FAR, Math.min(FAR, v.getLong(0)));
    }
}
