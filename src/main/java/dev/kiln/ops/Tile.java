package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/** Repeats a tensor {@code repeats[i]} times along each axis i. */
public final class Tile extends OpDef {
    public Tile() {
        super("tile", Signature.builder().input("input").output("output").requiredAttr("repeats", AttrType.INTS).build(),
                Trait.DATA_MOVEMENT, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "repeat a tensor along each axis"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape in = cx.shape(0);
        long[] rep = cx.attrs().getInts("repeats");
        cx.check(rep.length == in.rank(), "repeats %s has %d entries for a rank-%d input", Arrays.toString(rep), rep.length, in.rank());
        int[] out = new int[rep.length];
        for (int a = 0; a < rep.length; a++) {
            cx.check(rep[a] >= 0, "repeats %s has a negative entry", Arrays.toString(rep));
            long d = rep[a] <= Integer.MAX_VALUE ? in.dim(a) * rep[a] : Long.MAX_VALUE;
            cx.check(rep[a] <= Integer.MAX_VALUE && d <= Integer.MAX_VALUE, "repeats %s make axis %d too long", Arrays.toString(rep), a);
            out[a] = (int) d;
        }
        return List.of(DataMovement.moved(cx.input(0), Shape.of(out)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        Shape in = x.shape();
        int[] strides = in.strides(), outDims = y.shape().dims();
        int[][] offsets = new int[outDims.length][];
        for (int a = 0; a < outDims.length; a++) {
            offsets[a] = new int[outDims[a]];
            for (int o = 0; o < outDims[a]; o++) offsets[a][o] = (o % in.dim(a)) * strides[a];
        }
        DataMovement.take(x, DataMovement.offsetMap(outDims, offsets), y);
        return List.of(y);
    }
}
