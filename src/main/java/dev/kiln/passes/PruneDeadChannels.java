package dev.kiln.passes;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.InferContext;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.ops.Trait;
import dev.kiln.quant.QuantAnnotations;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Removes output channels of a conv (group 1) or gemm whose weights are all zero, together with everything that
 * only carries them: such a channel's output is {@code act(bias)}, the same at every position, so its consumers
 * can do without it.
 *
 * <p>Starting from such a channel set, the pass follows the channel axis (axis 1) through consumers and plans an
 * edit for each; it applies the plan only when every consumer can be rewritten, else it says which one stopped it:
 * <ul>
 *   <li>per-channel ops (element-wise ops and activations whose other operands are constants, batch_norm, pools):
 *       their per-channel constants lose the channels, and the channels stay constant (values found by evaluating
 *       the op on them; a channel that turns non-constant, e.g. an average pool counting zero padding, stops it);
 *   <li>depthwise convs lose the channels (and their multiplier's output channels, which are constant: a zero or
 *       constant input plane padded with zeros is constant only when zero, checked the same way) and pass them on;
 *   <li>flatten (axis 1) maps channel c to the columns c·HW … c·HW + HW − 1 and passes them on;
 *   <li>a conv (group 1) or gemm consuming them drops the matching input channels of its weights. A zero channel
 *       just goes; a constant non-zero channel k is folded into the bias ({@code b[m] += k·Σ W[m, c, …]}), which is
 *       exact only where no window reaches into zero padding: a conv with pads is skipped for such channels.
 * </ul>
 * A channel reaching a graph output, or any other consumer, keeps the whole set.
 */
