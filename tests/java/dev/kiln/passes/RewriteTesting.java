package dev.kiln.passes;

import dev.kiln.Kiln;
import dev.kiln.TestFiles;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import java.util.List;
import java.util.Random;

/** Helpers shared by the structural-rewrite pass tests: models from tests/models, MAC totals, random inputs, op counts. */
final class RewriteTesting {
    private RewriteTesting() {}

    /** The model of tests/models/{@code name}. */
    static Graph model(String name) {
        return Kiln.load(TestCase.modelIn(TestFiles.models().resolve(name)), new ImportOptions());
    }

    /** The inputs of the model's first recorded data set. */
    static List<NdArray> recordedInputs(String name) {
        return TestCase.find(List.of(TestFiles.models().resolve(name))).get(0).dataSets(Long.MAX_VALUE).get(0).inputs();
    }

    /** The recorded outputs of the model's first data set. */
    static List<NdArray> recordedOutputs(String name) {
        return TestCase.find(List.of(TestFiles.models().resolve(name))).get(0).dataSets(Long.MAX_VALUE).get(0).outputs();
    }

    /** Sum of every node's MACs. */
    static long macs(Graph g) {
        long m = 0;
        for (Node n : g.nodes()) m += n.op().macs(n);
        return m;
    }

    /** Number of nodes running the op named {@code op}. */
    static long count(Graph g, String op) {
        return g.nodes().stream().filter(n -> n.op().name().equals(op)).count();
    }

    /** Uniform random values in [-1, 1) for every graph input. */
    static List<NdArray> randomInputs(Graph g, long seed) {
        Random rnd = new Random(seed);
        List<NdArray> r = new java.util.ArrayList<>();
        for (Value v : g.inputs()) {
            NdArray a = NdArray.zeros(v.type());
            for (int i = 0; i < a.size(); i++) a.setDouble(i, rnd.nextDouble() * 2 - 1);
            r.add(a);
        }
        return r;
    }

    /** The interpreter's outputs of {@code g} on {@code inputs}. */
    static List<NdArray> run(Graph g, List<NdArray> inputs) {
        return new Interpreter(g).run(inputs);
    }

    /** A context for the interpreter (no target) with the given DWS tolerance. */
    static PassContext context(double dwsTolerance) {
        PassOptions o = new PassOptions();
        o.dwsTolerance = dwsTolerance;
        return new PassContext(null, o);
    }
}
