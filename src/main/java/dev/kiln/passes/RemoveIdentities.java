package dev.kiln.passes;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.ops.Trait;
import dev.kiln.ops.Transpose;
import java.util.ArrayList;
import java.util.List;

/**
 * Removes nodes that do not change their data: aliases whose output type equals their input's (identity,
 * inference dropout, reshape to the same shape), casts to the same type, and transposes that only move
 * axes of size 1 (which become reshapes). Chains of aliases (reshape, flatten, squeeze, unsqueeze) collapse
 * into one reshape of the chain's source.
 */
public final class RemoveIdentities implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (boolean again = true; again; ) {
            again = false;
            for (Node n : new ArrayList<>(g.nodes())) {
                // why: an earlier rewrite of this sweep may have removed the node
                if (g.node(n.name()) != n) continue;
                if (rewrite(g, n, cx)) again = changed = true;
            }
        }
        return changed;
    }

    private static boolean rewrite(Graph g, Node n, PassContext cx) {
        Value in = n.input(0);
        // why: only single-data-input nodes can be the identity of their input
        if (in == null || !onlyFirstOutputUsed(g, n)) return false;
        Value out = n.output(0);
        boolean sameData = n.op().has(Trait.ALIAS) || n.op() == Ops.CAST;
        if (sameData && out.type().equals(in.type())) return bypass(g, n, cx); // identity(x) -> x, reshape(x: s, s) -> x, cast(x: t, t) -> x
        if (n.op() == Ops.TRANSPOSE && movesOnlyUnitAxes(n)) return toReshape(g, n, in, cx); // transpose(x) moving only 1-axes -> reshape(x)
        Node p = in.producer();
        // alias(alias(x)) -> reshape(x)
        if (n.op().has(Trait.ALIAS) && p != null && p.op().has(Trait.ALIAS) && p.input(0) != null && p.output(0) == in) {
            boolean done = toReshape(g, n, p.input(0), cx);
            // why: the inner alias may still feed other nodes; only an unused one goes
            if (done && unused(g, p)) g.removeNode(p);
            return done;
        }
        return false;
    }

    /** Makes the users of {@code n}'s output read its input instead, and removes {@code n}. */
    private static boolean bypass(Graph g, Node n, PassContext cx) {
        Value in = n.input(0), out = n.output(0);
        if (g.outputs().contains(out)) {
            // why: a graph output keeps its name (the generated API is named after it); only a node's own output can take it over
            if (in.producer() == null || g.outputs().contains(in)) {
                cx.skip(n.name(), "its output is a graph output and its input is a graph input, constant or output");
                return false;
            }
            String name = out.name();
            g.replaceAllUses(out, in);
            g.removeNode(n);
            g.renameValue(in, name);
            return true;
        }
        g.replaceAllUses(out, in);
        g.removeNode(n);
        return true;
    }

    /** Replaces {@code n} by {@code reshape(src)} to {@code n}'s output shape, when that keeps the output type. */
    private static boolean toReshape(Graph g, Node n, Value src, PassContext cx) {
        Value out = n.output(0);
        long[] shape = out.shape().dimsLong();
        // why: reshape(x) to x's own shape is x itself
        if (src.type().equals(out.type()) && !g.outputs().contains(out)) {
            g.replaceAllUses(out, src);
            g.removeNode(n);
            return true;
        }
        Node r = g.insertNode(g.nodes().indexOf(n), Ops.RESHAPE, n.name(), List.of(src), Attrs.of("shape", shape),
                List.of(g.uniqueValueName(out.name())));
        // why: a reshape drops per-channel quantization; where the output type would change, the node stays
        if (!r.output(0).type().equals(out.type())) {
            g.removeNode(r);
            cx.skip(n.name(), "a reshape would not keep its output type " + out.type());
            return false;
        }
        String name = out.name();
        g.replaceAllUses(out, r.output(0));
        g.removeNode(n);
        g.renameValue(r.output(0), name);
        return true;
    }

    /** Whether a transpose keeps the order of all axes larger than 1 (so the data order does not change). */
    private static boolean movesOnlyUnitAxes(Node n) {
        int rank = n.input(0).shape().rank();
        int[] p = Transpose.perm(n.attrs().getIntsOrNull("perm"), rank);
        int last = -1;
        for (int axis : p) {
            if (n.input(0).shape().dim(axis) == 1) continue;
            if (axis < last) return false;
            last = axis;
        }
        return true;
    }

    private static boolean onlyFirstOutputUsed(Graph g, Node n) {
        for (int i = 1; i < n.outputs().size(); i++) {
            Value o = n.output(i);
            if (!o.uses().isEmpty() || g.outputs().contains(o)) return false;
        }
        return true;
    }

    private static boolean unused(Graph g, Node n) {
        for (Value o : n.outputs()) if (!o.uses().isEmpty() || g.outputs().contains(o)) return false;
        return true;
    }
}
