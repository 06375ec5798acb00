package dev.kiln.frontend.onnx;

import static dev.kiln.frontend.onnx.IndexMappings.in;
import static dev.kiln.frontend.onnx.IndexMappings.scalar;
import static dev.kiln.frontend.onnx.IndexMappings.step;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;

/**
 * ONNX mappings of the ops of domain {@code ai.onnx.preview}: one method per op. FlexAttention is decomposed into
 * registered ops as its function body defines it, with its score_mod, mask_mod and prob_mod graphs imported in
 * place as calls on the score and probability tensors, so every backend runs it with the kernels it has.
 */
public final class PreviewMappings {
    private PreviewMappings() {}

    /** The ONNX domain these mappings serve. */
    public static final String DOMAIN = "ai.onnx.preview";

    /**
     * The stages whose graphs FlexAttention applies to the scores (before Softmax), in order: ONNX 1.23's schema has
     * score_mod; mask_mod is the first draft's, a graph from the scores to the masked scores as well.
     */
    private static final List<String> SCORE_STAGES = List.of("score_mod", "mask_mod");

    /**
     * FlexAttention (preview opset 1): Y = prob_mod(softmax(mask_mod(score_mod(Q·Kᵀ·scale)))) · V over rank-4 inputs,
     * K and V repeated over the query heads when there are fewer of them (grouped-query attention). The scale defaults
     * to 1/√head_size. When softmax_precision (by default f32, f64 for f64 inputs) differs from the inputs' type, as for
     * f16/bf16, the function body is followed: Q and K are each scaled by √scale, and the scores, probabilities and the
     * last product are computed in softmax_precision. Each stage graph takes the one [B, H, L, S] tensor it modifies.
     */
    public static void FlexAttention(OnnxNode n) {
        Value q = in(n, 0, "Q"), k = in(n, 1, "K"), v = in(n, 2, "V");
        DType t = q.dtype();
        if (!t.isFloat() || k.dtype() != t || v.dtype() != t)
            throw n.error("Q, K and V must be float tensors of one type, got %s, %s and %s", q.dtype(), k.dtype(), v.dtype());
        Shape qs = q.shape(), ks = k.shape(), vs = v.shape();
        if (qs.rank() != 4 || ks.rank() != 4 || vs.rank() != 4)
            throw n.error("Q %s, K %s and V %s must be rank 4 (batch, heads, sequence, head size)", qs, ks, vs);
        int hq = qs.dim(1), hk = ks.dim(1);
        if (ks.dim(0) != qs.dim(0) || vs.dim(0) != qs.dim(0) || ks.dim(3) != qs.dim(3) || vs.dim(1) != hk || vs.dim(2) != ks.dim(2)
                || hk == 0 || hq % hk != 0)
            throw n.error("shapes Q %s, K %s, V %s do not fit: one batch, K's head size equal to Q's, K and V one head count and"
                    + " sequence length, and Q's heads a multiple of K's", qs, ks, vs);
        // the softmax's type: softmax_precision, by default f64 for f64 inputs and f32 for the others
        DType wide = t == DType.F64 ? DType.F64 : DType.F32;
        if (n.hasAttr("softmax_precision")) {
            long code = n.attrInt("softmax_precision", 0);
            wide = DType.fromOnnx((int) code);
            if (wide == null || !wide.isFloat()) throw n.error("softmax_precision %d is not an ONNX float type", code);
        }
        float scale = n.hasAttr("scale") ? (float) n.attrFloat("scale", 1.0) : (float) (1.0 / Math.sqrt((float) qs.dim(3)));
        Value kAligned = repeatHeads(n, k, hq, "k");
        Value scores;
        if (wide == t) {
            // (Q·Kᵀ)·scale as the spec writes it: a Mul right before the Softmax, which FuseSoftmaxScale folds into it
            Value kt = step(n, Ops.TRANSPOSE, List.of(kAligned), Attrs.of("perm", new long[] {0, 1, 3, 2}), "k_transposed");
            Value qk = step(n, Ops.MATMUL, List.of(q, kt), Attrs.EMPTY, "qk");
            scores = step(n, Ops.MUL, List.of(qk, scalar(n, t, scale, "scale")), Attrs.EMPTY, "scores");
        } else {
            // why: the function body scales Q and K by √scale each, so that the f16/bf16 product stays in range
            Value rootScale = scalar(n, t, (float) Math.sqrt(scale), "sqrt_scale");
            Value qScaled = step(n, Ops.MUL, List.of(q, rootScale), Attrs.EMPTY, "q_scaled");
            Value kScaled = step(n, Ops.MUL, List.of(kAligned, rootScale), Attrs.EMPTY, "k_scaled");
            Value kt = step(n, Ops.TRANSPOSE, List.of(kScaled), Attrs.of("perm", new long[] {0, 1, 3, 2}), "k_transposed");
            scores = step(n, Ops.CAST, List.of(step(n, Ops.MATMUL, List.of(qScaled, kt), Attrs.EMPTY, "scores")), Attrs.of("to", wide.shortName()), "scores_wide");
        }
        for (String stage : SCORE_STAGES) scores = applyStage(n, stage, scores);
        Value probs = applyStage(n, "prob_mod", step(n, Ops.SOFTMAX, List.of(scores), Attrs.of("axis", -1L), "probs"));
        Value vAligned = repeatHeads(n, v, hq, "v");
        if (wide == t) {
            n.emit(Ops.MATMUL, List.of(probs, vAligned), Attrs.EMPTY);
            return;
        }
        Value vWide = step(n, Ops.CAST, List.of(vAligned), Attrs.of("to", wide.shortName()), "v_wide");
        Value y = step(n, Ops.MATMUL, List.of(probs, vWide), Attrs.EMPTY, "y_wide");
        n.emit(Ops.CAST, List.of(y), Attrs.of("to", t.shortName()));
    }

    /** {@code x} after graph attribute {@code stage}, called on it; {@code x} itself when the node has no such graph. */
    private static Value applyStage(OnnxNode n, String stage, Value x) {
        if (!n.hasGraph(stage)) return x;
        List<Value> outs = n.call(stage, List.of(x));
        if (outs.size() != 1 || !outs.get(0).type().equals(x.type()))
            throw n.error("%s must return one tensor of the type it takes (%s), got %s", stage, x.type(),
                    outs.stream().map(o -> o.type().toString()).toList());
        return outs.get(0);
    }

    /** [B, Hk, S, D] repeated to [B, hq, S, D], each KV head serving hq / Hk consecutive query heads. */
    private static Value repeatHeads(OnnxNode n, Value x, int hq, String what) {
        Shape s = x.shape();
        int hk = s.dim(1);
        if (hk == hq) return x;
        Value lifted = step(n, Ops.RESHAPE, List.of(x), Attrs.of("shape", new long[] {s.dim(0), hk, 1, s.dim(2), s.dim(3)}), what + "_lifted");
        Value expanded = step(n, Ops.EXPAND, List.of(lifted), Attrs.of("shape", new long[] {s.dim(0), hk, hq / hk, s.dim(2), s.dim(3)}), what + "_repeated");
        return step(n, Ops.RESHAPE, List.of(expanded), Attrs.of("shape", new long[] {s.dim(0), hq, s.dim(2), s.dim(3)}), what + "_aligned");
    }
}
