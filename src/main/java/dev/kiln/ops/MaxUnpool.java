package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * The partial inverse of max pooling: a zero tensor of shape {@code output_shape} where each value of X is
 * written at the flat position its index in I names (indices into the tensor of the unpadded shape
 * {@code (in - 1) * stride - pads + kernel}, which sits at the start of each axis of the output).
 */
public final class MaxUnpool extends OpDef {
    public MaxUnpool() {
        super("max_unpool", Signature.builder().input("X", "I").output("output")
                .requiredAttr("kernel_shape", AttrType.INTS).optionalAttr("pads", AttrType.INTS).optionalAttr("strides", AttrType.INTS)
                .optionalAttr("output_shape", AttrType.INTS).build(), Trait.DATA_MOVEMENT);
    }

    @Override
    public String summary() { return "scatter pooled maxima back to their indices (zeros elsewhere)"; }

    /** The shape the indices address: (in - 1) * stride - pads + kernel per spatial axis. */
    static int[] inferred(Shape x, dev.kiln.ir.Attrs a) {
        int[] k = a.getIntArray("kernel_shape");
        int r = k.length;
        if (x.rank() != r + 2) throw new IllegalArgumentException("X " + x + " must have rank " + (r + 2) + " for kernel_shape of " + r + " axes");
        int[] s = a.has("strides") ? a.getIntArray("strides") : null, p = a.has("pads") ? a.getIntArray("pads") : null;
        int[] d = x.dims();
        for (int i = 0; i < r; i++)
            d[i + 2] = (d[i + 2] - 1) * (s == null ? 1 : s[i]) - (p == null ? 0 : p[i] + p[i + r]) + k[i];
        return d;
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(1, DType.I64);
        cx.check(cx.shape(1).equals(cx.shape(0)), "I %s must have X's shape %s", cx.shape(1), cx.shape(0));
        int[] inf;
        try {
            inf = inferred(cx.shape(0), cx.attrs());
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        int[] out = cx.attrs().has("output_shape") ? cx.attrs().getIntArray("output_shape") : inf;
        cx.check(out.length == inf.length, "output_shape has %d dims, X has %d", out.length, inf.length);
        for (int i = 0; i < out.length; i++) cx.check(out[i] >= inf[i], "output_shape %s is smaller than %s", Shape.of(out), Shape.of(inf));
        return List.of(DataMovement.moved(cx.input(0), Shape.of(out)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), idx = cx.input(1);
        NdArray y = cx.newOutput(0);
        Shape inf = Shape.of(inferred(x.shape(), cx.attrs())), out = y.shape();
        int r = out.rank();
        int[] ostr = out.strides();
        for (int i = 0, n = x.size(); i < n; i++) {
            long f = idx.getLong(i);
            if (f < 0 || f >= inf.numel()) throw new IllegalArgumentException("index " + f + " is outside the unpooled tensor " + inf);
            int off = 0;
            long rem = f;
            for (int k = r - 1; k >= 0; k--) {
                off += (int) (rem % inf.dim(k)) * ostr[k];
                rem /= inf.dim(k);
            }
            DataMovement.copy(x, i, y, off, 1);
        }
        return List.of(y);
    }
}
