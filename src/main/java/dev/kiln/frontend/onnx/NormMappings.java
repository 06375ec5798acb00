package dev.kiln.frontend.onnx;

import static dev.kiln.frontend.onnx.IndexMappings.in;
import static dev.kiln.frontend.onnx.IndexMappings.scalar;
import static dev.kiln.frontend.onnx.IndexMappings.step;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX mappings of the normalization and attention ops: one method per ONNX op. The normalizations and SwiGLU
 * are decomposed here into registered ops, as ONNX's own function bodies define them (so every backend runs
 * them); Attention, RotaryEmbedding and Einsum map to Kiln ops of their own.
 */
public final class NormMappings {
    private NormMappings() {}

    private static long[] range(int from, int to) {
        long[] r = new long[to - from];
        for (int i = from; i < to; i++) r[i - from] = i;
        return r;
    }

    private static Value mean(OnnxNode n, Value x, long[] axes, String what) {
        return step(n, Ops.REDUCE_MEAN, List.of(x), Attrs.of("axes", axes, "keepdims", 1L), what);
    }

    /** (x - mean) / sqrt(mean((x - mean)²) + eps) over {@code axes}, the shared core of the normalizations. */
    private static Value standardize(OnnxNode n, Value x, long[] axes, double eps) {
        Value mu = mean(n, x, axes, "mean");
        Value dx = step(n, Ops.SUB, List.of(x, mu), Attrs.EMPTY, "centered");
        Value var = mean(n, step(n, Ops.MUL, List.of(dx, dx), Attrs.EMPTY, "squared"), axes, "variance");
        Value sd = step(n, Ops.SQRT, List.of(step(n, Ops.ADD, List.of(var, scalar(n, x.dtype(), eps, "epsilon")), Attrs.EMPTY, "variance_eps")), Attrs.EMPTY, "std");
        return step(n, Ops.DIV, List.of(dx, sd), Attrs.EMPTY, "normalized");
    }

    /** {@code v} reshaped to [C, 1, ...] so it broadcasts over the channel axis of a rank-{@code r} tensor. */
    private static Value perChannel(OnnxNode n, Value v, int r, String what) {
        long[] s = new long[r - 1];
        Arrays.fill(s, 1);
        s[0] = v.shape().numel();
        return step(n, Ops.RESHAPE, List.of(v), Attrs.of("shape", s), what);
    }

    /** y * scale + bias, the last step bound to the ONNX output. */
    private static void affine(OnnxNode n, Value y, Value scale, Value bias) {
        Value scaled = bias == null ? null : step(n, Ops.MUL, List.of(y, scale), Attrs.EMPTY, "scaled");
        if (bias == null) n.emit(Ops.MUL, List.of(y, scale), Attrs.EMPTY);
        else n.emit(Ops.ADD, List.of(scaled, bias), Attrs.EMPTY);
    }

    private static Value floatInput(OnnxNode n, int i, String what) {
        Value v = in(n, i, what);
        if (!v.dtype().isFloat()) throw n.error("%s must be a float tensor, got %s", what, v.dtype());
        return v;
    }

    /** RMSNormalization: x / sqrt(mean(x²) + eps) * scale over the axes from {@code axis} to the last. */
    public static void RMSNormalization(OnnxNode n) {
        Value x = floatInput(n, 0, "X");
        int r = x.shape().rank();
        long axis = n.attrInt("axis", -1);
        if (axis < -r || axis >= r) throw n.error("axis %d is out of range for rank %d", axis, r);
        long[] axes = range((int) (axis < 0 ? axis + r : axis), r);
        Value ms = mean(n, step(n, Ops.MUL, List.of(x, x), Attrs.EMPTY, "squared"), axes, "mean_square");
        Value rms = step(n, Ops.SQRT, List.of(step(n, Ops.ADD, List.of(ms, scalar(n, x.dtype(), n.attrFloat("epsilon", 1e-5), "epsilon")), Attrs.EMPTY, "ms_eps")),
                Attrs.EMPTY, "rms");
        affine(n, step(n, Ops.DIV, List.of(x, rms), Attrs.EMPTY, "normalized"), in(n, 1, "scale"), null);
    }

    /** InstanceNormalization: each (n, c) plane standardized, then per-channel scale and bias. */
    public static void InstanceNormalization(OnnxNode n) {
        Value x = floatInput(n, 0, "input");
        int r = x.shape().rank();
        if (r < 3) throw n.error("input %s must have rank 3 or more", x.shape());
        Value y = standardize(n, x, range(2, r), n.attrFloat("epsilon", 1e-5));
        affine(n, y, perChannel(n, in(n, 1, "scale"), r, "scale_c"), perChannel(n, in(n, 2, "B"), r, "bias_c"));
    }

