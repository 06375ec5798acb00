package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Joins tensors along {@code axis} where some of them hold a run-time extent on that axis (boxes of two detection
 * heads): each input's first extent slices are packed one after the other, so the output's extent is the sum of the
 * inputs' extents and its bound the sum of their bounds (see {@link Extents}). Attribute {@code bounded} says, per
 * input, whether its extent is a run-time one (1) or its static dimension (0); the importer writes it.
 *
 * <p>With attribute {@code along} (another axis than {@code axis}) it joins values whose extents along {@code along}
 * come from different nodes (TopK of two heads with one k): all inputs have one bound there, are copied whole, and
 * their extents must be equal at run time, which is then the output's (unequal ones fail the run, as ONNX says).
 */
public final class BoundedConcat extends OpDef {
    public BoundedConcat() {
        super("bounded_concat", Signature.builder().variadicInput("inputs").output("concat_result").requiredAttr("axis", AttrType.INT)
                .requiredAttr("bounded", AttrType.INTS).optionalAttr("along", AttrType.INT).build(), Trait.DATA_MOVEMENT);
    }

    @Override
    public String summary() { return "join values along their run-time sized axis, packing each one's extent (a bounded shape)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        List<TensorType> t = Ops.CONCAT.infer(cx);
        if (cx.attrs().has("along")) {
            long a = cx.attrs().getInt("along"), r = cx.shape(0).rank();
            cx.check(a >= 0 && a < r && a != cx.shape(0).axis(cx.attrs().getInt("axis")), "along %d must be another axis than axis, below rank %d", a, r);
        }
        cx.check(cx.attrs().getInts("bounded").length == cx.numInputs(), "bounded has %d entries for %d inputs",
                cx.attrs().getInts("bounded").length, cx.numInputs());
        return t;
    }

    @Override
    public int boundedAxis(Node n, int output) {
        return n.attrs().has("along") ? (int) n.attrs().getInt("along") : n.input(0).shape().axis(n.attrs().getInt("axis"));
    }

    /** Takes values bounded along the concatenation axis (or {@code along}) only; the output's extent is computed, not carried. */
    @Override
    public int[] carriesExtent(Node n, int input, int axis) { return axis == boundedAxis(n, 0) ? new int[] {-1} : null; }

    @Override
    public boolean readsExtent(Node n, int input) { return true; }

    /** Concatenates the exact inputs (the interpreter hands them unpadded), so the result has the summed extent. */
    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        Shape first = cx.input(0).shape();
        int a = first.axis(cx.attrs().getInt("axis"));
        if (cx.attrs().has("along")) {
            int b = (int) cx.attrs().getInt("along");
            for (int i = 1; i < cx.numInputs(); i++)
                if (cx.input(i).shape().dim(b) != first.dim(b))
                    throw new IllegalArgumentException("cannot join along axis " + a + " inputs whose run-time sizes along axis " + b + " differ: "
                            + first.dim(b) + " and " + cx.input(i).shape().dim(b));
        }
        int[] d = first.dims();
        d[a] = 0;
        for (int i = 0; i < cx.numInputs(); i++) d[a] += cx.input(i).shape().dim(a);
        NdArray y = NdArray.zeros(cx.input(0).dtype(), Shape.of(d));
        Concat.join(cx, y);
        return List.of(y);
    }
}
