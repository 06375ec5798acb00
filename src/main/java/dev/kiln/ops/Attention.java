package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Scaled dot-product attention as ONNX's Attention (opsets 23 and 24) defines it: Q, K, V as [B, heads, S, D]
 * or [B, S, heads * D] (with {@code q_num_heads}, {@code kv_num_heads}); K and V appended to past_key and
 * past_value (outputs present_key, present_value); grouped-query heads share K/V heads; an additive or boolean
 * {@code attn_mask} (shorter masks padded as masked), {@code is_causal} (aligned to the end of the past),
 * sliding windows, {@code nonpad_kv_seqlen}, {@code softcap}; rows with every key masked give 0. Output 3 is
 * the QK product (modes 0 and 1), with bias (2) or after softmax (3). On f16 and bf16 every step rounds to the type
 * ({@link RoundingSteps}): the scaled Q and K, the scores, the bias, scores plus bias, the softmax's steps and the
 * probabilities.
 */
public final class Attention extends OpDef {
    public Attention() {
        super("attention", Signature.builder().input("Q", "K", "V").optionalInput("attn_mask", "past_key", "past_value", "nonpad_kv_seqlen")
                .output("Y").optionalOutput("present_key", "present_value", "qk_matmul_output")
                .optionalAttr("scale", AttrType.FLOAT).attr("is_causal", AttrType.INT, 0L)
                .optionalAttr("q_num_heads", AttrType.INT).optionalAttr("kv_num_heads", AttrType.INT)
                .optionalAttr("softmax_precision", AttrType.INT).attr("softcap", AttrType.FLOAT, 0.0)
                .attr("qk_matmul_output_mode", AttrType.INT, 0L)
                .attr("left_window_size", AttrType.INT, -1L).attr("right_window_size", AttrType.INT, -1L)
                .attr(RoundingSteps.ATTR, AttrType.STRING, "").build(), Trait.MAC);
    }

    @Override
    public String summary() { return "multi-head attention: masks, causal, GQA, past/present KV, softcap"; }

    /** Batch, heads, sequence and head sizes of Q, K and V as [B, H, S, D]. */
    private record Dims(int b, int hq, int hkv, int sq, int skv, int past, int dk, int dv, boolean three) {}

