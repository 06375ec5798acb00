package dev.kiln.frontend.dsl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.io.Npz;
import dev.kiln.io.SafeTensors;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layer library: each layer's lowering (op, attributes, parameter shapes) and output shape, checked
 * against the same node built by hand with the layer's parameters; seeded and archived weights.
 */
class LayersTest {
    @TempDir Path dir;

    private Graph load(String body) {
        return DslImporter.importText("weights seed(11)\n" + body, "t.kiln", dir, new ImportOptions());
    }

    /** The same single node built through the Graph API with the DSL graph's own parameters; outputs must agree. */
    private static void assertSameAsHandBuilt(Graph dsl, String layer, OpDef op, Attrs attrs) {
        Node n = dsl.node(layer);
        assertEquals(op, n.op());
        Graph hand = new Graph("hand");
        Value x = hand.addInput("x", dsl.inputs().get(0).type());
        List<Value> ins = new ArrayList<>(List.of(x));
        for (int i = 1; i < n.numInputs(); i++) ins.add(hand.addConstant("p" + i, n.input(i).constant()));
        hand.addOutput(hand.addNode(op, "y", ins, attrs).output(0));
        NdArray in = NdArray.zeros(x.type());
        Random r = new Random(5);
        for (int i = 0; i < in.size(); i++) in.setDouble(i, r.nextGaussian());
        NdArray want = new Interpreter(hand).run(Map.of("x", in)).get("y");
        NdArray got = new Interpreter(dsl).run(Map.of(dsl.inputs().get(0).name(), in)).values().iterator().next();
        assertEquals(want.type(), got.type());
        assertArrayEquals(want.toDoubleArray(), got.toDoubleArray(), 1e-9);
    }

    @Test
    void conv2dSamePaddingWithStride2() {
        Graph g = load("input x: f32[1, 3, 9, 10]\ny = conv2d(x, filters=4, kernel=[3, 4], stride=2, pad=same) as c\noutput y\n");
        // out = ceil(in / stride) = [5, 5]; total pads h: (5-1)*2+3-9 = 2 -> [1, 1]; w: (5-1)*2+4-10 = 2 -> [1, 1]
        assertEquals(Shape.of(1, 4, 5, 5), g.outputs().get(0).shape());
        assertEquals(Shape.of(4, 3, 3, 4), g.value("c.weight").shape());
        assertEquals(Shape.of(4), g.value("c.bias").shape());
        assertSameAsHandBuilt(g, "c", Ops.CONV, Attrs.of("kernel_shape", new long[] {3, 4}, "strides", new long[] {2, 2},
                "pads", new long[] {1, 1, 1, 1}, "dilations", new long[] {1, 1}, "group", 1L));
    }

    @Test
    void conv2dSamePaddingPutsTheOddPixelAtTheEnd() {
        Graph g = load("input x: f32[1, 1, 8, 8]\ny = conv2d(x, filters=2, kernel=3, stride=2, pad=same, bias=false) as c\noutput y\n");
        // out 4; total (4-1)*2+3-8 = 1 -> begin 0, end 1
        assertArrayEquals(new long[] {0, 0, 1, 1}, g.node("c").attrs().getInts("pads"));
        assertEquals(2, g.node("c").numInputs(), "bias=false gives no bias input");
        assertEquals(Shape.of(1, 2, 4, 4), g.outputs().get(0).shape());
    }

    @Test
    void conv2dGroupsDilationAndExplicitPads() {
        Graph g = load("input x: f32[1, 4, 7, 7]\ny = conv2d(x, filters=6, kernel=3, dilation=2, groups=2, pad=[1, 0, 2, 1]) as c\noutput y\n");
        assertEquals(Shape.of(6, 2, 3, 3), g.value("c.weight").shape());
        // h: 7+1+2 - 5 + 1 = 6; w: 7+0+1 - 5 + 1 = 4
        assertEquals(Shape.of(1, 6, 6, 4), g.outputs().get(0).shape());
        assertSameAsHandBuilt(g, "c", Ops.CONV, Attrs.of("kernel_shape", new long[] {3, 3}, "strides", new long[] {1, 1},
                "pads", new long[] {1, 0, 2, 1}, "dilations", new long[] {2, 2}, "group", 2L));
    }

    @Test
    void depthwiseConv2d() {
        Graph g = load("input x: f32[1, 3, 6, 6]\ny = depthwise_conv2d(x, kernel=3, multiplier=2, pad=1) as dw\noutput y\n");
        assertEquals(Shape.of(6, 1, 3, 3), g.value("dw.weight").shape());
        assertEquals(Shape.of(1, 6, 6, 6), g.outputs().get(0).shape());
        assertSameAsHandBuilt(g, "dw", Ops.CONV, Attrs.of("kernel_shape", new long[] {3, 3}, "strides", new long[] {1, 1},
                "pads", new long[] {1, 1, 1, 1}, "dilations", new long[] {1, 1}, "group", 3L));
    }

