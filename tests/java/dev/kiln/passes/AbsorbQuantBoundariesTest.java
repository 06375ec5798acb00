package dev.kiln.passes;

import static dev.kiln.passes.PassTesting.count;
import static dev.kiln.passes.PassTesting.op;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.QuantTesting;
import dev.kiln.TestFiles;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.GraphVerifier;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.quant.QLinearExpansion;
import dev.kiln.quant.QdqPatterns;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * AbsorbQuantBoundaries on hand-built QDQ/QOperator graphs and on every quantized model of {@code tests/models}:
 * the boundaries are gone, the annotations are the model's grids (re-inserting a quantize/dequantize at every
 * annotated value gives back the model's exact QDQ outputs), and the float graph left behind stays within
 * one output step per quantized layer of the recorded outputs.
 */
class AbsorbQuantBoundariesTest {
    // ---------------------------------------------------------------- hand-built graphs

    /** input -> Q -> DQ -> conv -> Q(zp = -128: the relu the exporter dropped) -> DQ -> output. */
    private static Graph convQdq() {
        Graph g = new Graph("qdq");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 2, 4, 4));
        Value sx = g.addConstant("sx", NdArray.scalar(DType.F32, 0.02)), zx = g.addConstant("zx", NdArray.scalar(DType.I8, 3));
        Value xq = op(g, Ops.QUANTIZE_LINEAR, List.of(x, sx, zx));
        Value xd = op(g, Ops.DEQUANTIZE_LINEAR, List.of(xq, sx, zx));
        byte[] w = new byte[3 * 2 * 3 * 3];
        new Random(1).nextBytes(w);
        long[] wl = new long[w.length];
        for (int i = 0; i < w.length; i++) wl[i] = Math.max(-127, w[i]);
        Value wq = g.addConstant("wq", NdArray.ofLongs(DType.I8, Shape.of(3, 2, 3, 3), wl));
        Value ws = g.addConstant("ws", NdArray.ofFloats(Shape.of(3), 0.01f, 0.02f, 0.005f));
        Value wz = g.addConstant("wz", NdArray.ofLongs(DType.I8, Shape.of(3), 0, 0, 0));
        Value wd = op(g, Ops.DEQUANTIZE_LINEAR, List.of(wq, ws, wz), "axis", 0L);
        Value bq = g.addConstant("bq", NdArray.ofLongs(DType.I32, Shape.of(3), 100, -200, 3000));
        Value bs = g.addConstant("bs", NdArray.ofFloats(Shape.of(3), 0.0002f, 0.0004f, 0.0001f));
        Value bd = op(g, Ops.DEQUANTIZE_LINEAR, List.of(bq, bs), "axis", 0L);
        Value y = op(g, Ops.CONV, List.of(xd, wd, bd), "kernel_shape", new long[] {3, 3}, "pads", new long[] {1, 1, 1, 1});
        Value sy = g.addConstant("sy", NdArray.scalar(DType.F32, 0.05)), zy = g.addConstant("zy", NdArray.scalar(DType.I8, -128));
        Value yq = op(g, Ops.QUANTIZE_LINEAR, List.of(y, sy, zy));
        Node out = g.addNode(Ops.DEQUANTIZE_LINEAR, "out", List.of(yq, sy, zy), Attrs.EMPTY, List.of("out"));
        g.addOutput(out.output(0));
        return g;
    }

    @Test
    void qdqConvBecomesAnnotatedFloatConvWithItsSaturationAsAClip() {
        Graph g = convQdq();
        PassContext cx = new PassContext(null, null);
        assertTrue(new AbsorbQuantBoundaries().run(g, cx));
        GraphVerifier.verify(g);
        assertEquals(0, count(g, Ops.QUANTIZE_LINEAR) + count(g, Ops.DEQUANTIZE_LINEAR), g.toString());
        assertEquals(1, count(g, Ops.CONV));
        assertEquals(1, count(g, Ops.CLIP));
        // the graph input carries its grid; the output keeps its name and carries the last quantize's grid
        assertEquals(QuantParams.perTensor(0.02f, 3), cx.quant().get("x"));
        assertEquals("out", g.outputs().get(0).name());
        assertEquals(QuantParams.perTensor(0.05f, -128), cx.quant().get("out"));
        // zero point -128 saturates everything below 0: the clip is the relu the exporter folded into the quantize
        Node clip = g.outputs().get(0).producer();
        assertEquals(Ops.CLIP, clip.op());
        assertEquals(0.0, clip.attrs().getFloat("min"), 0.0);
        assertEquals(0.05f * 255, clip.attrs().getFloat("max"), 1e-6);
        // the weights are float constants carrying their per-channel grid
        Value w = g.outputs().get(0).producer().input(0).producer().input(1);
        assertTrue(w.isConstant());
        QuantParams wp = cx.quant().get(w);
        assertNotNull(wp);
        assertEquals(0, wp.axis());
        assertEquals(0.005f, wp.scale(2));
    }

    @Test
    void absorbedGraphWithItsGridsReinsertedComputesTheQdqGraph() {
        Graph before = convQdq(), after = convQdq();
        PassContext cx = new PassContext(null, null);
        new AbsorbQuantBoundaries().run(after, cx);
        fakeQuantize(after, cx);
        Map<String, NdArray> in = Map.of("x", PassTesting.random(Shape.of(1, 2, 4, 4), 3));
        NdArray a = new Interpreter(before).run(in).get("out"), b = new Interpreter(after).run(in).values().iterator().next();
        assertTrue(maxAbsDiff(a, b) <= 1e-6, "QDQ " + a + " vs absorbed " + b);
    }

    @Test
    void quantizeWithAFloatReaderBesidesStays() {
        Graph g = convQdq();
        Value y = g.node("conv").output(0);
        Node extra = g.addNode(Ops.RELU, "extra", List.of(y), Attrs.EMPTY);
        g.addOutput(extra.output(0));
        PassContext cx = new PassContext(null, null);
        new AbsorbQuantBoundaries().run(g, cx);
        // the input pair is absorbed, the output pair is not: conv's result is also read unrounded
        assertEquals(1, count(g, Ops.QUANTIZE_LINEAR));
        assertEquals(1, count(g, Ops.DEQUANTIZE_LINEAR));
        assertNull(cx.quant().get(y));
        assertTrue(cx.notes().stream().anyMatch(s -> s.contains("also read in float by extra")), cx.notes().toString());
    }

    @Test
    void dequantizeOnAnotherGridStays() {
        Graph g = convQdq();
        Node d = g.outputs().get(0).producer();
        d.setInput(1, g.addConstant("other_scale", NdArray.scalar(DType.F32, 0.1)));
        PassContext cx = new PassContext(null, null);
        new AbsorbQuantBoundaries().run(g, cx);
        assertEquals(1, count(g, Ops.QUANTIZE_LINEAR));
        assertEquals(1, count(g, Ops.DEQUANTIZE_LINEAR));
        assertEquals("out", g.outputs().get(0).name());
        assertTrue(cx.notes().stream().anyMatch(s -> s.contains("no dequantize on the same grid")), cx.notes().toString());
    }

    @Test
    void qlinearConvExpandsToTheQdqFormWithinOneStep() {
        Graph g = new Graph("qop");
        Value x = g.addInput("x", TensorType.of(DType.I8, 1, 3, 5, 5));
        long[] w = new long[4 * 3 * 3 * 3];
        Random r = new Random(5);
        for (int i = 0; i < w.length; i++) w[i] = r.nextInt(255) - 127;
        List<Value> ins = List.of(x, g.addConstant("sx", NdArray.scalar(DType.F32, 0.03)), g.addConstant("zx", NdArray.scalar(DType.I8, -5)),
                g.addConstant("w", NdArray.ofLongs(DType.I8, Shape.of(4, 3, 3, 3), w)),
                g.addConstant("sw", NdArray.ofFloats(Shape.of(4), 0.004f, 0.002f, 0.003f, 0.001f)),
                g.addConstant("zw", NdArray.ofLongs(DType.I8, Shape.of(4), 0, 0, 0, 0)),
                g.addConstant("sy", NdArray.scalar(DType.F32, 0.07)), g.addConstant("zy", NdArray.scalar(DType.I8, 10)),
                g.addConstant("b", NdArray.ofLongs(DType.I32, Shape.of(4), 500, -900, 0, 12345)));
        Node q = g.addNode(Ops.QLINEAR_CONV, "qconv", ins, Attrs.of("kernel_shape", new long[] {3, 3}, "pads", new long[] {1, 1, 1, 1}), List.of("y"));
        g.addOutput(q.output(0));
        long[] xs = new long[75];
        for (int i = 0; i < xs.length; i++) xs[i] = r.nextInt(256) - 128;
        Map<String, NdArray> in = Map.of("x", NdArray.ofLongs(DType.I8, Shape.of(1, 3, 5, 5), xs));
        NdArray before = new Interpreter(g).run(in).get("y");
        assertNull(QLinearExpansion.expand(g, q));
        GraphVerifier.verify(g);
        assertEquals(0, count(g, Ops.QLINEAR_CONV));
        assertEquals(1, count(g, Ops.CONV));
        assertEquals("y", g.outputs().get(0).name());
        NdArray after = new Interpreter(g).run(in).get("y");
        assertEquals(DType.I8, after.dtype());
        int same = 0;
        for (int i = 0; i < before.size(); i++) {
            assertTrue(Math.abs(before.getLong(i) - after.getLong(i)) <= 1, "element " + i);
            if (before.getLong(i) == after.getLong(i)) same++;
        }
        assertTrue(same >= before.size() * 9 / 10, same + " of " + before.size() + " equal");
    }

    @Test
    void transparencyIsReadOffTheOpsBehaviour() {
        Graph g = new Graph("t");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 2, 4, 4));
        assertTrue(QdqPatterns.transparent(g.addNode(Ops.RELU, "relu", List.of(x), Attrs.EMPTY)));
        assertTrue(QdqPatterns.transparent(g.addNode(Ops.FLATTEN, "flatten", List.of(x), Attrs.of("axis", 1L))));
        assertTrue(QdqPatterns.transparent(g.addNode(Ops.MAX_POOL, "mp", List.of(x), Attrs.of("kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2}))));
        assertFalse(QdqPatterns.transparent(g.addNode(Ops.AVERAGE_POOL, "ap", List.of(x), Attrs.of("kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2}))));
        assertFalse(QdqPatterns.transparent(g.addNode(Ops.SIGMOID, "sig", List.of(x), Attrs.EMPTY)));
        assertFalse(QdqPatterns.transparent(g.addNode(Ops.LEAKY_RELU, "lrelu", List.of(x), Attrs.EMPTY)));
        assertFalse(QdqPatterns.transparent(g.addNode(Ops.CLIP, "relu6", List.of(x), Attrs.of("min", 0.0, "max", 6.0))));
    }

    // ---------------------------------------------------------------- the quantized models

    /** Every quantized model: no boundary is left, I/O names stay, and the grids re-inserted give the QDQ outputs. */
    @TestFactory
    Stream<DynamicTest> everyQuantizedModelIsAbsorbed() {
        return quantizedModels().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            Model m = Model.load(dir);
            Graph g = m.load();
            PassContext cx = new PassContext(null, null);
            assertTrue(new AbsorbQuantBoundaries().run(g, cx));
            GraphVerifier.verify(g);
            for (Node n : g.nodes())
                assertFalse(n.op() == Ops.QUANTIZE_LINEAR || n.op() == Ops.DEQUANTIZE_LINEAR || QLinearExpansion.expandable(n),
                        n + " is left:\n" + String.join("\n", cx.notes()));
            List<String> outNames = new ArrayList<>();
            for (Value o : g.outputs()) outNames.add(o.name());
            assertEquals(m.outputNames, outNames);
            for (Value x : g.inputs()) assertNotNull(cx.quant().get(x), "input " + x.name() + " has no grid");
            // an output the model dequantizes carries the last quantize's grid (the int8 output); the others stay float
            for (int i = 0; i < g.outputs().size(); i++)
                assertEquals(m.dequantizedOutput[i], cx.quant().get(g.outputs().get(i)) != null, "output " + outNames.get(i));
            // re-inserting quantize -> dequantize at every annotated value gives back the model's exact QDQ semantics
            fakeQuantize(g, cx);
            List<NdArray> got = new ArrayList<>(new Interpreter(g).run(m.inputs(g)).values());
            for (int i = 0; i < got.size(); i++) {
                double d = maxAbsDiff(m.qdq.get(i), got.get(i));
                System.out.printf("%s: absorbed + grids re-inserted vs QDQ: max |diff| %.6g (step %.6g)%n", dir.getFileName(), d, m.step);
                assertTrue(d <= 1e-6, "output " + i + " differs by " + d + " (step " + m.step + ")");
            }
        }));
    }

    /**
     * Every quantized model through the default pipeline: within {@code depth} output steps of ONNX Runtime's
     * recorded outputs (exact QDQ semantics), {@code depth} being the most roundings on a path from an input to
     * the output; the -O0 graph (float QDQ, as imported) must match them to float rounding.
     */
    @TestFactory
    Stream<DynamicTest> defaultPipelineStaysWithinOneStepPerLayer() {
        return quantizedModels().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            Model m = Model.load(dir);
            Graph g = m.load();
            for (int i = 0; i < m.qdq.size(); i++)
                assertTrue(maxAbsDiff(m.expected.get(i), m.qdq.get(i)) <= 1e-5, "-O0 output " + i + " differs from the recorded one");
            PassContext cx = Kiln.optimize(g, null, dev.kiln.CompileOptions.defaults());
            // nothing computes in float but what the model itself computes after its last dequantize
            assertEquals(m.floatTail, dev.kiln.quant.Int8Lowering.floatOps(g), String.join("\n", cx.notes()));
            List<NdArray> got = new ArrayList<>(new Interpreter(g).run(m.inputs(g)).values());
            for (int i = 0; i < got.size(); i++) {
                double d = maxAbsDiff(m.expected.get(i), QuantTesting.dequantized(g.outputs().get(i), got.get(i)));
                double tol = m.depth * m.step;
                System.out.printf("%s: depth %d, step %.6g, tolerance %.6g, max |diff| %.6g%n", dir.getFileName(), m.depth, m.step, tol, d);
                assertTrue(d <= tol + 1e-6, "output " + i + " differs by " + d + " > " + tol + "\n" + String.join("\n", cx.notes()));
            }
        }));
    }

    /** A model's -O0 graph, recorded data, QDQ outputs, depth and output step. */
    private static final class Model {
        Path dir;
        TestCase.DataSet ds;
        List<NdArray> expected, qdq;
        List<String> outputNames = new ArrayList<>();
        boolean[] dequantizedOutput;
        java.util.Set<String> floatTail = new java.util.LinkedHashSet<>();
        int depth;
        double step;

        static Model load(Path dir) {
            Model m = new Model();
            m.dir = dir;
            TestCase c = TestCase.find(List.of(dir)).get(0);
            m.ds = c.dataSets(new ImportOptions().maxTensorBytes()).get(0);
            m.expected = m.ds.outputs();
            Graph g = m.load();
            m.qdq = new ArrayList<>(new Interpreter(g).run(m.inputs(g)).values());
            m.dequantizedOutput = new boolean[g.outputs().size()];
            for (int i = 0; i < g.outputs().size(); i++) {
                Value o = g.outputs().get(i);
                m.outputNames.add(o.name());
                m.dequantizedOutput[i] = QdqPatterns.isDequantize(o.producer());
            }
            for (Value o : g.outputs()) floatTail(o, m.floatTail);
            m.depth = QuantTesting.depth(g);
            m.step = QuantTesting.outputStep(g.outputs().get(0));
            return m;
        }

        Graph load() { return Kiln.load(dir.resolve("model.onnx"), new ImportOptions()); }

        Map<String, NdArray> inputs(Graph g) {
            Map<String, NdArray> in = new LinkedHashMap<>();
            for (int i = 0; i < g.inputs().size(); i++) {
                Value v = g.inputs().get(i);
                NdArray a = ds.inputs().get(i);
                // an int8 input (after int8 lowering) takes the recorded float input quantized on its grid
                in.put(v.name(), v.dtype() == DType.I8 && v.type().quant() != null ? QuantTesting.quantize(a, v.type().quant()) : a);
            }
            return in;
        }
    }

    /** The ops between the last dequantize before {@code v} and v: the float the model computes itself. */
    private static void floatTail(Value v, java.util.Set<String> ops) {
        Node p = v.producer();
        if (p == null || QdqPatterns.isDequantize(p)) return;
        for (Value i : p.inputs()) if (i != null && !i.isConstant()) floatTail(i, ops);
        ops.add(p.op().name());
    }

    private static Stream<Path> quantizedModels() {
        return TestFiles.caseDirs(TestFiles.models()).filter(d -> d.getFileName().toString().contains("_int8_"));
    }

    /** Inserts quantize -> dequantize after every annotated activation (per-tensor grid, not a constant). */
    private static void fakeQuantize(Graph g, PassContext cx) {
        List<Value> values = new ArrayList<>();
        for (Value v : g.values()) values.add(v);
        for (Value v : values) {
            QuantParams p = cx.quant().get(v);
            if (p == null || p.perChannel() || v.isConstant() || !v.dtype().isFloat()) continue;
            Value s = g.addConstant(v.name() + "_fs", NdArray.scalar(DType.F32, p.scale(0)));
            Value z = g.addConstant(v.name() + "_fz", NdArray.scalar(DType.I8, p.zeroPoint(0)));
            List<Value.Use> uses = new ArrayList<>(v.uses());
            boolean isOutput = g.outputs().contains(v);
            Value q = g.addNode(Ops.QUANTIZE_LINEAR, g.uniqueNodeName(v.name() + "_fq"), List.of(v, s, z), Attrs.EMPTY).output(0);
            Value d = g.addNode(Ops.DEQUANTIZE_LINEAR, g.uniqueNodeName(v.name() + "_fd"), List.of(q, s, z), Attrs.EMPTY).output(0);
            for (Value.Use u : uses) u.user().setInput(u.index(), d);
            if (isOutput) for (int i = 0; i < g.outputs().size(); i++) if (g.outputs().get(i) == v) g.setOutput(i, d);
        }
        g.sortTopologically();
    }

    private static double maxAbsDiff(NdArray a, NdArray b) {
        assertEquals(a.size(), b.size());
        double m = 0;
        for (int i = 0; i < a.size(); i++) m = Math.max(m, Math.abs(a.getDouble(i) - b.getDouble(i)));
        return m;
    }
}
