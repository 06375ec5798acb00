package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.GraphVerifier;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Helpers for before/after pass tests: build nodes, draw random inputs, run a pass and compare outputs. */
final class PassTesting {
    private PassTesting() {}

    /** Adds {@code op(ins)} with {@code attrs} (key, value pairs) and returns its output. */
    static Value op(Graph g, OpDef op, List<Value> ins, Object... attrs) {
        return g.addNode(op, g.uniqueNodeName(op.name()), ins, Attrs.of(attrs)).output(0);
    }

    /** A float constant of {@code dims} with random values in [-1, 1). */
    static Value randomConstant(Graph g, String name, long seed, int... dims) {
        return g.addConstant(name, random(Shape.of(dims), seed));
    }

    static NdArray random(Shape s, long seed) {
        Random r = new Random(seed);
        float[] f = new float[(int) s.numel()];
        for (int i = 0; i < f.length; i++) f[i] = r.nextFloat() * 2 - 1;
        return NdArray.ofFloats(s, f);
    }

    /** Random float inputs for every graph input. */
    static Map<String, NdArray> inputs(Graph g) {
        Map<String, NdArray> m = new LinkedHashMap<>();
        long seed = 7;
        for (Value v : g.inputs()) m.put(v.name(), random(v.shape(), seed++));
        return m;
    }

    /** How many nodes of {@code op} the graph has. */
    static int count(Graph g, OpDef op) {
        int c = 0;
        for (Node n : g.nodes()) if (n.op() == op) c++;
        return c;
    }

    /**
     * Runs {@code pass} on {@code g} and checks the graph still verifies and the interpreter gives the same
     * outputs as before, bit for bit; returns whether the pass reported a change.
     */
    static boolean runAndCompare(Graph g, Pass pass) {
        return runAndCompare(g, pass, new PassContext(null, null));
    }

    static boolean runAndCompare(Graph g, Pass pass, PassContext cx) {
        Map<String, NdArray> in = inputs(g);
        List<NdArray> before = List.copyOf(new Interpreter(g).run(in).values());
        boolean changed = pass.run(g, cx);
        GraphVerifier.verify(g);
        List<NdArray> after = List.copyOf(new Interpreter(g).run(in).values());
        assertEquals(before.size(), after.size());
        for (int i = 0; i < before.size(); i++) {
            assertEquals(before.get(i).type(), after.get(i).type(), "output " + i + " type");
            assertEquals(Arrays.toString(before.get(i).toDoubleArray()), Arrays.toString(after.get(i).toDoubleArray()), "output " + i + " values");
        }
        return changed;
    }
}