    @Test
    void dense() {
        Graph g = load("input x: f32[2, 5]\ny = dense(x, 3) as fc\noutput y\n");
        assertEquals(Shape.of(5, 3), g.value("fc.weight").shape());
        assertEquals(Shape.of(2, 3), g.outputs().get(0).shape());
        assertSameAsHandBuilt(g, "fc", Ops.GEMM, Attrs.EMPTY);
    }

    @Test
    void batchNorm() {
        Graph g = load("input x: f32[1, 3, 2, 2]\ny = batch_norm(x, epsilon=0.01) as bn\noutput y\n");
        assertArrayEquals(new float[] {1, 1, 1}, g.value("bn.scale").constant().floats());
        assertArrayEquals(new float[] {0, 0, 0}, g.value("bn.bias").constant().floats());
        assertArrayEquals(new float[] {0, 0, 0}, g.value("bn.mean").constant().floats());
        assertArrayEquals(new float[] {1, 1, 1}, g.value("bn.var").constant().floats());
        assertSameAsHandBuilt(g, "bn", Ops.BATCH_NORM, Attrs.of("epsilon", 0.01));
    }

    @Test
    void maxPool2dStrideDefaultsToSize() {
        Graph g = load("input x: f32[1, 2, 7, 7]\ny = max_pool2d(x, 2) as p\noutput y\n");
        assertEquals(Shape.of(1, 2, 3, 3), g.outputs().get(0).shape());
        assertSameAsHandBuilt(g, "p", Ops.MAX_POOL, Attrs.of("kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2}, "pads", new long[] {0, 0, 0, 0}));
    }

    @Test
    void avgPool2dSameIgnoresPadding() {
        Graph g = load("input x: f32[1, 2, 5, 5]\ny = avg_pool2d(x, size=3, stride=2, pad=same) as p\noutput y\n");
        assertEquals(Shape.of(1, 2, 3, 3), g.outputs().get(0).shape());
        assertSameAsHandBuilt(g, "p", Ops.AVERAGE_POOL, Attrs.of("kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2},
                "pads", new long[] {1, 1, 1, 1}, "count_include_pad", 0L));
    }

    @Test
    void seededWeightsAreDeterministicPerParameterName() {
        String a = "input x: f32[1, 8]\nh = dense(x, units=4) as fc1\ny = dense(h, units=2) as fc2\noutput y\n";
        String b = "input x: f32[1, 8]\nh = dense(x, units=4) as fc1 | relu\nz = dense(h, units=3) as extra\ny = dense(h, units=2) as fc2\noutput y\n";
        Graph g1 = load(a), g2 = load(a), g3 = load(b);
        float[] w = g1.value("fc1.weight").constant().floats();
        assertArrayEquals(w, g2.value("fc1.weight").constant().floats());
        assertArrayEquals(w, g3.value("fc1.weight").constant().floats(), "adding a layer changes no other layer's values");
        assertArrayEquals(g1.value("fc2.weight").constant().floats(), g3.value("fc2.weight").constant().floats());
        assertNotEquals(w[0], g1.value("fc2.weight").constant().floats()[0]);
        for (float v : w) assertEquals(0, v, 1 / Math.sqrt(8));
        Graph other = DslImporter.importText("weights seed(12)\n" + a, "t.kiln", dir, new ImportOptions());
        assertNotEquals(w[0], other.value("fc1.weight").constant().floats()[0], "another seed, other values");
    }

    @Test
    void weightsFromNpzAndSafetensorsByLayerName() {
        Map<String, NdArray> w = new LinkedHashMap<>();
        w.put("fc.weight", NdArray.ofFloats(Shape.of(2, 3), 1, 2, 3, 4, 5, 6));
        w.put("fc.bias", NdArray.ofFloats(Shape.of(3), 0.5f, -0.5f, 1));
        Npz.write(dir.resolve("w.npz"), w);
        SafeTensors.write(dir.resolve("w.safetensors"), w);
        for (String file : List.of("w.npz", "w.safetensors")) {
            Graph g = DslImporter.importText("weights \"" + file + "\"\ninput x: f32[1, 2]\ny = dense(x, units=3) as fc\noutput y\n", "t.kiln", dir, new ImportOptions());
            NdArray y = new Interpreter(g).run(Map.of("x", NdArray.ofFloats(Shape.of(1, 2), 1, -1))).get("y");
            // [1, -1] @ [[1, 2, 3], [4, 5, 6]] + [0.5, -0.5, 1] = [-2.5, -3.5, -2]
            assertArrayEquals(new float[] {-2.5f, -3.5f, -2f}, y.floats(), file);
            assertEquals(new TensorType(DType.F32, Shape.of(2, 3)), g.value("fc.weight").type());
        }
    }
}
