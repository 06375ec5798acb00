package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Replaces a node by the region it reduces to when what it decides at run time is known now (an If whose
 * condition is a constant runs its taken branch): the region's nodes are copied in the node's place, its
 * inputs bound to the node's operands, its outputs taking over the node's uses. The op says when it reduces
 * ({@link OpDef#inlining}); this pass knows no op.
 */
public final class InlineRegions implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (Node n : new ArrayList<>(g.nodes())) {
            // why: only a node whose decision is known now reduces to one region
            OpDef.Inlining in = n.op().inlining(n);
            if (in == null) continue;
            inline(g, n, in);
            cx.report("inlined region '" + in.region().name() + "' of " + n.name());
            changed = true;
        }
        return changed;
    }

    /** if(const, a, b) -> the nodes of the taken region, in place. */
    private static void inline(Graph g, Node n, OpDef.Inlining in) {
        Graph r = in.region();
        Map<Value, Value> map = new IdentityHashMap<>();
        for (int i = 0; i < r.inputs().size(); i++) map.put(r.inputs().get(i), in.bindings().get(i));
        for (Value c : r.constants()) map.put(c, g.addConstant(c.name(), c.constant()));
        int at = g.nodes().indexOf(n);
        for (Node b : r.nodes()) {
            List<Value> ins = new ArrayList<>();
            for (Value v : b.inputs()) ins.add(v == null ? null : map.get(v));
            List<String> names = new ArrayList<>();
            for (Value o : b.outputs()) {
                String u = g.uniqueValueName(o.name());
                while (names.contains(u)) u = g.uniqueValueName(u + "_");
                names.add(u);
            }
            Node copy = g.insertNode(at++, b.op(), g.uniqueNodeName(n.name() + "/" + b.name()), ins, b.attrs(), names);
            for (int i = 0; i < b.outputs().size(); i++) map.put(b.output(i), copy.output(i));
        }
        for (int i = 0; i < n.outputs().size(); i++) g.replaceAllUses(n.output(i), map.get(r.outputs().get(i)));
        g.removeNode(n);
    }
}
