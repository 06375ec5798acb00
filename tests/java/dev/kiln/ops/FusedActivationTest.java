package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.diag.KilnException;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** FusedActivation: which nodes fuse, and that a fused conv/gemm/matmul gives bit for bit what conv + activation gave. */
class FusedActivationTest {
    private static final Random RND = new Random(3);

    private static NdArray random(int... dims) {
        NdArray a = NdArray.zeros(DType.F32, Shape.of(dims));
        for (int i = 0; i < a.size(); i++) a.setDouble(i, RND.nextGaussian() * 3);
        return a;
    }

    /** Every activation the registry has that canFuse accepts, with non-default attributes where it takes any. */
    static final Map<String, Attrs> CASES = Map.ofEntries(
            Map.entry("relu", Attrs.EMPTY), Map.entry("clip", Attrs.of("min", 0.0, "max", 6.0)),
            Map.entry("leaky_relu", Attrs.of("alpha", 0.2)), Map.entry("hard_sigmoid", Attrs.of("alpha", 0.25, "beta", 0.4)),
            Map.entry("hard_swish", Attrs.EMPTY), Map.entry("sigmoid", Attrs.EMPTY), Map.entry("tanh", Attrs.EMPTY),
            Map.entry("elu", Attrs.of("alpha", 0.7)), Map.entry("softplus", Attrs.EMPTY), Map.entry("mish", Attrs.EMPTY),
            Map.entry("swish", Attrs.of("alpha", 1.5)));

    @Test
    void fusableActivationsAreFoundByTraitsNotNames() {
        Graph g = new Graph("g");
        Value x = g.addInput("x", TensorType.of(DType.F32, 2, 3));
        for (OpDef op : Ops.all()) {
            if (!op.has(Trait.ACTIVATION) || op.signature().minInputs() != 1) continue;
            Node n = g.addNode(op, null, List.of(x), Attrs.EMPTY);
            boolean allFloat = op.signature().attrs().values().stream().allMatch(a -> a.type() == dev.kiln.ir.AttrType.FLOAT);
            assertEquals(allFloat, FusedActivation.canFuse(n), op.name());
        }
        assertFalse(FusedActivation.canFuse(g.addNode(Ops.GELU, null, List.of(x), Attrs.EMPTY)), "gelu has a STRING attribute");
        assertFalse(FusedActivation.canFuse(g.addNode(Ops.PRELU, null, List.of(x, g.addConstant("s", random(3))), Attrs.EMPTY)));
        Value lo = g.addInput("lo", TensorType.of(DType.F32));
        assertFalse(FusedActivation.canFuse(g.addNode(Ops.CLIP, null, List.of(x, lo), Attrs.EMPTY)), "clip with a bound input");
        Value xi = g.addInput("xi", TensorType.of(DType.I32, 4));
        assertFalse(FusedActivation.canFuse(g.addNode(Ops.RELU, null, List.of(xi), Attrs.EMPTY)), "integer relu");
        assertFalse(FusedActivation.canFuse(g.addNode(Ops.EXP, null, List.of(x), Attrs.EMPTY)), "exp is no activation");
        for (String name : CASES.keySet()) assertTrue(Ops.get(name).has(Trait.ACTIVATION), name);
    }

