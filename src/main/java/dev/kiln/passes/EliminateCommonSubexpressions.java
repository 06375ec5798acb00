package dev.kiln.passes;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges nodes that compute the same thing: the same op with the same attributes on the same inputs becomes
 * one node. Small constants with equal contents are merged first, so nodes that read equal copies of a
 * constant merge too.
 */
public final class EliminateCommonSubexpressions implements Pass {
    /** Constants up to this many elements are compared by content; larger ones are weights, rarely duplicated. */
    public static final int MAX_COMPARED_CONSTANT = 4096;

    /** What makes two nodes compute the same: op, attributes, the very same input values, number of outputs. */
    private record Key(OpDef op, Attrs attrs, List<Value> inputs, int outputs) {}

    /** What makes two constants equal: type and contents. */
    private record ConstKey(TensorType type, NdArray data) {}

    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = mergeConstants(g);
        Map<Key, Node> seen = new HashMap<>();
        int merged = 0;
        for (Node n : new ArrayList<>(g.nodes())) {
            Key k = new Key(n.op(), n.attrs(), new ArrayList<>(n.inputs()), n.outputs().size());
            Node first = seen.putIfAbsent(k, n);
            if (first == null) continue;
            // why: a graph output keeps its own name and value (the generated API has one buffer per output)
            if (anyGraphOutput(g, n)) {
                cx.skip(n.name(), "it computes the same as '" + first.name() + "' but its output is a graph output");
                continue;
            }
            // f(x) ... f(x) -> one f(x)
            for (int i = 0; i < n.outputs().size(); i++) g.replaceAllUses(n.output(i), first.output(i));
            g.removeNode(n);
            merged++;
        }
        if (merged > 0) cx.report("merged " + merged + " duplicate node(s)");
        return changed || merged > 0;
    }

    /** Makes every user of a small constant read the first constant of equal type and contents. */
    private static boolean mergeConstants(Graph g) {
        Map<ConstKey, Value> seen = new HashMap<>();
        boolean changed = false;
        for (Value c : g.constants()) {
            // why: comparing large weights costs time and they are practically never duplicated
            if (c.shape().numel() > MAX_COMPARED_CONSTANT || g.outputs().contains(c)) continue;
            Value first = seen.putIfAbsent(new ConstKey(c.type(), c.constant()), c);
            if (first == null || c.uses().isEmpty()) continue;
            // const(a) ... const(a) -> one const(a)
            g.replaceAllUses(c, first);
            changed = true;
        }
        if (changed) g.removeUnusedConstants();
        return changed;
    }

    private static boolean anyGraphOutput(Graph g, Node n) {
        for (Value o : n.outputs()) if (g.outputs().contains(o)) return true;
        return false;
    }
}
