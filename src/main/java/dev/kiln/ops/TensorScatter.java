package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Writes {@code update} into a copy of {@code past_cache} along {@code axis} (a key/value cache's sequence
 * axis), starting for batch entry b at {@code write_indices[b]} (0 when absent); {@code mode} circular wraps
 * positions past the cache's end, linear requires them to fit.
 */
public final class TensorScatter extends OpDef {
    public TensorScatter() {
        super("tensor_scatter", Signature.builder().input("past_cache", "update").optionalInput("write_indices").output("present_cache")
                .attr("axis", AttrType.INT, -2L).attr("mode", AttrType.STRING, "linear").build(), Trait.DATA_MOVEMENT);
    }

    @Override
    public String summary() { return "write a sequence update into a cache at per-batch positions"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkSameDType(0, 1);
        Shape c = cx.shape(0), u = cx.shape(1);
        int r = c.rank();
        long axis = cx.attrs().getInt("axis");
        String mode = cx.attrs().getString("mode");
        cx.check(mode.equals("linear") || mode.equals("circular"), "mode '%s' is not linear or circular", mode);
        cx.check(r >= 2 && u.rank() == r, "past_cache %s and update %s must have one rank, 2 or more", c, u);
        cx.check(axis >= -r && axis < r && Shape.normalizeAxis(axis, r) > 0, "axis %d must name a non-batch axis of rank %d", axis, r);
        int a = c.axis(axis);
        for (int i = 0; i < r; i++) cx.check(i == a ? u.dim(i) <= c.dim(i) : u.dim(i) == c.dim(i), "update %s does not fit past_cache %s", u, c);
        if (cx.has(2)) {
            cx.checkDType(2, DType.I64, DType.I32);
            cx.check(cx.shape(2).equals(Shape.of(c.dim(0))), "write_indices %s must be [%d]", cx.shape(2), c.dim(0));
        }
        return List.of(DataMovement.moved(cx.input(0), c));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray c = cx.input(0), u = cx.input(1), wi = cx.input(2);
        NdArray y = c.copy();
        Shape cs = c.shape(), us = u.shape();
        int a = cs.axis(cx.attrs().getInt("axis"));
        boolean circular = cx.attrs().getString("mode").equals("circular");
        int outer = cs.prod(0, a), inner = cs.prod(a + 1, cs.rank()), max = cs.dim(a), len = us.dim(a), perBatch = outer / cs.dim(0);
        for (int o = 0; o < outer; o++) {
            long start = wi == null ? 0 : wi.getLong(o / perBatch);
            for (int s = 0; s < len; s++) {
                long pos = start + s;
                if (circular) pos = Math.floorMod(pos, max);
                if (pos < 0 || pos >= max) throw new IllegalArgumentException("write position " + pos + " is outside the cache's " + max + " positions");
                DataMovement.copy(u, (o * len + s) * inner, y, (int) ((o * max + pos) * inner), inner);
            }
        }
        return List.of(y);
    }
}
