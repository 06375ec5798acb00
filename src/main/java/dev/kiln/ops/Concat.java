package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;
import java.util.Objects;

/**
 * Joins tensors along {@code axis}; all inputs have the same element type and the same dimensions except
 * along that axis.
 */
public final class Concat extends OpDef {
    public Concat() {
        super("concat", Signature.builder().variadicInput("inputs").output("concat_result").requiredAttr("axis", AttrType.INT).build(),
                Trait.DATA_MOVEMENT, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "join tensors along an axis"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape first = cx.shape(0);
        int r = first.rank();
        long axis = cx.attrs().getInt("axis");
        cx.check(r > 0, "cannot concatenate scalars");
        cx.check(axis >= -r && axis < r, "axis %d is out of range for rank %d", axis, r);
        int a = first.axis(axis);
        long total = 0;
        QuantParams q = cx.input(0).quant();
        for (int i = 0; i < cx.numInputs(); i++) {
            cx.checkSameDType(0, i);
            Shape s = cx.shape(i);
            cx.check(s.rank() == r, "input %d has shape %s, input 0 has %s: ranks differ", i, s, first);
            for (int d = 0; d < r; d++)
                cx.check(d == a || s.dim(d) == first.dim(d), "input %d has shape %s, input 0 has %s: they differ on axis %d, not only on the concatenation axis %d",
                        i, s, first, d, a);
            total += s.dim(a);
            if (!Objects.equals(q, cx.input(i).quant())) q = null;
        }
        cx.check(total <= Integer.MAX_VALUE, "concatenated axis is too long (%d)", total);
        int[] out = first.dims();
        out[a] = (int) total;
        return List.of(new TensorType(cx.dtype(0), Shape.of(out), q != null && !q.perChannel() ? q : null));
    }

    /**
     * Values bounded along another axis than the concatenation axis keep their slices where they are, so the extent
     * passes through (all inputs must share it: {@link Extents} checks they come from one node). Along the axis the
     * importer makes a {@link BoundedConcat}.
     */
    @Override
    public int[] carriesExtent(dev.kiln.ir.Node n, int input, int axis) {
        return axis == n.input(0).shape().axis(n.attrs().getInt("axis")) ? null : new int[] {axis};
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray y = cx.newOutput(0);
        join(cx, y);
        return List.of(y);
    }

    /** Writes {@code cx}'s inputs one after the other along attribute {@code axis} into {@code y}, whose shape they fill. */
    static void join(EvalContext cx, NdArray y) {
        Shape out = y.shape();
        int a = out.axis(cx.attrs().getInt("axis"));
        int outer = out.prod(0, a), inner = out.prod(a + 1, out.rank());
        int outRow = out.dim(a) * inner;
        int at = 0;
        for (int i = 0; i < cx.numInputs(); i++) {
            NdArray x = cx.input(i);
            int row = x.shape().dim(a) * inner;
            for (int o = 0; o < outer; o++) DataMovement.copy(x, o * row, y, o * outRow + at, row);
            at += row;
        }
    }
}
