package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.ChannelAffine;
import java.util.ArrayList;
import java.util.List;

/** Graph surgery shared by the fusion passes: use checks, replacing a node while keeping its output's name, per-channel constants. */
final class Rewrites {
    private Rewrites() {}

    /** Whether {@code v} is read by {@code user} alone (once) and is not a graph output, so {@code user} may absorb its producer. */
    static boolean onlyUser(Graph g, Value v, Node user) {
        return v.uses().size() == 1 && v.uses().get(0).user() == user && !g.outputs().contains(v);
    }

    /**
     * The operand (0 or 1) of two-input {@code add} whose producer is an {@code op} node that {@code add} can absorb:
     * read by {@code add} alone, and {@code refusal} (the reason a producer cannot absorb it, or null) says nothing;
     * the later-scheduled one when both can. -1 when neither, with why[0] joining the reasons each was refused.
     */
    static int absorbingOperand(Graph g, Node add, dev.kiln.ops.OpDef op, java.util.function.Function<Node, String> refusal, String[] why) {
        int best = -1, bestAt = -1;
        for (int i = 0; i < 2; i++) {
            Value v = add.input(i);
            Node p = v == null ? null : v.producer();
            if (p == null || p.op() != op) continue;
            // why: the producer's output is changed for every reader
            String no = onlyUser(g, v, add) ? refusal.apply(p) : "the output of " + p.name() + " has other readers";
            if (no != null) {
                why[0] = why[0] == null ? no : why[0] + "; " + no;
                continue;
            }
            int at = g.nodes().indexOf(p);
            if (at > bestAt) {
                best = i;
                bestAt = at;
            }
        }
        return best;
    }

    /**
     * Removes {@code gone} (one output), making its users read {@code by} instead; {@code by} takes the removed
     * output's name, so graph outputs keep their names.
     */
    static void bypass(Graph g, Node gone, Value by) {
        Value out = gone.output(0);
        String name = out.name();
        g.replaceAllUses(out, by);
        g.removeNode(gone);
        g.renameValue(by, name);
    }

    /**
     * Replaces {@code n} by the node {@code f} describes, at the same place in the schedule; the new node's
     * output takes over {@code n}'s uses and name. Returns the new node.
     */
    static Node replace(Graph g, Node n, ChannelAffine.Folded f) {
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < f.inputs().size(); i++) {
            Object o = f.inputs().get(i);
            if (o instanceof NdArray a) ins.add(g.addConstant(g.uniqueValueName(n.name() + "_" + f.op().signature().inputName(i)), a));
            else ins.add((Value) o);
        }
        while (!ins.isEmpty() && ins.get(ins.size() - 1) == null) ins.remove(ins.size() - 1);
        int at = g.nodes().indexOf(n);
        Value old = n.output(0);
        Node r = g.insertNode(at, f.op(), n.name() + "_folded", ins, f.attrs(), List.of(g.uniqueValueName(old.name() + "_folded")));
        bypass(g, n, r.output(0));
        return r;
    }

    /**
     * The values of constant {@code c}, broadcast against {@code out}, along axis {@code axis} of {@code out},
     * when {@code c} varies along that axis only (or not at all); null otherwise.
     */
    static double[] perChannel(NdArray c, Shape out, int axis) {
        Shape cs = c.shape();
        int r = out.rank();
        if (cs.rank() > r) return null;
        int channels = out.dim(axis);
        for (int i = 0; i < cs.rank(); i++) {
            int a = r - cs.rank() + i;
            if (cs.dim(i) != 1 && (a != axis || cs.dim(i) != channels)) return null;
        }
        int along = axis - (r - cs.rank());
        boolean varies = along >= 0 && cs.dim(along) == channels && channels != 1;
        double[] v = new double[channels];
        for (int m = 0; m < channels; m++) v[m] = c.getDouble(varies ? m : 0);
        return v;
    }

    /**
     * The index (0 or 1) of an operand of binary node {@code n} produced by an op {@code producer} accepts,
     * preferring one whose other operand is constant; -1 if none.
     */
    static int producerOperand(Node n, java.util.function.Predicate<dev.kiln.ops.OpDef> producer) {
        int found = -1;
        for (int i = 0; i < 2; i++) {
            Value v = n.input(i);
            if (v == null || v.producer() == null || !producer.test(v.producer().op())) continue;
            if (n.input(1 - i) != null && n.input(1 - i).isConstant()) return i;
            if (found < 0) found = i;
        }
        return found;
    }
}