    @Test
    void fusedEqualsUnfusedBitForBit() {
        NdArray xd = random(1, 3, 6, 5), w = random(4, 3, 3, 3), b = random(4), a2 = random(4, 7), b2 = random(7, 5);
        for (Map.Entry<String, Attrs> e : CASES.entrySet()) {
            OpDef act = Ops.get(e.getKey());
            // conv
            Graph u = new Graph("u");
            Value x = u.addInput("x", xd.type());
            Node conv = u.addNode(Ops.CONV, "c", List.of(x, u.addConstant("w", w), u.addConstant("b", b)), Attrs.of("pads", new long[] {1, 0, 1, 2}));
            Node a = u.addNode(act, "a", List.of(conv.output(0)), e.getValue());
            u.addOutput(a.output(0));
            NdArray want = new Interpreter(u).run(Map.of("x", xd)).get(a.output(0).name());
            Graph f = new Graph("f");
            Value fx = f.addInput("x", xd.type());
            Node fc = f.addNode(Ops.CONV, "c", List.of(fx, f.addConstant("w", w), f.addConstant("b", b)),
                    FusedActivation.fuse(Attrs.of("pads", new long[] {1, 0, 1, 2}), a));
            f.addOutput(fc.output(0));
            NdArray got = new Interpreter(f).run(Map.of("x", xd)).get(fc.output(0).name());
            assertArrayEquals(want.floats(), got.floats(), "conv + " + e.getKey());
            // matmul and gemm
            Graph um = new Graph("um");
            Value ma = um.addInput("a", a2.type());
            Node mm = um.addNode(Ops.MATMUL, "m", List.of(ma, um.addConstant("b", b2)), Attrs.EMPTY);
            Node ma2 = um.addNode(act, "a", List.of(mm.output(0)), e.getValue());
            NdArray wantM = Interpreter.evaluate(ma2, List.of(Interpreter.evaluate(mm, List.of(a2, b2)).get(0))).get(0);
            Node fm = um.addNode(Ops.MATMUL, "fm", List.of(ma, um.addConstant("b2", b2)), FusedActivation.fuse(Attrs.EMPTY, ma2));
            assertArrayEquals(wantM.floats(), Interpreter.evaluate(fm, List.of(a2, b2)).get(0).floats(), "matmul + " + e.getKey());
            Node fg = um.addNode(Ops.GEMM, "fg", List.of(ma, um.addConstant("b3", b2)), FusedActivation.fuse(Attrs.EMPTY, ma2));
            assertArrayEquals(wantM.floats(), Interpreter.evaluate(fg, List.of(a2, b2)).get(0).floats(), "gemm + " + e.getKey());
        }
    }

    @Test
    void absentClipBoundsAreNaNParams() {
        Graph g = new Graph("g");
        Value x = g.addInput("x", TensorType.of(DType.F32, 3));
        Node clip = g.addNode(Ops.CLIP, null, List.of(x), Attrs.of("max", 6.0));
        Attrs fused = FusedActivation.fuse(Attrs.EMPTY, clip);
        assertEquals("clip", fused.getString(FusedActivation.ACTIVATION));
        double[] p = fused.getFloats(FusedActivation.PARAMS);
        assertTrue(Double.isNaN(p[0]));
        assertEquals(6.0, p[1]);
        assertEquals(Attrs.of("max", 6.0), FusedActivation.attrs(fused));
        NdArray y = FusedActivation.apply(fused, NdArray.ofFloats(Shape.of(3), -100f, 3f, 7f));
        assertArrayEquals(new float[] {-100f, 3f, 6f}, y.floats());
    }

    @Test
    void badFusedAttributesAreRefusedAtInference() {
        Graph g = new Graph("g");
        Value a = g.addInput("a", TensorType.of(DType.F32, 2, 3));
        Value b = g.addConstant("b", random(3, 4));
        assertThrows(KilnException.class, () -> g.addNode(Ops.MATMUL, null, List.of(a, b), Attrs.of("activation", "exp")));
        assertThrows(KilnException.class, () -> g.addNode(Ops.MATMUL, null, List.of(a, b), Attrs.of("activation", "gelu")));
        assertThrows(KilnException.class, () -> g.addNode(Ops.MATMUL, null, List.of(a, b),
                Attrs.of("activation", "relu", "activation_params", new double[] {1.0})));
        Value ai = g.addInput("ai", TensorType.of(DType.I32, 2, 3));
        Value bi = g.addInput("bi", TensorType.of(DType.I32, 3, 4));
        assertThrows(KilnException.class, () -> g.addNode(Ops.MATMUL, null, List.of(ai, bi), Attrs.of("activation", "relu")));
    }
}
