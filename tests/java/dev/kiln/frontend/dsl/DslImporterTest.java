package dev.kiln.frontend.dsl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.diag.KilnException;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.io.Npz;
import dev.kiln.io.SafeTensors;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DSL's constructs: each parsed and built, checked against the graph it must give (or the same graph built by hand). */
class DslImporterTest {
    @TempDir Path dir;

    private Graph load(String text) { return DslImporter.importText(text, "t.kiln", dir, new ImportOptions()); }

    private static List<String> ops(Graph g) {
        List<String> r = new ArrayList<>();
        for (Node n : g.nodes()) r.add(n.op().name());
        return r;
    }

    private static NdArray random(TensorType t, long seed) {
        Random r = new Random(seed);
        NdArray a = NdArray.zeros(t);
        for (int i = 0; i < a.size(); i++) a.setDouble(i, r.nextGaussian());
        return a;
    }

    /** Runs both graphs on the same random inputs and asserts equal outputs. */
    private static void assertSameFunction(Graph expected, Graph got) {
        assertEquals(expected.inputs().size(), got.inputs().size());
        Map<String, NdArray> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        for (int i = 0; i < expected.inputs().size(); i++) {
            NdArray x = random(expected.inputs().get(i).type(), 17 + i);
            assertEquals(expected.inputs().get(i).type(), got.inputs().get(i).type());
            a.put(expected.inputs().get(i).name(), x);
            b.put(got.inputs().get(i).name(), x);
        }
        List<NdArray> want = new ArrayList<>(new Interpreter(expected).run(a).values());
        List<NdArray> have = new ArrayList<>(new Interpreter(got).run(b).values());
        assertEquals(want.size(), have.size());
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.get(i).type(), have.get(i).type());
            assertArrayEquals(want.get(i).toDoubleArray(), have.get(i).toDoubleArray(), 1e-6);
        }
    }

    @Test
    void pipelineWithConstsEqualsTheGraphBuiltByHand() {
        Graph dsl = load("""
                # comments with # and // are ignored
                model hand   // the graph's name
                input x: f32[2, 3];
                const w: f32[3, 2] = [[1, -2], [0.5, 4], [-1e-1, 3]]
                const b: f32[2] = 0.25
                y = matmul(x, w) | add(b) | relu | softmax(axis=1)
                output y
                """);
        Graph hand = new Graph("hand");
        Value x = hand.addInput("x", TensorType.of(DType.F32, 2, 3));
        Value w = hand.addConstant("w", NdArray.ofFloats(Shape.of(3, 2), 1, -2, 0.5f, 4, -0.1f, 3));
        Value b = hand.addConstant("b", NdArray.ofFloats(Shape.of(2), 0.25f, 0.25f));
        Value m = hand.addNode(Ops.MATMUL, "m", List.of(x, w), Attrs.EMPTY).output(0);
        Value s = hand.addNode(Ops.ADD, "s", List.of(m, b), Attrs.EMPTY).output(0);
        Value r = hand.addNode(Ops.RELU, "r", List.of(s), Attrs.EMPTY).output(0);
        hand.addOutput(hand.addNode(Ops.SOFTMAX, "y", List.of(r), Attrs.of("axis", 1L)).output(0));
        assertEquals("hand", dsl.name());
        assertEquals(List.of("matmul", "add", "relu", "softmax"), ops(dsl));
        // layer names: TARGET/OP for earlier stages, the target for the last
        assertEquals(List.of("y/matmul", "y/add", "y/relu", "y"), dsl.nodes().stream().map(Node::name).toList());
        assertSameFunction(hand, dsl);
    }

    @Test
    void modelNameDefaultsToTheFileName() {
        Graph g = DslImporter.importText("input x: f32[1]\ny = relu(x)\noutput y\n", "dir/my_net.kiln", dir, new ImportOptions());
        assertEquals("my_net", g.name());
    }

    @Test
    void asNamesLayersAndRepeatedCalleesGetNumbered() {
        Graph g = load("""
                input x: f32[1, 4]
                y = x | relu as first | neg | neg | sigmoid as last
                output y
                """);
        assertEquals(List.of("first", "y/neg", "y/neg_2", "last"), g.nodes().stream().map(Node::name).toList());
        assertEquals("y", g.outputs().get(0).name(), "the last stage's output carries the statement's name");
    }

    @Test
    void blocksWithDefaultsNestedBlocksAndRepeatWithRebinding() {
        Graph g = load("""
                input x: f32[1, 4]
                block act(v, alpha=0.5) {
                    a = leaky_relu(v, alpha=alpha)
                    return a
                }
                block unit(v, k) {
                    s = mul(v, k) | act
                    t = act(s, alpha=0.25) as second
                    return t
                }
                const k: f32[] = 2
                h = neg(x)
                repeat 3 {
                    h = unit(h, k)
                }
                y = h
                output y
                """);
        assertEquals(1 + 3 * 3, g.nodes().size());
        for (String n : List.of("h_1/s/mul", "h_1/s/a", "h_1/second/a", "h_3/second/a")) assertNotNull(g.node(n), n + " in " + g.nodes());
        assertEquals(0.5, g.node("h_1/s/a").attrs().getFloat("alpha"), "the default");
        assertEquals(0.25, g.node("h_1/second/a").attrs().getFloat("alpha"), "the keyword argument");
        // the repeat chains: unit 2 reads unit 1's result
        assertEquals("h_1/second/a", g.node("h_2/s/mul").input(0).name(), "a block's result keeps its inner name");
        assertEquals("h_3/second/a", g.outputs().get(0).name());
        // h = -x; three times h = leaky(leaky(2h, .5), .25)
        NdArray in = NdArray.ofFloats(Shape.of(1, 4), 1, -1, 2, -3);
        NdArray out = new Interpreter(g).run(Map.of("x", in)).values().iterator().next();
        for (int i = 0; i < 4; i++) {
            double h = -in.getDouble(i);
            for (int r = 0; r < 3; r++) {
                double s = 2 * h;
                s = s < 0 ? 0.5 * s : s;
                h = s < 0 ? 0.25 * s : s;
            }
            assertEquals(h, out.getDouble(i), 1e-6);
        }
    }

    @Test
    void repeatOutsideBlocksSuffixesNames() {
        Graph g = load("""
                input x: f32[1, 4]
                h = x
                repeat 2 {
                    h = h | neg | relu
                }
                output h
                """);
        assertEquals(List.of("h/neg_1", "h_1", "h/neg_2", "h_2"), g.nodes().stream().map(Node::name).toList());
    }

    @Test
    void multiOutputStatementsBindEachTarget() {
        Graph g = load("""
                input x: f32[1, 6]
                a, b = split(x, axis=1, split=[2, 4])
                c = relu(b)
                output a, c
                """);
        Node split = g.node("a");
        assertEquals("split", split.op().name());
        assertEquals(List.of("a", "b"), split.outputs().stream().map(Value::name).toList());
        assertEquals(Shape.of(1, 2), g.outputs().get(0).shape());
        assertEquals(Shape.of(1, 4), g.outputs().get(1).shape());
    }

    @Test
    void initKindsOfConstants() throws Exception {
        Npz.write(dir.resolve("w.npz"), Map.of("k", NdArray.ofFloats(Shape.of(2), 3, 4)));
        SafeTensors.write(dir.resolve("w.safetensors"), Map.of("s", NdArray.ofLongs(DType.I64, Shape.of(2), 7, -8)));
        java.nio.file.Files.write(dir.resolve("v.npy"), dev.kiln.io.Npy.toBytes(NdArray.ofFloats(Shape.of(1, 2), -1, 1)));
        Graph g = load("""
                input x: f32[1, 2]
                const lit: f32[2, 2] = [[1, 2], [3, inf]]
                const neg: f64[] = -nan
                const fill: i8[3] = -5
                const flags: bool[2] = [true, false]
                const npy: f32[1, 2] = file("v.npy")
                const npz: f32[2] = file("w.npz", "k")
                const st: i64[2] = file("w.safetensors", "s")
                const rnd: f32[4, 8] = seed(3)
                const rnd2: f32[4, 8] = seed(3)
                y = add(x, npy)
                output y
                """);
        assertArrayEquals(new float[] {1, 2, 3, Float.POSITIVE_INFINITY}, g.value("lit").constant().floats());
        assertTrue(Double.isNaN(g.value("neg").constant().doubles()[0]));
        assertArrayEquals(new long[] {-5, -5, -5}, g.value("fill").constant().longs());
        assertArrayEquals(new long[] {1, 0}, g.value("flags").constant().longs());
        assertArrayEquals(new float[] {-1, 1}, g.value("npy").constant().floats());
        assertArrayEquals(new float[] {3, 4}, g.value("npz").constant().floats());
        assertArrayEquals(new long[] {7, -8}, g.value("st").constant().longs());
        float[] r = g.value("rnd").constant().floats();
        assertArrayEquals(r, g.value("rnd2").constant().floats(), "the same seed gives the same values");
        double bound = 1 / Math.sqrt(8);
        boolean varied = false;
        for (float v : r) {
            assertTrue(Math.abs(v) <= bound, v + " outside ±1/sqrt(fan-in)");
            varied |= v != r[0];
        }
        assertTrue(varied);
    }

    @Test
    void quantParamsOnTypes() {
        Graph g = load("""
                input q: i8[1, 4] quant(scale=0.5, zero_point=-3)
                const w: i8[2, 3] quant(scale=[0.1, 0.2], zero_point=[0, 1], axis=0) = 1
                y = cast(q, to=f32)
                output y
                """);
        assertEquals(QuantParams.perTensor(0.5f, -3), g.value("q").type().quant());
        QuantParams w = g.value("w").type().quant();
        assertEquals(0, w.axis());
        assertArrayEquals(new float[] {0.1f, 0.2f}, w.scales());
        assertArrayEquals(new long[] {0, 1}, w.zeroPoints());
    }

    @Test
    void backquotedNamesAndKeywordsAsNames() {
        Graph g = load("""
                input `input.1`: f32[1, 2]
                `/layer/Relu_output_0` = relu(`input.1`) as `/layer/Relu`
                `model` = neg(`/layer/Relu_output_0`)
                `odd``name` = sigmoid(`model`)
                output `odd``name`
                """);
        assertEquals("input.1", g.inputs().get(0).name());
        Node relu = g.node("/layer/Relu");
        assertEquals("/layer/Relu_output_0", relu.output(0).name());
        assertNotNull(g.value("model"));
        assertEquals("odd`name", g.outputs().get(0).name());
    }

    @Test
    void opCallsSkipOptionalInputsNameInputPortsAndTakeSymbolsAsStrings() {
        Graph g = load("""
                input x: f32[1, 2, 4, 4]
                const w: f32[3, 2, 1, 1] = 0.5
                const b: f32[3] = [1, 2, 3]
                a = conv(x, w, _, strides=[1, 1])
                c = conv(x, W=w, B=b)
                d = cast(a, to=f16)
                e = resize(c, scales=[1, 1, 2, 2], sizes=[1, 3, 8, 8], mode=nearest)
                output d, e
                """);
        assertEquals(2, g.node("a").numInputs(), "a skipped trailing optional input is left out");
        assertEquals("b", g.node("c").input(2).name());
        assertEquals(DType.F16, g.value("d").dtype());
        assertEquals("nearest", g.node("e").attrs().getString("mode"));
        assertEquals(Shape.of(1, 3, 8, 8), g.value("e").shape());
    }

    @Test
    void typedLiteralAttributesAreTensors() {
        // no registered op takes a tensor attribute yet; the literal is still read (and checked) as an argument value
        KilnException e = assertThrows(KilnException.class, () -> load("""
                input x: f32[1, 2]
                y = relu(x, value=f32[2] [0, 1.5])
                output y
                """));
        assertTrue(e.getMessage().contains("relu has no attribute or input 'value'"), e.getMessage());
        KilnException bad = assertThrows(KilnException.class, () -> load("""
                input x: f32[1, 2]
                y = relu(x, value=f32[2] [0, 1.5, 2])
                output y
                """));
        assertTrue(bad.getMessage().contains("expected 2 values at depth 1, got 3"), bad.getMessage());
    }

    @Test
    void batchNormWithTensorsIsTheOpAndWithoutIsTheLayer() {
        Graph g = load("""
                weights seed(1)
                input x: f32[1, 2, 3, 3]
                const s: f32[2] = [1, 2]
                const z: f32[2] = 0
                const one: f32[2] = 1
                a = batch_norm(x, s, z, z, one, epsilon=0.001)
                b = a | batch_norm as bn
                output b
                """);
        assertEquals("s", g.node("a").input(1).name());
        assertEquals(0.001, g.node("a").attrs().getFloat("epsilon"), 1e-12);
        assertEquals("bn.scale", g.node("bn").input(1).name());
    }

    @Test
    void declaredOutputTypesAreChecked() {
        Graph g = load("input x: f32[2, 3]\ny = transpose(x, perm=[1, 0])\noutput y: f32[3, 2]\n");
        assertEquals(Shape.of(3, 2), g.outputs().get(0).shape());
    }

    @Test
    void inputShapeOptionRebindsADeclaredShape() {
        Graph g = DslImporter.importText("input x: f32[1, 4]\ny = relu(x)\noutput y\n", "t.kiln", dir, new ImportOptions().inputShape("x", 3, 4));
        assertEquals(Shape.of(3, 4), g.outputs().get(0).shape());
    }

    @Test
    void errorsAreCollectedAcrossStatementsWithoutCascades() {
        KilnException e = assertThrows(KilnException.class, () -> load("""
                input x: f32[1, 4]
                a = relu(nope)
                b = a | sigmoid
                c = tanh(also_nope)
                output b, c
                """));
        assertEquals(2, e.diagnostics().size(), e.getMessage());
        assertEquals(2, e.diagnostics().get(0).location().line());
        assertEquals(4, e.diagnostics().get(1).location().line());
        assertNull(e.diagnostics().get(0).hint());
    }
}
