package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Pads (or, with negative amounts, crops) every axis of a tensor. {@code pads} holds the amounts added
 * before each axis, then after each axis ({@code [x1_begin, x2_begin, ..., x1_end, x2_end, ...]}); {@code mode}
 * says what the new elements hold: {@code constant} ({@code value}), {@code edge} (the nearest element),
 * {@code reflect} (mirrored at the first and last element) or {@code wrap} (as if the axis were a circle).
 */
public final class Pad extends OpDef {
    /** The padding modes. */
    public static final List<String> MODES = List.of("constant", "reflect", "edge", "wrap");

    public Pad() {
        super("pad", Signature.builder().input("data").output("output")
                .requiredAttr("pads", AttrType.INTS).attr("mode", AttrType.STRING, "constant").attr("value", AttrType.FLOAT, 0.0).build(),
                Trait.DATA_MOVEMENT, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "pad or crop each axis (constant, reflect, edge or wrap)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape in = cx.shape(0);
        int r = in.rank();
        long[] pads = cx.attrs().getInts("pads");
        String mode = cx.attrs().getString("mode");
        cx.check(MODES.contains(mode), "mode '%s' is not one of %s", mode, MODES);
        cx.check(pads.length == 2 * r, "pads %s has %d entries; a rank-%d input needs %d (begins, then ends)",
                Arrays.toString(pads), pads.length, r, 2 * r);
        int[] out = new int[r];
        for (int a = 0; a < r; a++) {
            long d = in.dim(a) + pads[a] + pads[a + r];
            cx.check(d >= 0 && d <= Integer.MAX_VALUE, "pads %s make axis %d (dimension %d) %d long", Arrays.toString(pads), a, in.dim(a), d);
            out[a] = (int) d;
            cx.check(mode.equals("constant") || in.dim(a) > 0 || d == 0, "mode '%s' cannot pad axis %d, which is empty", mode, a);
        }
        return List.of(DataMovement.moved(cx.input(0), Shape.of(out)));
    }

    /** The input coordinate that output coordinate {@code o} of an axis of length {@code n} reads, or {@link DataMovement#OUTSIDE}. */
    public static int source(String mode, long o, long begin, int n) {
        long x = o - begin;
        if (x >= 0 && x < n) return (int) x;
        switch (mode) {
            case "edge": return x < 0 ? 0 : n - 1;
            case "wrap": return (int) Math.floorMod(x, (long) n);
            case "reflect": {
                if (n == 1) return 0;
                long period = 2L * (n - 1);
                long m = Math.floorMod(x, period);
                return (int) (m < n ? m : period - m);
            }
            default: return DataMovement.OUTSIDE;
        }
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        String mode = cx.attrs().getString("mode");
        long[] pads = cx.attrs().getInts("pads");
        if (mode.equals("constant")) DataMovement.fill(y, cx.attrs().getFloat("value"));
        Shape in = x.shape();
        int[] strides = in.strides(), outDims = y.shape().dims();
        int r = in.rank();
        int[][] offsets = new int[r][];
        for (int a = 0; a < r; a++) {
            int[] coords = new int[outDims[a]];
            for (int o = 0; o < coords.length; o++) coords[o] = source(mode, o, pads[a], in.dim(a));
            offsets[a] = DataMovement.scaled(coords, strides[a]);
        }
        DataMovement.take(x, DataMovement.offsetMap(outDims, offsets), y);
        return List.of(y);
    }
}