    /**
     * GroupNormalization: channels split into num_groups groups, each standardized over its channels and
     * spatial positions; scale and bias are per channel from opset 21, per group before.
     */
    public static void GroupNormalization(OnnxNode n) {
        Value x = floatInput(n, 0, "X");
        Shape s = x.shape();
        int r = s.rank();
        long g = n.attrInt("num_groups", 0);
        if (r < 3 || g < 1 || s.dim(1) % g != 0) throw n.error("X %s must be [N, C, ...] with C divisible by num_groups %d", s, g);
        Value grouped = step(n, Ops.RESHAPE, List.of(x), Attrs.of("shape", new long[] {s.dim(0), g, s.numel() / s.dim(0) / g}), "grouped");
        Value y = standardize(n, grouped, new long[] {2}, n.attrFloat("epsilon", 1e-5));
        Value scale = in(n, 1, "scale"), bias = in(n, 2, "bias");
        if (n.opset() < 21) {
            Value sg = step(n, Ops.RESHAPE, List.of(scale), Attrs.of("shape", new long[] {g, 1}), "scale_g");
            Value bg = step(n, Ops.RESHAPE, List.of(bias), Attrs.of("shape", new long[] {g, 1}), "bias_g");
            Value z = step(n, Ops.ADD, List.of(step(n, Ops.MUL, List.of(y, sg), Attrs.EMPTY, "scaled"), bg), Attrs.EMPTY, "shifted");
            n.emit(Ops.RESHAPE, List.of(z), Attrs.of("shape", s.dimsLong()));
            return;
        }
        Value back = step(n, Ops.RESHAPE, List.of(y), Attrs.of("shape", s.dimsLong()), "ungrouped");
        affine(n, back, perChannel(n, scale, r, "scale_c"), perChannel(n, bias, r, "bias_c"));
    }

    /** MeanVarianceNormalization as its function body: (x - E[x]) / (sqrt(E[x²] - E[x]²) + 1e-9) over axes (default 0, 2, 3). */
    public static void MeanVarianceNormalization(OnnxNode n) {
        Value x = floatInput(n, 0, "X");
        long[] axes = n.hasAttr("axes") ? n.attrInts("axes") : new long[] {0, 2, 3};
        Value mu = mean(n, x, axes, "mean");
        Value ex2 = mean(n, step(n, Ops.MUL, List.of(x, x), Attrs.EMPTY, "squared"), axes, "mean_square");
        Value var = step(n, Ops.SUB, List.of(ex2, step(n, Ops.MUL, List.of(mu, mu), Attrs.EMPTY, "mean_squared")), Attrs.EMPTY, "variance");
        Value sd = step(n, Ops.ADD, List.of(step(n, Ops.SQRT, List.of(var), Attrs.EMPTY, "std"), scalar(n, x.dtype(), 1e-9, "epsilon")), Attrs.EMPTY, "std_eps");
        n.emit(Ops.DIV, List.of(step(n, Ops.SUB, List.of(x, mu), Attrs.EMPTY, "centered"), sd), Attrs.EMPTY);
    }

    /** LpNormalization: x / ||x||_p along axis (p 1 or 2), 0 where the norm is 0. */
    public static void LpNormalization(OnnxNode n) {
        Value x = floatInput(n, 0, "input");
        int r = x.shape().rank();
        long axis = n.attrInt("axis", -1), p = n.attrInt("p", 2);
        if (axis < -r || axis >= r) throw n.error("axis %d is out of range for rank %d", axis, r);
        if (p != 1 && p != 2) throw n.error("p must be 1 or 2, got %d", p);
        Value mag = p == 1 ? step(n, Ops.ABS, List.of(x), Attrs.EMPTY, "abs") : step(n, Ops.MUL, List.of(x, x), Attrs.EMPTY, "squared");
        Value norm = step(n, Ops.REDUCE_SUM, List.of(mag), Attrs.of("axes", new long[] {axis}, "keepdims", 1L), "sum");
        if (p == 2) norm = step(n, Ops.SQRT, List.of(norm), Attrs.EMPTY, "norm");
        Value zero = scalar(n, x.dtype(), 0, "zero");
        Value isZero = step(n, Ops.EQUAL, List.of(norm, zero), Attrs.EMPTY, "norm_is_zero");
        n.emit(Ops.WHERE, List.of(isZero, zero, step(n, Ops.DIV, List.of(x, norm), Attrs.EMPTY, "divided")), Attrs.EMPTY);
    }

