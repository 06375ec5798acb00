package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Linear attention as a recurrence over time (ONNX LinearAttention): per kv head a state S [d_k, d_v] (from
 * {@code past_state} or zero) is, at each step, decayed by exp(decay) ({@code update_rule} gated, gated_delta),
 * corrected by the delta rule v := beta * (v - Sᵀk) (delta, gated_delta), updated S += k vᵀ, and read by each
 * query head of its group as scale * qᵀS. Q, K, V are [B, T, heads * D]; outputs the readings [B, T, q_heads * d_v]
 * and the final state [B, kv_heads, d_k, d_v].
 */
public final class LinearAttention extends OpDef {
    public LinearAttention() {
        super("linear_attention", Signature.builder().input("query", "key", "value").optionalInput("past_state", "decay", "beta")
                .output("output").optionalOutput("present_state").requiredAttr("q_num_heads", AttrType.INT).requiredAttr("kv_num_heads", AttrType.INT)
                .attr("scale", AttrType.FLOAT, 0.0).attr("update_rule", AttrType.STRING, "gated_delta").build(), Trait.MAC);
    }

    @Override
    public String summary() { return "linear attention recurrence (linear, gated, delta, gated_delta rules)"; }

    private record Dims(int b, int t, int hq, int hkv, int dk, int dv) {}

    private static Dims dims(InferContext cx) {
        Shape q = cx.shape(0), k = cx.shape(1), v = cx.shape(2);
        long hq = cx.attrs().getInt("q_num_heads"), hkv = cx.attrs().getInt("kv_num_heads");
        cx.check(q.rank() == 3 && k.rank() == 3 && v.rank() == 3, "query %s, key %s, value %s must be [B, T, heads * D]", q, k, v);
        cx.check(hq > 0 && hkv > 0 && hq % hkv == 0, "q_num_heads %d must be a positive multiple of kv_num_heads %d", hq, hkv);
        cx.check(q.dim(2) % hq == 0 && k.dim(2) % hkv == 0 && v.dim(2) % hkv == 0, "hidden sizes must divide by the head counts");
        int dk = (int) (q.dim(2) / hq);
        cx.check(k.dim(2) / hkv == dk && k.dim(0) == q.dim(0) && v.dim(0) == q.dim(0) && k.dim(1) == q.dim(1) && v.dim(1) == q.dim(1),
                "query %s, key %s and value %s disagree", q, k, v);
        return new Dims(q.dim(0), q.dim(1), (int) hq, (int) hkv, dk, (int) (v.dim(2) / hkv));
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        cx.checkSameDType(0, 1);
        cx.checkSameDType(0, 2);
        Dims d = dims(cx);
        String rule = cx.attrs().getString("update_rule");
        cx.check(List.of("linear", "gated", "delta", "gated_delta").contains(rule), "update_rule '%s' is not linear, gated, delta or gated_delta", rule);
        boolean gated = rule.startsWith("gated"), delta = rule.endsWith("delta");
        cx.check(gated == cx.has(4), "update_rule '%s' %s the decay input", rule, gated ? "needs" : "forbids");
        cx.check(delta == cx.has(5), "update_rule '%s' %s the beta input", rule, delta ? "needs" : "forbids");
        Shape state = Shape.of(d.b, d.hkv, d.dk, d.dv);
        if (cx.has(3)) cx.check(cx.shape(3).equals(state), "past_state %s must be %s", cx.shape(3), state);
        if (cx.has(4)) {
            Shape g = cx.shape(4);
            cx.check(g.rank() == 3 && g.dim(0) == d.b && g.dim(1) == d.t && (g.dim(2) == d.hkv || g.dim(2) == d.hkv * d.dk),
                    "decay %s must be [B, T, kv_heads] or [B, T, kv_heads * d_k]", g);
        }
        if (cx.has(5)) {
            Shape g = cx.shape(5);
            cx.check(g.rank() == 3 && g.dim(0) == d.b && g.dim(1) == d.t && (g.dim(2) == d.hkv || g.dim(2) == 1), "beta %s must be [B, T, kv_heads or 1]", g);
        }
        TensorType out = new TensorType(cx.dtype(0), Shape.of(d.b, d.t, d.hq * d.dv));
        if (cx.numOutputs() == 1) return List.of(out);
        return List.of(out, new TensorType(cx.has(3) ? cx.dtype(3) : cx.dtype(0), state));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray q = cx.input(0), k = cx.input(1), v = cx.input(2), past = cx.input(3), decay = cx.input(4), beta = cx.input(5);
        int b = q.shape().dim(0), t = q.shape().dim(1);
        int hq = (int) cx.attrs().getInt("q_num_heads"), hkv = (int) cx.attrs().getInt("kv_num_heads");
        int dk = q.shape().dim(2) / hq, dv = v.shape().dim(2) / hkv, group = hq / hkv;
        double scale = cx.attrs().getFloat("scale");
        if (scale == 0) scale = 1 / Math.sqrt(dk);
        double[] s = past == null ? new double[b * hkv * dk * dv] : past.toDoubleArray();
        NdArray y = cx.newOutput(0);
        double[] vt = new double[dv];
        for (int bi = 0; bi < b; bi++) {
            for (int i = 0; i < t; i++) {
                for (int h = 0; h < hkv; h++) {
                    int sb = (bi * hkv + h) * dk * dv, kb = (bi * t + i) * hkv * dk + h * dk, vb = (bi * t + i) * hkv * dv + h * dv;
                    if (decay != null) {
                        int last = decay.shape().dim(2);
                        for (int a = 0; a < dk; a++) {
                            double g = Math.exp(decay.getDouble((bi * t + i) * last + (last == hkv ? h : h * dk + a)));
                            for (int m = 0; m < dv; m++) s[sb + a * dv + m] *= g;
                        }
                    }
                    for (int m = 0; m < dv; m++) vt[m] = v.getDouble(vb + m);
                    if (beta != null) {
                        int last = beta.shape().dim(2);
                        double be = beta.getDouble((bi * t + i) * last + (last == 1 ? 0 : h));
                        for (int m = 0; m < dv; m++) {
                            double r = 0;
                            for (int a = 0; a < dk; a++) r += s[sb + a * dv + m] * k.getDouble(kb + a);
                            vt[m] = be * (vt[m] - r);
                        }
                    }
                    for (int a = 0; a < dk; a++) {
                        double ka = k.getDouble(kb + a);
                        for (int m = 0; m < dv; m++) s[sb + a * dv + m] += ka * vt[m];
                    }
                    for (int gq = 0; gq < group; gq++) {
                        int hh = h * group + gq, qb = (bi * t + i) * hq * dk + hh * dk;
                        for (int m = 0; m < dv; m++) {
                            double acc = 0;
                            for (int a = 0; a < dk; a++) acc += q.getDouble(qb + a) * s[sb + a * dv + m];
                            y.setDouble((bi * t + i) * hq * dv + hh * dv + m, scale * acc);
                        }
                    }
                }
            }
        }
        if (cx.numOutputs() == 1) return List.of(y);
        return List.of(y, NdArray.ofDoubles(cx.outputType(1).shape(), s).cast(cx.outputType(1).dtype()));
    }
}
