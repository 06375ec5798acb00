package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import java.util.ArrayList;
import java.util.List;

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
        List<Value> outs = g.spliceRegion(g.nodes().indexOf(n), n.name(), in.region(), in.bindings());
        for (int i = 0; i < n.outputs().size(); i++) g.replaceAllUses(n.output(i), outs.get(i));
        g.removeNode(n);
    }
}
