package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import java.util.List;

/** Removes nodes none of whose outputs is used (by a node or as a graph output), then constants nothing uses. */
public final class EliminateDeadNodes implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        int nodes = g.nodes().size();
        int values = count(g.values());
        List<Node> order = g.nodes();
        // reverse order: removing a dead node can make its producers dead, and they come earlier
        for (int i = order.size() - 1; i >= 0; i--) {
            Node n = order.get(i);
            if (dead(g, n)) g.removeNode(n); // op(...) with no uses -> nothing
        }
        g.removeUnusedConstants();
        int removed = nodes - g.nodes().size();
        if (removed > 0) cx.report("removed " + removed + " dead node(s)");
        return removed > 0 || count(g.values()) != values;
    }

    private static boolean dead(Graph g, Node n) {
        for (Value o : n.outputs()) if (!o.uses().isEmpty() || g.outputs().contains(o)) return false;
        return true;
    }

    private static int count(Iterable<Value> vs) {
        int c = 0;
        for (Value v : vs) c++;
        return c;
    }
}