public final class PruneDeadChannels implements Pass {
    /**
     * Ops other than element-wise ones whose output channel c depends on input channel c alone (there is no trait
     * for this, and only these four are handled).
     */
    private static final Set<OpDef> PER_CHANNEL = Set.of(Ops.BATCH_NORM, Ops.MAX_POOL, Ops.AVERAGE_POOL, Ops.GLOBAL_AVERAGE_POOL,
            Ops.GLOBAL_MAX_POOL);

    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        int pruned = 0;
        for (Node root : new ArrayList<>(g.nodes())) {
            if (!g.nodes().contains(root)) continue;
            Map<Integer, Double> dead = deadChannels(root);
            if (dead.isEmpty()) continue;
            long before = macs(g);
            Plan p = new Plan(g, cx.quant());
            String why = p.pruneOutputs(root, dead);
            // why: half a rewrite leaves channel counts that disagree; every consumer must take it or none does
            if (why != null) {
                cx.skip(root.name(), dead.size() + " constant output channel(s) kept: " + why);
                continue;
            }
            p.apply();
            long zeros = dead.values().stream().filter(k -> k == 0).count();
            cx.report(String.format("%s: pruned %d output channel(s) (%d zero, %d constant folded into consumers; %d node(s) rewritten), MACs %d -> %d",
                    root.name(), dead.size(), zeros, dead.size() - zeros, p.edits.size(), before, macs(g)));
            pruned += dead.size();
            changed = true;
        }
        if (changed) {
            g.removeUnusedConstants();
            cx.report("pruned " + pruned + " channel(s) in all");
        }
        return changed;
    }

    private static long macs(Graph g) {
        long m = 0;
        for (Node n : g.nodes()) m += n.op().macs(n);
        return m;
    }

    /**
     * The output channels of {@code n} whose weights are all zero, each with the constant value it then has, or an
     * empty map when {@code n} is not a conv (group 1) or gemm with constant weights and float data.
     */
    private static Map<Integer, Double> deadChannels(Node n) {
        Map<Integer, Double> dead = new TreeMap<>();
        Value w = n.input(1);
        if (w == null || !w.isConstant() || !w.dtype().isFloat() || !constantOrAbsent(n.input(2))) return dead;
        int axis;
        if (n.op() == Ops.CONV && n.attrs().getInt("group", 1) == 1) axis = 0;
        else if (n.op() == Ops.GEMM && w.shape().rank() == 2) axis = n.attrs().getInt("trans_b", 0) != 0 ? 0 : 1;
        else return dead;
        int channels = w.shape().dim(axis);
        boolean[] zero = new boolean[channels];
        Arrays.fill(zero, true);
        NdArray wa = w.constant();
        // axis 0 (conv, transposed gemm): contiguous blocks per channel; axis 1 of a rank-2 gemm weight: columns
        int block = wa.size() / Math.max(channels, 1);
        for (int i = 0; i < wa.size(); i++) if (wa.getDouble(i) != 0) zero[axis == 0 ? i / block : i % channels] = false;
        boolean any = false;
        for (boolean z : zero) any |= z;
        if (!any) return dead;
        // the output of a zero-weight channel is the node's output on a zero input (bias and fused activation applied)
        List<NdArray> ins = new ArrayList<>();
        for (int i = 0; i < n.numInputs(); i++) {
            Value v = n.input(i);
            ins.add(v == null ? null : v.isConstant() ? v.constant() : NdArray.zeros(v.type()));
        }
        // why: the inputs other than the weights must be constants (or the one data input) to evaluate the node here
        for (int i = 1; i < n.numInputs(); i++) if (n.input(i) != null && !n.input(i).isConstant()) return dead;
        NdArray y = Interpreter.evaluate(n, ins).get(0);
        for (int c = 0; c < channels; c++) {
            if (!zero[c]) continue;
            Double k = planeConstant(y, c);
            if (k != null) dead.put(c, k);
        }
        return dead;
    }

    private static boolean constantOrAbsent(Value v) { return v == null || v.isConstant(); }

    /** The value every element of channel {@code c} (axis 1) of {@code y} holds, or null when they differ. */
    private static Double planeConstant(NdArray y, int c) {
        int[] d = y.shape().dims();
        int inner = 1;
        for (int i = 2; i < d.length; i++) inner *= d[i];
        int outer = d[0], channels = d[1];
        double k = y.getDouble(c * inner);
        for (int b = 0; b < outer; b++)
            for (int j = 0; j < inner; j++) {
                double v = y.getDouble((b * channels + c) * inner + j);
                if (Double.doubleToLongBits(v) != Double.doubleToLongBits(k)) return null;
            }
        return k;
    }

    private static void unravel(int flat, int[] dims, int[] idx) {
        for (int d = dims.length - 1; d >= 0; d--) {
            idx[d] = flat % dims[d];
            flat /= dims[d];
        }
    }

    /** {@code a} without the indices {@code drop} along {@code axis}. */
    static NdArray without(NdArray a, int axis, Set<Integer> drop) {
        int[] d = a.shape().dims();
        int[] nd = d.clone();
        nd[axis] -= drop.size();
        NdArray r = NdArray.zeros(a.dtype(), Shape.of(nd));
        int[] idx = new int[d.length];
        int j = 0;
        for (int i = 0; i < a.size(); i++) {
            unravel(i, d, idx);
            if (drop.contains(idx[axis])) continue;
            r.setDouble(j++, a.getDouble(i));
        }
        return r;
    }

    /** Grid {@code q} without the channels {@code cut} drops (its axis and indices; null: none), when they are its channels. */
    static QuantParams sliced(QuantParams q, Map.Entry<Integer, Set<Integer>> cut) {
        if (cut == null || !q.perChannel() || q.axis() != cut.getKey()) return q;
        int n = q.channels() - cut.getValue().size();
        float[] s = new float[n];
        long[] z = new long[n];
        for (int c = 0, j = 0; c < q.channels(); c++) {
            if (cut.getValue().contains(c)) continue;
            s[j] = q.scale(c);
            z[j++] = q.zeroPoint(c);
        }
        return new QuantParams(s, z, q.axis());
    }

    /** The edits pruning one channel set needs: new attributes and constant inputs per node, applied all at once. */
    private static final class Plan {
        final Graph g;
        /** Per node to rewrite: its new attributes and, per input index, a new constant (null: unchanged). */
        final Map<Node, Edit> edits = new LinkedHashMap<>();

        /** The compilation's quantization annotations (null without a context). */
        final QuantAnnotations quant;

        Plan(Graph g, QuantAnnotations quant) {
            this.g = g;
            this.quant = quant;
        }

        static final class Edit {
            Attrs attrs;
            final Map<Integer, NdArray> constants = new TreeMap<>();
            /** Per input index whose constant lost indices: the axis and the indices (to slice its quantization grid too). */
            final Map<Integer, Map.Entry<Integer, Set<Integer>>> dropped = new TreeMap<>();

            Edit(Attrs a) { attrs = a; }

            /** Plans input {@code i} as {@code a} without the indices {@code drop} along {@code axis}. */
            void drop(int i, NdArray a, int axis, Set<Integer> drop) {
                constants.put(i, without(a, axis, drop));
                dropped.put(i, Map.entry(axis, Set.copyOf(drop)));
            }
        }

        Edit edit(Node n) { return edits.computeIfAbsent(n, k -> new Edit(k.attrs())); }

        /** The current (possibly already replaced) constant of input {@code i}. */
        NdArray constant(Node n, int i) {
            Edit e = edits.get(n);
            if (e != null && e.constants.containsKey(i)) return e.constants.get(i);
            return n.input(i) == null ? null : n.input(i).constant();
        }

        /** Plans the removal of {@code dead} output channels of {@code root}; returns why it cannot, or null. */
        String pruneOutputs(Node root, Map<Integer, Double> dead) {
            Set<Integer> drop = dead.keySet();
            if (dead.size() == root.input(1).shape().dim(root.op() == Ops.CONV || root.attrs().getInt("trans_b", 0) != 0 ? 0 : 1))
                return "every output channel is constant (the node would vanish; left to constant folding)";
            Edit e = edit(root);
            if (root.op() == Ops.CONV) {
                // conv(x, W[M], b[M]) -> conv(x, W[M - dead], b[M - dead])
                e.drop(1, root.input(1).constant(), 0, drop);
                if (root.input(2) != null) e.constants.put(2, without(root.input(2).constant(), 0, drop));
            } else {
                // gemm(a, B[.., N], C[N]) -> gemm(a, B[.., N - dead], C[N - dead])
                boolean tb = root.attrs().getInt("trans_b", 0) != 0;
                e.drop(1, root.input(1).constant(), tb ? 0 : 1, drop);
                Value c = root.input(2);
                if (c != null && c.shape().rank() >= 1 && c.shape().dim(-1) > 1)
                    e.constants.put(2, without(c.constant(), c.shape().rank() - 1, drop));
            }
            return propagate(root.output(0), dead);
        }

        /** Plans the consumers of {@code v} without its channels {@code removed} (axis 1, with their constants). */
        String propagate(Value v, Map<Integer, Double> removed) {
            // why: a graph output keeps its shape
            if (g.outputs().contains(v)) return "channels reach graph output '" + v.name() + "'";
            // why: channel sets are tracked along axis 1 of an [N, C, ...] tensor
            if (v.shape().rank() < 2) return "value '" + v.name() + "' has no channel axis";
            for (Value.Use u : v.uses()) {
                Node n = u.user();
                // why: a node reading the value twice (x * x) would need its operands pruned together
                if (n.inputs().stream().filter(x -> x == v).count() > 1) return n + " reads '" + v.name() + "' twice";
                // why: a node reached twice (e.g. from two pruned branches) would be planned twice
                if (edits.containsKey(n)) return n + " is reached twice";
                String why = consumer(n, u.index(), v, removed);
                if (why != null) return why;
            }
            return null;
        }

        private String consumer(Node n, int index, Value v, Map<Integer, Double> removed) {
            OpDef op = n.op();
            Set<Integer> drop = removed.keySet();
            boolean allZero = removed.values().stream().allMatch(k -> k == 0);
            if (op == Ops.CONV && index == 0 && n.input(1).isConstant() && constantOrAbsent(n.input(2))) {
                long group = n.attrs().getInt("group", 1);
                int cin = v.shape().dim(1);
                if (group == 1) return absorbConv(n, removed, allZero);
                // why: a fused residual would have to lose the depthwise conv's dropped output channels too
                if (group == cin && n.input(1).shape().dim(1) == 1 && n.input(3) == null) return depthwise(n, removed);
                return n + " is a grouped conv (group " + group + ")";
            }
            if (op == Ops.GEMM && index == 0 && n.input(1).isConstant() && constantOrAbsent(n.input(2))
                    && n.attrs().getInt("trans_a", 0) == 0 && v.shape().rank() == 2)
                return absorbGemm(n, removed, allZero);
            if (op == Ops.FLATTEN && index == 0 && n.attrs().getInt("axis", 1) == 1) {
                // flatten([N, C, H, W]) drops columns c·HW .. c·HW + HW - 1 of each dropped channel c
                int hw = v.shape().prod(2, v.shape().rank());
                Map<Integer, Double> cols = new TreeMap<>();
                for (Map.Entry<Integer, Double> e : removed.entrySet())
                    for (int j = 0; j < hw; j++) cols.put(e.getKey() * hw + j, e.getValue());
                edit(n);
                return propagate(n.output(0), cols);
            }
            boolean elementwise = (op.has(Trait.ELEMENTWISE) || op.has(Trait.ACTIVATION)) && n.outputs().size() == 1
                    && n.output(0).shape().equals(v.shape());
            if (elementwise || PER_CHANNEL.contains(op) && index == 0) {
                for (int i = 0; i < n.numInputs(); i++)
                    if (i != index && n.input(i) != null && !n.input(i).isConstant()) return n + " has another non-constant operand";
                return perChannel(n, index, v, removed);
            }
            return n + " cannot drop channels";
        }

        /** Per-channel consumer: slices its per-channel constants and passes the (still constant) channels on. */
        private String perChannel(Node n, int index, Value v, Map<Integer, Double> removed) {
            // op(x, k[C]) -> op(x', k[C - dead])
            Edit e = edit(n);
            int rank = v.shape().rank();
            for (int i = 0; i < n.numInputs(); i++) {
                Value c = n.input(i);
                if (i == index || c == null) continue;
                // batch_norm's parameters are [C]; element-wise operands broadcast from the right
                int axis = PER_CHANNEL.contains(n.op()) ? 0 : 1 - (rank - c.shape().rank());
                if (axis < 0 || c.shape().rank() == 0 || c.shape().dim(axis) == 1) continue;
                e.constants.put(i, without(c.constant(), axis, removed.keySet()));
            }
            Map<Integer, Double> out = constantsThrough(n, index, v, removed, null);
            if (out == null) return n + " makes a removed channel non-constant (e.g. padding counted in an average)";
            return propagate(n.output(0), out);
        }

        /** Depthwise consumer: loses the channels and the output channels they feed, which stay constant. */
        private String depthwise(Node n, Map<Integer, Double> removed) {
            // conv_dw(x, W[C·r], b[C·r], group=C) -> conv_dw(x', W[(C - dead)·r], b[(C - dead)·r], group=C - dead)
            int cin = n.input(0).shape().dim(1), mult = n.input(1).shape().dim(0) / cin;
            Map<Integer, Integer> map = new TreeMap<>();
            for (int c : removed.keySet()) for (int j = 0; j < mult; j++) map.put(c * mult + j, c);
            Edit e = edit(n);
            e.attrs = n.attrs().with("group", (long) (cin - removed.size()));
            e.drop(1, n.input(1).constant(), 0, map.keySet());
            if (n.input(2) != null) e.constants.put(2, without(n.input(2).constant(), 0, map.keySet()));
            Map<Integer, Double> out = constantsThrough(n, 0, n.input(0), removed, map);
            if (out == null) return n + " turns a constant channel non-constant (zero padding at the borders)";
            return propagate(n.output(0), out);
        }

        /**
         * The constants output channels take when the input's {@code removed} channels hold their constants,
         * found by evaluating {@code n} (with its original constants); {@code map} gives each output channel's
         * input channel (null: the same). Null when one of them is not constant.
         */
        private Map<Integer, Double> constantsThrough(Node n, int index, Value v, Map<Integer, Double> removed, Map<Integer, Integer> map) {
            NdArray x = NdArray.zeros(v.type());
            int[] d = v.shape().dims();
            int inner = v.shape().prod(2, d.length);
            for (Map.Entry<Integer, Double> e : removed.entrySet())
                for (int b = 0; b < d[0]; b++)
                    for (int j = 0; j < inner; j++) x.setDouble((b * d[1] + e.getKey()) * inner + j, e.getValue());
            List<NdArray> ins = new ArrayList<>();
            for (int i = 0; i < n.numInputs(); i++) ins.add(i == index ? x : n.input(i) == null ? null : n.input(i).constant());
            NdArray y = Interpreter.evaluate(n, ins).get(0);
            Map<Integer, Double> out = new TreeMap<>();
            for (int c : map == null ? removed.keySet() : map.keySet()) {
                Double k = planeConstant(y, c);
                if (k == null) return null;
                out.put(c, k);
            }
            return out;
        }

        /** Conv (group 1) consumer: drops the input channels of its weights, folding constant ones into the bias. */
        private String absorbConv(Node n, Map<Integer, Double> removed, boolean allZero) {
            NdArray w = n.input(1).constant();
            boolean padded = n.attrs().has("pads") && Arrays.stream(n.attrs().getInts("pads")).anyMatch(p -> p != 0);
            // why: a constant channel is zero-padded at the borders, so Σ k·W only holds where windows stay inside
            if (!allZero && padded) return n + " zero-pads a constant non-zero channel (exact only without padding)";
            // conv(x, W[M, C], b) -> conv(x', W[M, C - dead], b + Σ_dead k·ΣW[:, c])
            Edit e = edit(n);
            e.drop(1, w, 1, removed.keySet());
            if (!allZero) {
                int m = w.shape().dim(0), c = w.shape().dim(1), taps = w.size() / (m * c);
                NdArray b = n.input(2) == null ? NdArray.zeros(w.dtype(), Shape.of(m)) : n.input(2).constant().copy();
                for (int o = 0; o < m; o++) {
                    double s = b.getDouble(o);
                    for (Map.Entry<Integer, Double> r : removed.entrySet())
                        for (int t = 0; t < taps; t++) s += r.getValue() * w.getDouble((o * c + r.getKey()) * taps + t);
                    b.setDouble(o, s);
                }
                e.constants.put(2, b);
            }
            return null;
        }

        /** Gemm consumer: drops the rows of B (columns when transposed), folding constant ones into C. */
        private String absorbGemm(Node n, Map<Integer, Double> removed, boolean allZero) {
            NdArray w = n.input(1).constant();
            boolean tb = n.attrs().getInt("trans_b", 0) != 0;
            int k = w.shape().dim(tb ? 1 : 0), cols = w.shape().dim(tb ? 0 : 1);
            double alpha = n.attrs().getFloat("alpha", 1), beta = n.attrs().getFloat("beta", 1);
            Value c = n.input(2);
            // why: the fold adds to C per output column, which needs a [N] bias that beta does not zero
            if (!allZero && (beta == 0 || c != null && !c.shape().equals(Shape.of(cols))))
                return n + " has no per-column bias to fold a constant non-zero channel into";
            // gemm(a, B[K, N], C) -> gemm(a', B[K - dead, N], C + alpha/beta · Σ_dead k·B[c, :])
            Edit e = edit(n);
            e.drop(1, w, tb ? 1 : 0, removed.keySet());
            if (!allZero) {
                NdArray b = c == null ? NdArray.zeros(w.dtype(), Shape.of(cols)) : c.constant().copy();
                for (int j = 0; j < cols; j++) {
                    double s = b.getDouble(j);
                    for (Map.Entry<Integer, Double> r : removed.entrySet())
                        s += alpha / beta * r.getValue() * w.getDouble(tb ? j * k + r.getKey() : r.getKey() * cols + j);
                    b.setDouble(j, s);
                }
                e.constants.put(2, b);
            }
            return null;
        }

        /** Applies every planned edit, re-inferring output types in execution order. */
        void apply() {
            for (Node n : g.nodes()) {
                Edit e = edits.get(n);
                if (e == null) continue;
                for (Map.Entry<Integer, NdArray> c : e.constants.entrySet()) {
                    Value before = n.input(c.getKey());
                    String base = before != null ? before.name() : n.name() + "_bias";
                    Value after = g.addConstant(base + "_pruned", c.getValue());
                    n.setInput(c.getKey(), after);
                    // why: a quantized model's weight grid (an int4 one included) must follow its weights, or LowerToInt8
                    // quantizes the pruned weights afresh in int8
                    QuantParams q = quant == null ? null : quant.get(before);
                    if (q != null) quant.derive(before, after, sliced(q, e.dropped.get(c.getKey())));
                }
                n.setAttrs(e.attrs);
                List<TensorType> types = n.op().infer(new InferContext(n.op(), n.name(), n.inputs(), n.attrs(), n.outputs().size()));
                for (int i = 0; i < types.size(); i++) n.output(i).setType(types.get(i));
            }
        }
    }

    /** False: it changes channel counts, which would make a region's inputs and outputs differ from its node's. */
    @Override
    public boolean entersRegions() { return false; }
}
