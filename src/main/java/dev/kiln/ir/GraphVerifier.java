package dev.kiln.ir;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ops.InferContext;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Checks a graph's invariants: every node reads only values defined before it, use lists match inputs,
 * names are unique, and every node's output types are what its op infers now. Regions (a node's nested
 * graphs) are verified the same way, each on its own: a region is closed over its inputs, so no node of it
 * may read a value of another graph.
 */
public final class GraphVerifier {
    private GraphVerifier() {}

    /** Throws a {@link KilnException} (VERIFY_FAILED) describing the first broken invariant. */
    public static void verify(Graph g) {
        java.util.ArrayDeque<Graph> work = new java.util.ArrayDeque<>();
        work.push(g);
        // why: an explicit stack: regions nested thousands deep must not overflow the Java stack
        while (!work.isEmpty()) {
            Graph r = work.pop();
            verifyOne(r);
            for (Node n : r.nodes()) for (Graph sub : n.regions()) work.push(sub);
        }
    }

    private static void verifyOne(Graph g) {
        Set<Value> defined = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<String> names = new HashSet<>();
        defined.addAll(g.inputs());
        for (Value v : g.inputs()) if (v.isConstant()) fail(null, "input " + v.name() + " is also a constant");
        for (Value v : g.constants()) defined.add(v);
        Set<String> nodeNames = new HashSet<>();
        for (Value v : defined) if (!names.add(v.name())) fail(null, "value name " + v.name() + " is used twice");
        for (Node n : g.nodes()) {
            if (!nodeNames.add(n.name())) fail(n, "node name used twice");
            for (int i = 0; i < n.numInputs(); i++) {
                Value v = n.input(i);
                if (v == null) continue;
                if (!defined.contains(v)) fail(n, "input " + i + " (" + v.name() + ") is not defined before the node");
                boolean found = false;
                for (Value.Use u : v.uses()) if (u.user() == n && u.index() == i) found = true;
                if (!found) fail(n, "use list of " + v.name() + " misses this node");
            }
            List<TensorType> types;
            try {
                types = n.op().infer(new InferContext(n.op(), n.name(), n.inputs(), n.attrs(), n.outputs().size()));
            } catch (KilnException e) {
                throw new KilnException(Code.VERIFY_FAILED, Location.node(null, n.name()), e.getMessage());
            }
            for (int i = 0; i < n.outputs().size(); i++) {
                Value o = n.output(i);
                if (o.producer() != n || o.producerIndex() != i) fail(n, "output " + i + " does not point back to its producer");
                TensorType t = types.get(i);
                if (t.dtype() != o.dtype() || !t.shape().equals(o.shape())) fail(n, "output " + o.name() + " is " + o.type() + " but the op infers " + t);
                if (!names.add(o.name())) fail(n, "value name " + o.name() + " is used twice");
                defined.add(o);
            }
        }
        for (Value v : g.outputs()) if (!defined.contains(v)) fail(null, "graph output " + v.name() + " is not defined");
    }

    private static void fail(Node n, String msg) {
        throw new KilnException(Code.VERIFY_FAILED, n == null ? Location.NONE : Location.node(null, n.name()), msg);
    }
}
