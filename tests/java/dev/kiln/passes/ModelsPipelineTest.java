package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.CompileOptions;
import dev.kiln.Kiln;
import dev.kiln.QuantTesting;
import dev.kiln.TestFiles;
import dev.kiln.check.Compare;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The regression net of every pass: each model in {@code tests/models} goes through the {@code -O3} pipeline
 * with the graph verified after every pass, and the interpreter's outputs must match those of the graph as
 * imported ({@code -O0}) on the model's recorded inputs.
 */
class ModelsPipelineTest {
    @TestFactory
    Stream<DynamicTest> everyModelAtO3MatchesO0() {
        return TestFiles.caseDirs(TestFiles.models()).map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            TestCase c = TestCase.find(List.of(dir)).get(0);
            TestCase.DataSet ds = c.dataSets(new ImportOptions().maxTensorBytes()).get(0);
            Graph o0 = load(c.model(), ds);
            Graph o3 = load(c.model(), ds);
            List<String> log = new ArrayList<>();
            Kiln.optimize(o3, null, new CompileOptions(3, null, new Instruments(null, true, true, log::add)));
            assertTrue(o3.nodes().size() <= o0.nodes().size() + loweredNodes(log), "-O3 has more nodes than -O0 and its lowerings:\n" + String.join("\n", log));
            Map<String, NdArray> ins = inputs(o0, c.model(), ds);
            List<NdArray> expected = new ArrayList<>(new Interpreter(o0).run(ins).values());
            List<NdArray> actual = new ArrayList<>(new Interpreter(o3).run(int8Inputs(o3, ins)).values());
            assertEquals(expected.size(), actual.size());
            // a quantized model is lowered to int8 from -O1: one output step per rounding layer (see QuantTesting)
            boolean quantized = QuantTesting.quantized(o0);
            double rtol = quantized ? 0 : 1e-4, atol = quantized ? QuantTesting.tolerance(o0) + 1e-6 : 1e-5;
            for (int i = 0; i < expected.size(); i++)
                assertNull(Compare.mismatch(expected.get(i), QuantTesting.dequantized(o3.outputs().get(i), actual.get(i)), rtol, atol),
                        "output " + i + "\n" + String.join("\n", log));
        }));
    }

    /**
     * The nodes the lowering passes (Lower*) added, from the pipeline's per-pass log: a lowering splits one op into
     * the kernels that run it (attention into matmuls and a softmax), so only the fusions must never add nodes.
     */
    private static int loweredNodes(List<String> log) {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("^\\s*Lower\\w+\\s.*?(\\d+) ->\\s+(\\d+) nodes.*");
        int added = 0;
        for (String line : log) {
            java.util.regex.Matcher m = p.matcher(line);
            if (m.matches()) added += Math.max(0, Integer.parseInt(m.group(2)) - Integer.parseInt(m.group(1)));
        }
        return added;
    }

    /** The inputs with those the graph takes as int8 quantized on their grid (as the Checker does). */
    private static Map<String, NdArray> int8Inputs(Graph g, Map<String, NdArray> ins) {
        Map<String, NdArray> m = new LinkedHashMap<>(ins);
        for (var v : g.inputs())
            if (v.dtype() == dev.kiln.ir.DType.I8 && v.type().quant() != null) m.put(v.name(), QuantTesting.quantize(ins.get(v.name()), v.type().quant()));
        return m;
    }

    private static Graph load(Path model, TestCase.DataSet ds) {
        ImportOptions opts = new ImportOptions();
        for (Map.Entry<String, NdArray> e : byName(model, ds).entrySet()) opts.knownInputValue(e.getKey(), e.getValue());
        return Kiln.load(model, opts);
    }

    private static Map<String, NdArray> inputs(Graph g, Path model, TestCase.DataSet ds) {
        Map<String, NdArray> all = byName(model, ds), ins = new LinkedHashMap<>();
        for (var v : g.inputs()) ins.put(v.name(), all.get(v.name()));
        return ins;
    }

    /** The data set's inputs by the model's declared input names (as {@code Checker} pairs them). */
    private static Map<String, NdArray> byName(Path model, TestCase.DataSet ds) {
        List<String> declared = Kiln.declaredInputs(model);
        Map<String, NdArray> m = new LinkedHashMap<>();
        for (int i = 0; i < ds.inputs().size(); i++) {
            String pb = ds.inputNames().get(i);
            m.put(declared.contains(pb) ? pb : declared.get(i), ds.inputs().get(i));
        }
        return m;
    }
}
