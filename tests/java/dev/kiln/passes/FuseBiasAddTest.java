package dev.kiln.passes;

import static dev.kiln.passes.FusionTesting.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** FuseBiasAdd and FoldScaleShift: per-channel constants after convs and matrix products. */
class FuseBiasAddTest {
    private static final DType F = DType.F32;

    private static Graph model() {
        Random rnd = new Random(4);
        Graph g = new Graph("g");
        Value x = g.addInput("x", TensorType.of(F, 1, 2, 4, 4));
        // conv * s[1, M, 1, 1] + b[M, 1, 1] (constant first), with an existing bias
        Value c = g.addNode(Ops.CONV, "conv", List.of(x, g.addConstant("w", random(rnd, F, 3, 2, 3, 3)), g.addConstant("b", random(rnd, F, 3))),
                Attrs.EMPTY).output(0);
        Value m = g.addNode(Ops.MUL, "mul", List.of(c, g.addConstant("s", random(rnd, F, 1, 3, 1, 1))), Attrs.EMPTY).output(0);
        g.addOutput(g.addNode(Ops.ADD, "add", List.of(g.addConstant("k", random(rnd, F, 3, 1, 1)), m), Attrs.EMPTY).output(0));
        // grouped conv_transpose * s[M, 1, 1]
        Value t = g.addNode(Ops.CONV_TRANSPOSE, "convt", List.of(x, g.addConstant("tw", random(rnd, F, 2, 2, 2, 2))), Attrs.of("group", 2L)).output(0);
        g.addOutput(g.addNode(Ops.MUL, "tmul", List.of(t, g.addConstant("ts", random(rnd, F, 4, 1, 1))), Attrs.EMPTY).output(0));
        // gemm (trans_b, C [1, N], beta 0.5) * s[N] + scalar
        Value a = g.addInput("a", TensorType.of(F, 3, 4));
        Value gm = g.addNode(Ops.GEMM, "gemm", List.of(a, g.addConstant("gw", random(rnd, F, 5, 4)), g.addConstant("gc", random(rnd, F, 1, 5))),
                Attrs.of("trans_b", 1L, "beta", 0.5)).output(0);
        Value gs = g.addNode(Ops.MUL, "gmul", List.of(gm, g.addConstant("gs", random(rnd, F, 5))), Attrs.EMPTY).output(0);
        g.addOutput(g.addNode(Ops.ADD, "gadd", List.of(gs, g.addConstant("gk", random(rnd, F))), Attrs.EMPTY).output(0));
        // matmul + [N] -> gemm
        Value mm = g.addNode(Ops.MATMUL, "matmul", List.of(a, g.addConstant("mw", random(rnd, F, 4, 2))), Attrs.EMPTY).output(0);
        g.addOutput(g.addNode(Ops.ADD, "madd", List.of(mm, g.addConstant("mk", random(rnd, F, 2))), Attrs.EMPTY).output(0));
        // conv + constant that varies over space: not a bias
        Value c2 = g.addNode(Ops.CONV, "conv2", List.of(x, g.addConstant("w2", random(rnd, F, 3, 2, 1, 1))), Attrs.EMPTY).output(0);
        g.addOutput(g.addNode(Ops.ADD, "sadd", List.of(c2, g.addConstant("sk", random(rnd, F, 1, 1, 4, 4))), Attrs.EMPTY).output(0));
        return g;
    }

    @Test
    void scalesThenShiftsFoldIntoWeightsAndBiases() {
        FusionTesting.Run r = FusionTesting.check(FuseBiasAddTest::model, 1e-5, new FoldScaleShift(), new FuseBiasAdd());
        assertTrue(r.changed());
        assertEquals(0, r.count("mul"));
        assertEquals(1, r.count("add"), "only the spatially varying add stays");
        assertTrue(r.noted("is not one value per output channel of conv2"));
        assertEquals(0, r.count("matmul"));
        assertEquals(2, r.count("gemm"));
        assertEquals(List.of("add", "tmul", "gadd", "madd", "sadd"), r.graph().outputs().stream().map(Value::name).toList());
        assertNotNull(r.graph().value("madd").producer().input(2), "the matmul's shift is the gemm's C");
        assertEquals(1.0, r.graph().value("gadd").producer().attrs().getFloat("beta"), "beta * C was folded into C");
    }

    @Test
    void scaleAloneLeavesNoBiasWhereThereWasNone() {
        FusionTesting.Run r = FusionTesting.check(FuseBiasAddTest::model, 1e-5, new FoldScaleShift());
        assertEquals(0, r.count("mul"));
        assertEquals(4, r.count("add"));
        assertEquals(2, r.graph().value("tmul").producer().numInputs(), "conv_transpose * s keeps no bias");
        assertEquals(1, r.count("matmul"));
    }
}
