package dev.kiln.passes;

import static dev.kiln.passes.FusionTesting.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

class FuseActivationsTest {
    private static final DType F = DType.F32;

    /** conv -> relu6 (clip), gemm -> leaky_relu, matmul -> sigmoid, conv -> add -> relu (not fusable: add is no producer). */
    private static Graph model() {
        Random rnd = new Random(2);
        Graph g = new Graph("g");
        Value x = g.addInput("x", TensorType.of(F, 1, 2, 5, 5));
        Value c = g.addNode(Ops.CONV, "conv", List.of(x, g.addConstant("w", random(rnd, F, 3, 2, 3, 3)), g.addConstant("b", random(rnd, F, 3))),
                Attrs.of("pads", new long[] {1, 1, 1, 1})).output(0);
        g.addOutput(g.addNode(Ops.CLIP, "relu6", List.of(c), Attrs.of("min", 0.0, "max", 6.0)).output(0));
        Value a = g.addInput("a", TensorType.of(F, 3, 4));
        Value gm = g.addNode(Ops.GEMM, "gemm", List.of(a, g.addConstant("bw", random(rnd, F, 4, 5))), Attrs.EMPTY).output(0);
        g.addOutput(g.addNode(Ops.LEAKY_RELU, "leaky", List.of(gm), Attrs.of("alpha", 0.3)).output(0));
        Value mm = g.addNode(Ops.MATMUL, "matmul", List.of(a, g.addConstant("mw", random(rnd, F, 4, 2))), Attrs.EMPTY).output(0);
        g.addOutput(g.addNode(Ops.SIGMOID, "sig", List.of(mm), Attrs.EMPTY).output(0));
        Value s = g.addNode(Ops.ADD, "add", List.of(x, x), Attrs.EMPTY).output(0);
        g.addOutput(g.addNode(Ops.RELU, "relu", List.of(s), Attrs.EMPTY).output(0));
        return g;
    }

    @Test
    void activationsMoveIntoTheirProducersBitForBit() {
        FusionTesting.Run r = FusionTesting.check(FuseActivationsTest::model, 0, new FuseActivations());
        assertTrue(r.changed());
        assertEquals(0, r.count("clip") + r.count("leaky_relu") + r.count("sigmoid"));
        assertEquals(1, r.count("relu"), "relu after add stays");
        assertEquals("clip", r.only("conv").attrs().getString(FusedActivation.ACTIVATION));
        assertEquals("leaky_relu", r.only("gemm").attrs().getString(FusedActivation.ACTIVATION));
        assertEquals("sigmoid", r.only("matmul").attrs().getString(FusedActivation.ACTIVATION));
        assertEquals(List.of("relu6", "leaky", "sig", "relu"), r.graph().outputs().stream().map(Value::name).toList());
    }

    @Test
    void sharedOutputsAndSecondActivationsStay() {
        FusionTesting.Run r = FusionTesting.check(() -> {
            Graph g = model();
            Node conv = g.node("conv");
            g.addOutput(g.addNode(Ops.TANH, "tanh", List.of(conv.output(0)), Attrs.EMPTY).output(0));
            Value t = g.addNode(Ops.TANH, "tanh2", List.of(g.node("leaky").output(0)), Attrs.EMPTY).output(0);
            g.addOutput(t);
            return g;
        }, 0, new FuseActivations());
        assertEquals(1, r.count("clip"), "the conv's output has two readers");
        assertTrue(r.noted("has other readers"));
        assertFalse(FusedActivation.present(r.only("conv").attrs()));
        assertEquals(2, r.count("tanh"), "neither tanh fuses: one reads a shared conv output, one a graph output");
    }
}