    private static Dims dims(dev.kiln.ir.Attrs a, Shape q, Shape k, Shape v, Shape pastK) {
        boolean three = q.rank() == 3;
        if (q.rank() != k.rank() || q.rank() != v.rank() || (q.rank() != 3 && q.rank() != 4))
            throw new IllegalArgumentException("Q " + q + ", K " + k + " and V " + v + " must all be 3-D or all 4-D");
        int hq, hkv, dk, dv, dq;
        if (three) {
            if (!a.has("q_num_heads") || !a.has("kv_num_heads")) throw new IllegalArgumentException("3-D inputs need q_num_heads and kv_num_heads");
            hq = (int) a.getInt("q_num_heads");
            hkv = (int) a.getInt("kv_num_heads");
            if (hq < 1 || hkv < 1 || q.dim(2) % hq != 0 || k.dim(2) % hkv != 0 || v.dim(2) % hkv != 0)
                throw new IllegalArgumentException("hidden sizes of Q " + q + ", K " + k + ", V " + v + " must divide by the head counts " + hq + ", " + hkv);
            dq = q.dim(2) / hq;
            dk = k.dim(2) / hkv;
            dv = v.dim(2) / hkv;
        } else {
            hq = q.dim(1);
            hkv = k.dim(1);
            dq = q.dim(3);
            dk = k.dim(3);
            dv = v.dim(3);
            if (v.dim(1) != hkv) throw new IllegalArgumentException("K " + k + " and V " + v + " must have the same heads");
        }
        int sq = three ? q.dim(1) : q.dim(2), skv = three ? k.dim(1) : k.dim(2);
        if (dq != dk) throw new IllegalArgumentException("Q's head size " + dq + " differs from K's " + dk);
        if (hq % hkv != 0) throw new IllegalArgumentException("q heads " + hq + " must be a multiple of kv heads " + hkv);
        if (k.dim(0) != q.dim(0) || v.dim(0) != q.dim(0) || (three ? v.dim(1) : v.dim(2)) != skv)
            throw new IllegalArgumentException("Q " + q + ", K " + k + " and V " + v + " disagree on batch or sequence");
        int past = pastK == null ? 0 : pastK.dim(2);
        return new Dims(q.dim(0), hq, hkv, sq, skv, past, dk, dv, three);
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        cx.checkSameDType(0, 1);
        cx.checkSameDType(0, 2);
        cx.check(cx.has(4) == cx.has(5), "past_key and past_value must be given together");
        cx.check(!(cx.has(6) && cx.has(4)), "nonpad_kv_seqlen cannot be combined with past_key and past_value");
        Dims d;
        try {
            d = dims(cx.attrs(), cx.shape(0), cx.shape(1), cx.shape(2), cx.has(4) ? cx.shape(4) : null);
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        int total = d.past + d.skv;
        if (cx.has(4)) {
            cx.checkSameDType(0, 4);
            cx.checkSameDType(0, 5);
            cx.check(cx.shape(4).equals(Shape.of(d.b, d.hkv, d.past, d.dk)) && cx.shape(5).equals(Shape.of(d.b, d.hkv, d.past, d.dv)),
                    "past_key %s and past_value %s must be [%d, %d, past, %d / %d]", cx.shape(4), cx.shape(5), d.b, d.hkv, d.dk, d.dv);
        }
        if (cx.has(3)) {
            Shape m = cx.shape(3);
            cx.check(cx.dtype(3) == DType.BOOL || cx.dtype(3) == cx.dtype(0), "attn_mask must be bool or Q's type, got %s", cx.dtype(3));
            int[] full = {d.b, d.hq, d.sq, total};
            cx.check(m.rank() >= 1 && m.rank() <= 4 && m.dim(-1) <= total, "attn_mask %s must have rank 1 to 4 and at most %d keys", m, total);
            for (int i = 0; i < m.rank() - 1; i++) {
                int dim = m.dim(m.rank() - 2 - i), want = full[2 - i];
                cx.check(dim == 1 || dim == want, "attn_mask %s does not broadcast to [%d, %d, %d, %d]", m, d.b, d.hq, d.sq, total);
            }
        }
        if (cx.has(6)) {
            cx.checkDType(6, DType.I64, DType.I32);
            cx.check(cx.shape(6).equals(Shape.of(d.b)), "nonpad_kv_seqlen %s must be [%d]", cx.shape(6), d.b);
        }
        long mode = cx.attrs().getInt("qk_matmul_output_mode");
        cx.check(mode >= 0 && mode <= 3, "qk_matmul_output_mode %d is not 0 to 3", mode);
        DType t = cx.dtype(0);
        List<TensorType> out = new ArrayList<>();
        out.add(new TensorType(t, d.three ? Shape.of(d.b, d.sq, d.hq * d.dv) : Shape.of(d.b, d.hq, d.sq, d.dv)));
        if (cx.numOutputs() > 1) out.add(new TensorType(t, Shape.of(d.b, d.hkv, total, d.dk)));
        if (cx.numOutputs() > 2) out.add(new TensorType(t, Shape.of(d.b, d.hkv, total, d.dv)));
        if (cx.numOutputs() > 3) out.add(new TensorType(t, Shape.of(d.b, d.hq, d.sq, total)));
        return out;
    }

    /** Element (b, h, s, e) of a 3-D [B, S, H * E] or 4-D [B, H, S, E] tensor. */
    private static double at(NdArray a, boolean three, int h, int s, int e, int b, int heads, int seq, int size) {
        return a.getDouble(three ? ((b * seq + s) * heads + h) * size + e : ((b * heads + h) * seq + s) * size + e);
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        dev.kiln.ir.Attrs a = cx.attrs();
        NdArray q = cx.input(0), k = cx.input(1), v = cx.input(2), mask = cx.input(3), pk = cx.input(4), pv = cx.input(5), nonpad = cx.input(6);
        Dims d = dims(a, q.shape(), k.shape(), v.shape(), pk == null ? null : pk.shape());
        int total = d.past + d.skv, group = d.hq / d.hkv;
        // present K and V: [B, Hkv, total, D]
        double[] kk = new double[d.b * d.hkv * total * d.dk], vv = new double[d.b * d.hkv * total * d.dv];
        for (int b = 0; b < d.b; b++)
            for (int h = 0; h < d.hkv; h++)
                for (int s = 0; s < total; s++) {
                    for (int e = 0; e < d.dk; e++)
                        kk[((b * d.hkv + h) * total + s) * d.dk + e] = s < d.past ? pk.getDouble(((b * d.hkv + h) * d.past + s) * d.dk + e)
                                : at(k, d.three, h, s - d.past, e, b, d.hkv, d.skv, d.dk);
                    for (int e = 0; e < d.dv; e++)
                        vv[((b * d.hkv + h) * total + s) * d.dv + e] = s < d.past ? pv.getDouble(((b * d.hkv + h) * d.past + s) * d.dv + e)
                                : at(v, d.three, h, s - d.past, e, b, d.hkv, d.skv, d.dv);
                }
        double scale = a.has("scale") ? a.getFloat("scale") : 1 / Math.sqrt(d.dk);
        double sc = Math.sqrt(scale);
        DType steps = RoundingSteps.of(a, q.dtype());
        if (q.dtype() == DType.F32) sc = (float) sc;
        if (steps != null) sc = RoundingSteps.round(steps, sc);
        double softcap = a.getFloat("softcap");
        boolean causal = a.getInt("is_causal") != 0;
        long left = a.getInt("left_window_size"), right = a.getInt("right_window_size");
        int mode = (int) a.getInt("qk_matmul_output_mode");
        NdArray y = cx.newOutput(0);
        NdArray qk = cx.numOutputs() > 3 ? cx.newOutput(3) : null;
        double[] s = new double[total], bias = new double[total];
        for (int b = 0; b < d.b; b++) {
            long offset = nonpad != null ? nonpad.getLong(b) - d.sq : d.past;
            for (int h = 0; h < d.hq; h++) {
                int hk = h / group;
                for (int i = 0; i < d.sq; i++) {
                    double maxBias = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < total; j++) {
                        double m = 0;
                        if (mask != null) m = maskValue(mask, b, h, i, j);
                        if (causal && j > i + offset) m += Double.NEGATIVE_INFINITY;
                        long diff = i + offset - j;
                        if ((left >= 0 && diff > left) || (right >= 0 && -diff > right)) m += Double.NEGATIVE_INFINITY;
                        if (nonpad != null && j >= nonpad.getLong(b)) m += Double.NEGATIVE_INFINITY;
                        bias[j] = steps != null ? RoundingSteps.round(steps, m) : m;
                        maxBias = Math.max(maxBias, m);
                        double dot = 0;
                        for (int e = 0; e < d.dk; e++) {
                            double qe = at(q, d.three, h, i, e, b, d.hq, d.sq, d.dk) * sc, ke = kk[((b * d.hkv + hk) * total + j) * d.dk + e] * sc;
                            dot += steps != null ? RoundingSteps.round(steps, qe) * RoundingSteps.round(steps, ke) : qe * ke;
                        }
                        if (steps != null) dot = RoundingSteps.round(steps, dot);
                        if (softcap > 0) dot = steps != null ? roundedSoftcap(steps, dot, softcap) : softcap * Math.tanh(dot / softcap);
                        s[j] = dot;
                    }
                    boolean allMasked = maxBias == Double.NEGATIVE_INFINITY;
                    int qkRow = ((b * d.hq + h) * d.sq + i) * total;
                    double mx = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < total; j++) {
                        if (qk != null && mode <= 1) qk.setDouble(qkRow + j, s[j]);
                        s[j] += bias[j];
                        if (steps != null) s[j] = RoundingSteps.round(steps, s[j]);
                        if (qk != null && mode == 2) qk.setDouble(qkRow + j, s[j]);
                        mx = Math.max(mx, s[j]);
                    }
                    if (mx == Double.NEGATIVE_INFINITY) mx = 0;
                    double sum = 0;
                    for (int j = 0; j < total; j++) {
                        if (steps != null) {
                            s[j] = RoundingSteps.round(steps, Math.exp(RoundingSteps.round(steps, s[j] - mx)));
                            sum = RoundingSteps.add(steps, sum, s[j]);
                        } else {
                            s[j] = Math.exp(s[j] - mx);
                            sum += s[j];
                        }
                    }
                    if (steps != null) sum = RoundingSteps.round(steps, sum);
                    if (sum == 0) sum = 1;
                    for (int j = 0; j < total; j++) {
                        s[j] = allMasked ? 0 : s[j] / sum;
                        if (q.dtype() == DType.F32) s[j] = (float) s[j];
                        if (steps != null) s[j] = RoundingSteps.round(steps, s[j]);
                        if (qk != null && mode == 3) qk.setDouble(qkRow + j, s[j]);
                    }
                    for (int e = 0; e < d.dv; e++) {
                        double acc = 0;
                        for (int j = 0; j < total; j++) acc += s[j] * vv[((b * d.hkv + hk) * total + j) * d.dv + e];
                        y.setDouble(d.three ? ((b * d.sq + i) * d.hq + h) * d.dv + e : ((b * d.hq + h) * d.sq + i) * d.dv + e, acc);
                    }
                }
            }
        }
        List<NdArray> out = new ArrayList<>();
        out.add(y);
        if (cx.numOutputs() > 1) out.add(NdArray.ofDoubles(Shape.of(d.b, d.hkv, total, d.dk), kk).cast(q.dtype()));
        if (cx.numOutputs() > 2) out.add(NdArray.ofDoubles(Shape.of(d.b, d.hkv, total, d.dv), vv).cast(q.dtype()));
        if (qk != null) out.add(qk);
        return out;
    }

    /** softcap * tanh(x / softcap), each of the three steps rounded to {@code t}. */
    private static double roundedSoftcap(DType t, double x, double softcap) {
        return RoundingSteps.round(t, RoundingSteps.round(t, Math.tanh(RoundingSteps.round(t, x / softcap))) * softcap);
    }

    /** The additive mask value at (b, h, i, j): broadcast from the right; keys past the mask's end are masked; bool true is 0, false -inf. */
    private static double maskValue(NdArray m, int b, int h, int i, int j) {
        Shape s = m.shape();
        int r = s.rank();
        if (j >= s.dim(-1)) return Double.NEGATIVE_INFINITY;
        int[] c = {b, h, i, j};
        int off = 0;
        int[] st = s.strides();
        for (int x = 0; x < r; x++) {
            int dim = s.dim(x), coord = c[4 - r + x];
            off += (dim == 1 ? 0 : coord) * st[x];
        }
        if (m.dtype() == DType.BOOL) return m.getLong(off) != 0 ? 0 : Double.NEGATIVE_INFINITY;
        return m.getDouble(off);
    }
}
