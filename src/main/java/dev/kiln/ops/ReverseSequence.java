package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Reverses, for each batch entry b, the first {@code sequence_lens[b]} elements along {@code time_axis};
 * the rest are copied unchanged. {@code batch_axis} and {@code time_axis} are 0 and 1 in either order.
 */
public final class ReverseSequence extends OpDef {
    public ReverseSequence() {
        super("reverse_sequence", Signature.builder().input("input", "sequence_lens").output("Y")
                .attr("batch_axis", AttrType.INT, 1L).attr("time_axis", AttrType.INT, 0L).build(), Trait.DATA_MOVEMENT);
    }

    @Override
    public String summary() { return "reverse each batch entry's leading sequence_lens elements along time"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape s = cx.shape(0);
        long b = cx.attrs().getInt("batch_axis"), t = cx.attrs().getInt("time_axis");
        cx.checkDType(1, DType.I64, DType.I32);
        cx.check(s.rank() >= 2, "input %s must have rank 2 or more", s);
        cx.check((b == 0 && t == 1) || (b == 1 && t == 0), "batch_axis %d and time_axis %d must be 0 and 1 in some order", b, t);
        cx.check(cx.shape(1).rank() == 1 && cx.shape(1).dim(0) == s.dim((int) b), "sequence_lens %s must have one entry per batch (%d)", cx.shape(1), s.dim((int) b));
        return List.of(DataMovement.moved(cx.input(0), s));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), lens = cx.input(1);
        NdArray y = x.copy();
        Shape s = x.shape();
        int b = (int) cx.attrs().getInt("batch_axis"), t = (int) cx.attrs().getInt("time_axis");
        int inner = s.prod(2, s.rank()), batches = s.dim(b), steps = s.dim(t);
        int[] str = s.strides();
        for (int bi = 0; bi < batches; bi++) {
            long len = lens.getLong(bi);
            if (len < 0 || len > steps) throw new IllegalArgumentException("sequence_lens[" + bi + "] = " + len + " is outside 0.." + steps);
            for (int ti = 0; ti < len; ti++) {
                int from = bi * str[b] + ti * str[t], to = bi * str[b] + (int) (len - 1 - ti) * str[t];
                DataMovement.copy(x, from, y, to, inner);
            }
        }
        return List.of(y);
    }
}