    /** SwiGLU(a, b) = a * sigmoid(alpha * a) * b. */
    public static void SwiGLU(OnnxNode n) {
        Value a = floatInput(n, 0, "A"), b = in(n, 1, "B");
        if (!a.shape().equals(b.shape()) || a.dtype() != b.dtype()) throw n.error("A %s and B %s must have one shape and type", a.type(), b.type());
        double alpha = n.attrFloat("alpha", 1.0);
        Value za = alpha == 1.0 ? a : step(n, Ops.MUL, List.of(a, scalar(n, a.dtype(), alpha, "alpha")), Attrs.EMPTY, "alpha_a");
        Value swish = step(n, Ops.MUL, List.of(a, step(n, Ops.SIGMOID, List.of(za), Attrs.EMPTY, "gate")), Attrs.EMPTY, "swish");
        n.emit(Ops.MUL, List.of(swish, b), Attrs.EMPTY);
    }

    public static void Einsum(OnnxNode n) {
        if (n.numInputs() == 0) throw n.error("Einsum needs at least one input");
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < n.numInputs(); i++) ins.add(in(n, i, "Inputs"));
        n.emit(Ops.EINSUM, ins, Attrs.of("equation", n.attrString("equation", "")));
    }

    public static void RotaryEmbedding(OnnxNode n) {
        n.emit(Ops.ROTARY_EMBEDDING, n.inputs(), n.attrs("interleaved", "rotary_embedding_dim", "num_heads"));
    }

    /** Attention (opsets 23 and 24; 24 adds nonpad_kv_seqlen, later ones sliding windows): attributes map one to one. */
    public static void Attention(OnnxNode n) {
        n.emit(Ops.ATTENTION, n.inputs(), n.attrs("scale", "is_causal", "q_num_heads", "kv_num_heads", "softmax_precision", "softcap",
                "qk_matmul_output_mode", "left_window_size", "right_window_size"));
    }

    public static void LinearAttention(OnnxNode n) {
        n.emit(Ops.LINEAR_ATTENTION, n.inputs(), n.attrs("q_num_heads", "kv_num_heads", "scale", "update_rule"));
    }

    /**
     * CausalConvWithState as its definition composes it: the past state (zeros when absent) prepended along time,
     * a depthwise valid 1-D convolution with bias, optional SiLU; present_state is the last k - 1 padded steps.
     */
    public static void CausalConvWithState(OnnxNode n) {
        Value x = floatInput(n, 0, "input"), w = in(n, 1, "weight");
        Shape s = x.shape();
        if (s.rank() != 3 || w.shape().rank() != 3 || w.shape().dim(0) != s.dim(1) || w.shape().dim(1) != 1)
            throw n.error("input %s must be [B, C, L] and weight %s [C, 1, k]", s, w.shape());
        int k = w.shape().dim(2), c = s.dim(1);
        String act = n.attrString("activation", "none");
        if (!act.equals("none") && !act.equals("silu") && !act.equals("swish")) throw n.error("activation '%s' is not none, silu or swish", act);
        Value past = n.hasInput(3) ? n.input(3) : n.constant("zero_state", dev.kiln.ir.NdArray.zeros(x.dtype(), Shape.of(s.dim(0), c, k - 1)));
        Value padded = k == 1 ? x : step(n, Ops.CONCAT, List.of(past, x), Attrs.of("axis", 2L), "padded");
        List<Value> convIn = new ArrayList<>(List.of(padded, w));
        if (n.hasInput(2)) convIn.add(n.input(2));
        Attrs conv = Attrs.of("kernel_shape", new long[] {k}, "strides", new long[] {1}, "dilations", new long[] {1}, "pads", new long[] {0, 0}, "group", (long) c);
        if (act.equals("none")) {
            n.bindOutput(0, step(n, Ops.CONV, convIn, conv, "conv"));
        } else {
            Value y = step(n, Ops.CONV, convIn, conv, "conv");
            n.bindOutput(0, step(n, Ops.MUL, List.of(y, step(n, Ops.SIGMOID, List.of(y), Attrs.EMPTY, "gate")), Attrs.EMPTY, "silu"));
        }
        if (n.hasOutput(1)) {
            long len = s.dim(2) + k - 1;
            n.bindOutput(1, step(n, Ops.SLICE, List.of(padded), Attrs.of("starts", new long[] {len - (k - 1)}, "ends", new long[] {len}, "axes", new long[] {2}), "present_state"));
        }
    }
}
