package dev.kiln.passes;

import static dev.kiln.passes.FusionTesting.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.TestFiles;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.FusedActivation;
import dev.kiln.ops.Ops;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FuseResidualAddTest {
    private static final DType F = DType.F32;

    /**
     * relu(add(conv1(x), sigmoid(x))) where the sigmoid is scheduled after conv1 (so conv1 must move), and
     * add(conv2(x), conv3(x)) where both operands are convs.
     */
    private static Graph model() {
        Random rnd = new Random(8);
        Graph g = new Graph("g");
        Value x = g.addInput("x", TensorType.of(F, 1, 3, 5, 5));
        Value c1 = g.addNode(Ops.CONV, "conv1", List.of(x, g.addConstant("w1", random(rnd, F, 3, 3, 3, 3)), g.addConstant("b1", random(rnd, F, 3))),
                Attrs.of("pads", new long[] {1, 1, 1, 1})).output(0);
        Value s = g.addNode(Ops.SIGMOID, "sig", List.of(x), Attrs.EMPTY).output(0);
        Value a = g.addNode(Ops.ADD, "add1", List.of(c1, s), Attrs.EMPTY).output(0);
        g.addOutput(g.addNode(Ops.RELU, "relu", List.of(a), Attrs.EMPTY).output(0));
        Value c2 = g.addNode(Ops.CONV, "conv2", List.of(x, g.addConstant("w2", random(rnd, F, 3, 3, 1, 1))), Attrs.EMPTY).output(0);
        Value c3 = g.addNode(Ops.CONV, "conv3", List.of(x, g.addConstant("w3", random(rnd, F, 3, 1, 3, 3))),
                Attrs.of("group", 3L, "pads", new long[] {1, 1, 1, 1})).output(0);
        g.addOutput(g.addNode(Ops.ADD, "add2", List.of(c2, c3), Attrs.EMPTY).output(0));
        return g;
    }

    @Test
    void residualAddsMoveIntoConvsBeforeTheirActivation() {
        FusionTesting.Run r = FusionTesting.check(FuseResidualAddTest::model, 1e-6, new FuseResidualAdd(), new FuseActivations());
        assertEquals(0, r.count("add"));
        assertEquals(0, r.count("relu"));
        Node c1 = r.graph().value("relu").producer();
        assertEquals("conv1", c1.name());
        assertEquals("sig", c1.input(3).name());
        assertEquals("relu", c1.attrs().getString(FusedActivation.ACTIVATION));
        List<Node> order = r.graph().nodes();
        assertTrue(order.indexOf(c1) > order.indexOf(r.graph().node("sig")), "conv1 now runs after the sigmoid it reads");
        Node c3 = r.graph().value("add2").producer();
        assertEquals("conv3", c3.name(), "the later conv absorbs the earlier one's output");
        assertEquals("conv2", c3.input(3).producer().name());
    }

    @Test
    void sharedConvOutputsAndBroadcastsStay() {
        FusionTesting.Run r = FusionTesting.check(() -> {
            Graph g = model();
            g.addOutput(g.node("conv1").output(0));
            Value b = g.addNode(Ops.ADD, "add3", List.of(g.node("conv2").output(0), g.addConstant("k", random(new Random(1), F, 3, 1, 1))),
                    Attrs.EMPTY).output(0);
            g.addOutput(b);
            return g;
        }, 1e-6, new FuseResidualAdd());
        assertTrue(r.noted("add1: the output of conv1 has other readers"));
        assertEquals(2, r.count("add"));
    }

    @Test
    void resnet8ResidualsFuse() {
        Graph g = Kiln.load(TestFiles.models().resolve("resnet8_cifar10_op13/model.onnx"), new ImportOptions());
        long adds = g.nodes().stream().filter(n -> n.op() == Ops.ADD).count();
        assertEquals(3, adds);
        PassContext cx = new PassContext(null, null);
        Pipelines.level(2).run(g, cx);
        assertEquals(0, g.nodes().stream().filter(n -> n.op() == Ops.ADD || n.op() == Ops.RELU || n.op() == Ops.BATCH_NORM).count(), g.toString());
        List<Node> withZ = g.nodes().stream().filter(n -> n.op() == Ops.CONV && n.input(3) != null).toList();
        assertEquals(3, withZ.size());
        for (Node n : withZ) assertNotNull(FusedActivation.op(n.attrs()), n.name() + " applies the block's relu after its residual");
    }
}
