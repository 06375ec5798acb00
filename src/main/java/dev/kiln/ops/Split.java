package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts a tensor along {@code axis} into consecutive pieces of the lengths in {@code split}, one output per
 * piece; the lengths add up to the axis's dimension (zero-length pieces are allowed).
 */
public final class Split extends OpDef {
    public Split() {
        super("split", Signature.builder().input("input").variadicOutput("outputs")
                .attr("axis", AttrType.INT, 0L).requiredAttr("split", AttrType.INTS).build(), Trait.DATA_MOVEMENT, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "cut a tensor along an axis into pieces of given lengths"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape in = cx.shape(0);
        int r = in.rank();
        long axis = cx.attrs().getInt("axis");
        cx.check(r > 0, "cannot split a scalar");
        cx.check(axis >= -r && axis < r, "axis %d is out of range for rank %d", axis, r);
        int a = in.axis(axis);
        long[] split = cx.attrs().getInts("split");
        cx.check(split.length == cx.numOutputs(), "split %s has %d lengths but the node has %d outputs",
                Arrays.toString(split), split.length, cx.numOutputs());
        long sum = 0;
        for (long s : split) {
            cx.check(s >= 0, "split %s has a negative length", Arrays.toString(split));
            sum += s;
        }
        cx.check(sum == in.dim(a), "split lengths %s add up to %d, but axis %d has dimension %d", Arrays.toString(split), sum, a, in.dim(a));
        List<TensorType> outs = new ArrayList<>();
        for (long s : split) {
            int[] d = in.dims();
            d[a] = (int) s;
            outs.add(DataMovement.moved(cx.input(0), Shape.of(d)));
        }
        return outs;
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        Shape in = x.shape();
        int a = in.axis(cx.attrs().getInt("axis"));
        int outer = in.prod(0, a), inner = in.prod(a + 1, in.rank());
        int inRow = in.dim(a) * inner;
        long[] split = cx.attrs().getInts("split");
        List<NdArray> outs = new ArrayList<>();
        int at = 0;
        for (int i = 0; i < split.length; i++) {
            NdArray y = cx.newOutput(i);
            int row = (int) split[i] * inner;
            for (int o = 0; o < outer; o++) DataMovement.copy(x, o * inRow + at, y, o * row, row);
            at += row;
            outs.add(y);
        }
        return outs;
    }
}
