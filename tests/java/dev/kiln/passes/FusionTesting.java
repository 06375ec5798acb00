package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.GraphVerifier;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/** Before/after harness of the pass tests: build a graph twice, rewrite one, compare interpreter outputs. */
final class FusionTesting {
    private FusionTesting() {}

    /** A random float array, values around 0 with spread 1 (or positive, for variances). */
    static NdArray random(Random rnd, DType t, int... dims) {
        NdArray a = NdArray.zeros(t, Shape.of(dims));
        for (int i = 0; i < a.size(); i++) a.setDouble(i, rnd.nextGaussian());
        return a;
    }

    static NdArray positive(Random rnd, int n) {
        NdArray a = NdArray.zeros(DType.F32, Shape.of(n));
        for (int i = 0; i < n; i++) a.setDouble(i, 0.2 + rnd.nextDouble());
        return a;
    }

    /** The result of running a pass on a freshly built graph. */
    record Run(Graph graph, PassContext cx, boolean changed) {
        /** How many nodes of op {@code op} the rewritten graph has. */
        long count(String op) { return graph.nodes().stream().filter(n -> n.op().name().equals(op)).count(); }

        /** The only node of op {@code op}. */
        Node only(String op) {
            List<Node> ns = graph.nodes().stream().filter(n -> n.op().name().equals(op)).toList();
            assertEquals(1, ns.size(), "nodes of " + op + " in\n" + graph);
            return ns.get(0);
        }

        /** Whether some note (skip or report line) contains {@code text}. */
        boolean noted(String text) { return cx.notes().stream().anyMatch(s -> s.contains(text)); }
    }

    /**
     * Builds the graph twice, runs {@code passes} on the second copy, verifies it, and asserts that the interpreter
     * gives the same outputs (same names, within {@code rtol} relative / 1e-6 absolute; 0 means bit for bit) on random
     * inputs before and after.
     */
    static Run check(Supplier<Graph> build, double rtol, Pass... passes) {
        Graph before = build.get(), after = build.get();
        PassContext cx = new PassContext(null, null);
        boolean changed = false;
        for (Pass p : passes) changed |= new Pipeline("test", List.of(p)).run(after, cx).contains(p.name());
        GraphVerifier.verify(after);
        Random rnd = new Random(5);
        Map<String, NdArray> in = new LinkedHashMap<>();
        for (Value v : before.inputs()) in.put(v.name(), random(rnd, v.dtype(), v.shape().dims()));
        Map<String, NdArray> want = new Interpreter(before).run(in), got = new Interpreter(after).run(in);
        assertEquals(want.keySet(), got.keySet(), "output names");
        for (String k : want.keySet()) {
            NdArray w = want.get(k), h = got.get(k);
            assertEquals(w.type(), h.type(), k);
            for (int i = 0; i < w.size(); i++) {
                double a = w.getDouble(i), b = h.getDouble(i);
                if (rtol == 0) assertEquals(a, b, 0.0, k + "[" + i + "]");
                else assertTrue(Math.abs(a - b) <= 1e-6 + rtol * Math.abs(a), k + "[" + i + "]: " + b + " vs " + a);
            }
        }
        return new Run(after, cx, changed);
    }
}
