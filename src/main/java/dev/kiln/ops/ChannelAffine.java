package dev.kiln.ops;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import java.util.List;

/**
 * An op whose output channels can absorb a per-channel affine map {@code y[.., c, ..] -> y * scale[c] + shift[c]}
 * by rewriting its constant weights and bias (conv, conv_transpose, gemm, matmul). Passes that fold batch norms,
 * constant multiplies and bias adds ask for this capability instead of knowing each op's weight layout.
 */
public interface ChannelAffine {
    /** The node that replaces the folded one: its op, inputs (a kept {@link Value} or a new constant {@link NdArray}), and attributes. */
    record Folded(OpDef op, List<Object> inputs, Attrs attrs) {}

    /** The axis of output 0 that indexes output channels. */
    int channelAxis(Node n);

    /** Number of output channels. */
    default int channels(Node n) { return n.output(0).shape().dim(channelAxis(n)); }

    /**
     * Why {@code n} cannot absorb a per-channel map (a shift as well when {@code shift}), or null when it can:
     * float weights (and bias) must be constants, and nothing may follow the sum inside the node (a fused
     * activation, a residual input).
     */
    String cannotFold(Node n, boolean shift);

    /**
     * The node computing {@code n(x) * scale + shift} per output channel ({@code scale} or {@code shift} null:
     * 1 or 0); {@link #cannotFold} must be null. Weights are scaled in double and rounded to their type.
     */
    Folded fold(Node n, double[] scale, double[] shift);

    /** Why a weight or bias input cannot be rewritten (absent inputs are fine), or null. */
    static String constantFloat(Node n, int input, String what) {
        Value v = n.input(input);
        if (v == null) return null;
        if (!v.isConstant()) return what + " is not a constant";
        if (!v.dtype().isFloat()) return what + " is not a float tensor";
        return null;
    }

    /** Why a node with a fused activation cannot absorb anything after its sum, or null. */
    static String noActivation(Node n) {
        return FusedActivation.present(n.attrs()) ? "it already has a fused activation (" + n.attrs().getString(FusedActivation.ACTIVATION) + ")" : null;
    }

    /** {@code b * scale + shift} per channel (b null: zeros), as an array of {@code like}'s type and shape [c]. */
    static NdArray affineBias(NdArray b, double[] scale, double[] shift, int c, dev.kiln.ir.DType like) {
        NdArray r = NdArray.zeros(like, dev.kiln.ir.Shape.of(c));
        for (int i = 0; i < c; i++) {
            double v = b == null ? 0 : b.getDouble(i);
            if (scale != null) v *= scale[i];
            if (shift != null) v += shift[i];
            r.setDouble(i, v);
        }
        return r;
    }
}
