package dev.kiln.passes;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites an f32 attention node whose attributes need nothing beyond a scaled, masked softmax of Q·Kᵀ as
 * {@code softmax(matmul(Q, Kᵀ) * scale [+ mask]) · V} on [B, H, S, D] views (reshape and transpose around it for
 * 3-D inputs), so the products run in the blocked matmul kernel instead of the attention kernel's per-row loop.
 * It applies where the op's semantics equal that decomposition: only output Y is read; no past key/value, no
 * nonpad_kv_seqlen, no softcap, no sliding window; as many K/V heads as Q heads; a mask, if any, a constant covering
 * every key whose rows each keep a finite entry (the op gives 0 for a fully masked row, softmax would give NaN);
 * {@code is_causal} becomes such a constant mask.
 */
public final class LowerAttentionToMatMul implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (n.op() != Ops.ATTENTION) continue;
            String why = why(g, n);
            if (why != null) {
                cx.skip(n.name(), why);
                continue;
            }
            lower(g, n);
            changed = true;
        }
        if (changed) g.removeUnusedConstants();
        return changed;
    }

    /** Why {@code n} is not the plain decomposition, or null. */
    private static String why(Graph g, Node n) {
        Attrs a = n.attrs();
        // why: f16/bf16 attention rounds the probabilities in its own order; the decomposition would round differently
        if (n.input(0).dtype() != DType.F32) return "not f32";
        // why: present key/value and the QK output are written by the attention kernel only
        for (int i = 1; i < n.outputs().size(); i++)
            if (n.output(i) != null && (!n.output(i).uses().isEmpty() || g.outputs().contains(n.output(i)))) return "an output besides Y is read";
        // why: each of these changes the scores in a way a matmul and softmax do not
        if (n.input(4) != null || n.input(5) != null) return "it has a past key/value";
        if (n.input(6) != null) return "it has nonpad_kv_seqlen";
        if (a.getFloat("softcap", 0) > 0) return "it has a softcap";
        if (a.getInt("left_window_size", -1) >= 0 || a.getInt("right_window_size", -1) >= 0) return "it has a sliding window";
        Shape q = n.input(0).shape(), k = n.input(1).shape();
        boolean three = q.rank() == 3;
        int hq = three ? (int) a.getInt("q_num_heads") : q.dim(1), hkv = three ? (int) a.getInt("kv_num_heads") : k.dim(1);
        // why: grouped-query heads would need K and V repeated per group
        if (hq != hkv) return "K/V heads (" + hkv + ") differ from Q heads (" + hq + ")";
        boolean causal = a.getInt("is_causal", 0) != 0;
        Value m = n.input(3);
        if (m != null && causal) return "it has both a mask and is_causal";
        if (m != null) {
            int skv = three ? k.dim(1) : k.dim(2);
            // why: a run-time mask may mask a whole row, which the op turns to 0 and softmax to NaN
            if (!m.isConstant()) return "its mask is not a constant";
            if (m.shape().dim(-1) != skv) return "its mask covers " + m.shape().dim(-1) + " of " + skv + " keys";
            if (!everyRowKeepsOne(additive(m.constant()))) return "its mask masks a whole row";
        }
        return null;
    }

    /** {@code m} as additive f32 values: a bool mask's true is 0, false -inf. */
    private static NdArray additive(NdArray m) {
        NdArray r = NdArray.zeros(DType.F32, m.shape());
        for (int i = 0; i < m.size(); i++)
            r.setDouble(i, m.dtype() == DType.BOOL ? (m.getLong(i) != 0 ? 0 : Double.NEGATIVE_INFINITY) : m.getDouble(i));
        return r;
    }

    private static boolean everyRowKeepsOne(NdArray m) {
        int cols = m.shape().dim(-1);
        for (int r = 0; r < m.size() / Math.max(cols, 1); r++) {
            boolean finite = false;
            for (int j = 0; j < cols && !finite; j++) finite = m.getDouble(r * cols + j) != Double.NEGATIVE_INFINITY;
            if (!finite) return false;
        }
        return true;
    }

    /** attention(Q, K, V) -> softmax(matmul(Q, transpose(K)) * scale + mask) · V, with [B, S, H*D] <-> [B, H, S, D] views for 3-D inputs. */
    private static void lower(Graph g, Node n) {
        Attrs a = n.attrs();
        Value q = n.input(0), k = n.input(1), v = n.input(2);
        boolean three = q.shape().rank() == 3;
        String base = n.name();
        int b = q.shape().dim(0);
        int heads = three ? (int) a.getInt("q_num_heads") : q.shape().dim(1);
        int sq = three ? q.shape().dim(1) : q.shape().dim(2), skv = three ? k.shape().dim(1) : k.shape().dim(2);
        int dk = three ? k.shape().dim(2) / heads : k.shape().dim(3);
        int dv = three ? v.shape().dim(2) / heads : v.shape().dim(3);
        if (three) {
            // [B, S, H*D] -> [B, S, H, D] -> [B, H, S, D] (K: [B, H, D, S])
            q = step(g, n, Ops.TRANSPOSE, step(g, n, Ops.RESHAPE, q, Attrs.of("shape", new long[] {b, sq, heads, dk}), base + "_q4"), Attrs.of("perm", new long[] {0, 2, 1, 3}), base + "_q");
            k = step(g, n, Ops.TRANSPOSE, step(g, n, Ops.RESHAPE, k, Attrs.of("shape", new long[] {b, skv, heads, dk}), base + "_k4"), Attrs.of("perm", new long[] {0, 2, 3, 1}), base + "_kt");
            v = step(g, n, Ops.TRANSPOSE, step(g, n, Ops.RESHAPE, v, Attrs.of("shape", new long[] {b, skv, heads, dv}), base + "_v4"), Attrs.of("perm", new long[] {0, 2, 1, 3}), base + "_v");
        } else {
            k = step(g, n, Ops.TRANSPOSE, k, Attrs.of("perm", new long[] {0, 1, 3, 2}), base + "_kt");
        }
        Value s = node(g, n, Ops.MATMUL, List.of(q, k), Attrs.EMPTY, base + "_qk");
        double scale = a.has("scale") ? a.getFloat("scale") : 1 / Math.sqrt(dk);
        Value sc = g.addConstant(g.uniqueValueName(base + "_scale"), NdArray.scalar(DType.F32, scale));
        s = node(g, n, Ops.MUL, List.of(s, sc), Attrs.EMPTY, base + "_scaled");
        NdArray mask = null;
        if (n.input(3) != null) mask = additive(n.input(3).constant());
        else if (a.getInt("is_causal", 0) != 0) {
            // causal: key j is masked for query i when j > i
            mask = NdArray.zeros(DType.F32, Shape.of(sq, skv));
            for (int i = 0; i < sq; i++) for (int j = i + 1; j < skv; j++) mask.setDouble(i * skv + j, Double.NEGATIVE_INFINITY);
        }
        if (mask != null) s = node(g, n, Ops.ADD, List.of(s, g.addConstant(g.uniqueValueName(base + "_mask"), mask)), Attrs.EMPTY, base + "_masked");
        s = node(g, n, Ops.SOFTMAX, List.of(s), Attrs.of("axis", -1L), base + "_probs");
        Value y = node(g, n, Ops.MATMUL, List.of(s, v), Attrs.EMPTY, base + "_pv");
        if (three) {
            y = step(g, n, Ops.TRANSPOSE, y, Attrs.of("perm", new long[] {0, 2, 1, 3}), base + "_yt");
            y = step(g, n, Ops.RESHAPE, y, Attrs.of("shape", new long[] {b, sq, (long) heads * dv}), base + "_y");
        }
        Value old = n.output(0);
        String oldName = old.name();
        g.replaceAllUses(old, y);
        g.removeNode(n);
        g.renameValue(y, oldName);
    }

    /** One node {@code op(ins)} inserted just before {@code anchor}; its output. */
    private static Value node(Graph g, Node anchor, OpDef op, List<Value> ins, Attrs attrs, String name) {
        String nn = g.uniqueNodeName(name);
        return g.insertNode(g.nodes().indexOf(anchor), op, nn, ins, attrs, List.of(g.uniqueValueName(nn))).output(0);
    }

    /** {@code op(v)}, or {@code v} itself for a reshape to its own shape or a transpose that keeps every axis in place. */
    private static Value step(Graph g, Node anchor, OpDef op, Value v, Attrs attrs, String name) {
        long[] d = attrs.getIntsOrNull(op == Ops.RESHAPE ? "shape" : "perm");
        boolean same = true;
        for (int i = 0; i < d.length; i++) same &= op == Ops.RESHAPE ? i < v.shape().rank() && d[i] == v.shape().dim(i) : d[i] == i;
        if (same && d.length == v.shape().rank()) return v;
        return node(g, anchor, op, List.of(v), attrs, name);
    }
}
