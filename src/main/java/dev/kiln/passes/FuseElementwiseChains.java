package dev.kiln.passes;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Broadcast;
import dev.kiln.ops.FusedActivation;
import dev.kiln.ops.FusedElementwise;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.ops.Signature;
import dev.kiln.ops.Trait;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Fuses chains of element-wise float ops, each intermediate read only by the next, into one
 * {@code fused_elementwise} node: one pass over the data with every step in registers, and no intermediate
 * buffers. A step is an activation that {@link FusedActivation#canFuse} accepts (one input, FLOAT attributes), or a
 * binary element-wise op without attributes (add, sub, mul, div, min, max, pow...) whose other operand is computed
 * outside the chain and broadcasts to the chain's shape. The running value keeps the chain's shape and type.
 */
public final class FuseElementwiseChains implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        Set<Node> done = new HashSet<>();
        for (Node head : new ArrayList<>(g.nodes())) {
            if (done.contains(head) || !isStep(head)) continue;
            // a chain starts at a step whose running value is not itself the single-use output of another step
            Value x = runningInput(head);
            if (x == null) continue;
            Node p = x.producer();
            if (p != null && isStep(p) && continues(g, p, head)) continue;
            List<Node> chain = new ArrayList<>(List.of(head));
            Node last = head;
            while (true) {
                Value v = last.output(0);
                // why: the intermediate disappears, so only the next step may read it (once)
                if (v.uses().size() != 1 || g.outputs().contains(v)) break;
                // why: a value with an int8 grid is a step the int8 lowering stores (e.g. a residual add before its relu clip)
                if (cx.quant().get(v) != null) break;
                Node next = v.uses().get(0).user();
                if (!isStep(next) || !continues(g, last, next)) break;
                chain.add(next);
                last = next;
            }
            done.addAll(chain);
            // why: a single op gains nothing from fusion
            if (chain.size() < 2) continue;
            fuse(g, chain, x);
            cx.report(chain.size() + " ops from " + head.name() + " to " + last.name() + " -> fused_elementwise (" + stepNames(chain) + ")");
            changed = true;
        }
        return changed;
    }

    /** Whether {@code n} can be a step: an activation fusable as such, or an attribute-free binary float op. */
    public static boolean isStep(Node n) {
        OpDef op = n.op();
        if (n.outputs().size() != 1 || op.has(Trait.ALIAS)) return false;
        Value y = n.output(0);
        if (!y.dtype().isFloat() || y.type().quant() != null) return false;
        if (FusedActivation.canFuse(n)) return y.dtype() == n.input(0).dtype();
        if (!(op.has(Trait.ELEMENTWISE) || op.has(Trait.ACTIVATION))) return false;
        if (n.numInputs() != 2 || n.input(0) == null || n.input(1) == null) return false;
        // why: a binary step's C form is an operator of its two operands; attributes would need their own code
        if (!op.signature().attrs().isEmpty()) return false;
        return n.input(0).dtype() == y.dtype() && n.input(1).dtype() == y.dtype();
    }

    /** The input of a chain's first step that carries the running value (of the output's shape), or null. */
    private static Value runningInput(Node head) {
        Shape y = head.output(0).shape();
        for (Value v : head.inputs()) if (v != null && v.shape().equals(y) && !v.isConstant()) return v;
        return null;
    }

    /** Whether {@code next} can follow {@code prev}: it reads prev's output once and keeps its shape. */
    private static boolean continues(Graph g, Node prev, Node next) {
        Value v = prev.output(0);
        if (v.uses().size() != 1 || g.outputs().contains(v) || v.uses().get(0).user() != next) return false;
        if (!next.output(0).shape().equals(v.shape()) || next.output(0).dtype() != v.dtype()) return false;
        for (Value o : next.inputs()) if (o != v && !Broadcast.broadcastsTo(o.shape(), v.shape())) return false;
        return true;
    }

    private static String stepNames(List<Node> chain) {
        StringBuilder b = new StringBuilder();
        for (Node n : chain) b.append(b.length() == 0 ? "" : ", ").append(n.op().name());
        return b.toString();
    }

    /** Replaces {@code chain} (running value from {@code x}) by one fused_elementwise node. */
    private static void fuse(Graph g, List<Node> chain, Value x) {
        // op_k(... op_2(op_1(x, a), b) ..., z) -> fused_elementwise(x, a, b, ..., z)
        List<Value> ins = new ArrayList<>(List.of(x));
        String[] steps = new String[chain.size()];
        long[] operands = new long[chain.size()], first = new long[chain.size()];
        List<Double> params = new ArrayList<>();
        Value running = x;
        for (int i = 0; i < chain.size(); i++) {
            Node n = chain.get(i);
            steps[i] = n.op().name();
            operands[i] = -1;
            first[i] = 1;
            if (n.numInputs() == 2 && n.input(1) != null) {
                boolean valueFirst = n.input(0) == running;
                Value other = valueFirst ? n.input(1) : n.input(0);
                int at = ins.indexOf(other);
                if (at < 0) {
                    ins.add(other);
                    at = ins.size() - 1;
                }
                operands[i] = at;
                first[i] = valueFirst ? 1 : 0;
            }
            for (Signature.Attr a : FusedElementwise.floatAttrs(n.op())) params.add(n.attrs().getFloat(a.name(), Double.NaN));
            running = n.output(0);
        }
        double[] p = new double[params.size()];
        for (int i = 0; i < p.length; i++) p[i] = params.get(i);
        Attrs a = Attrs.of(FusedElementwise.STEPS, steps, FusedElementwise.OPERANDS, operands, FusedElementwise.VALUE_FIRST, first,
                FusedElementwise.PARAMS, p);
        Node last = chain.get(chain.size() - 1);
        Value out = last.output(0);
        String outName = out.name();
        Node f = g.insertNode(g.nodes().indexOf(last), Ops.FUSED_ELEMENTWISE, chain.get(0).name() + "_chain", ins, a,
                List.of(g.uniqueValueName(outName + "_chain")));
        g.replaceAllUses(out, f.output(0));
        for (int i = chain.size() - 1; i >= 0; i--) g.removeNode(chain.get(i));
        g.renameValue(f.output(0), outName);
    }
}
