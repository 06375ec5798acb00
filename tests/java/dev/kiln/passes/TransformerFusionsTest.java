package dev.kiln.passes;

import static dev.kiln.passes.FusionTesting.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.Target;
import dev.kiln.backend.c.CBackend;
import dev.kiln.check.Checker;
import dev.kiln.check.Compare;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.FusedActivation;
import dev.kiln.ops.Ops;
import dev.kiln.ops.SoftmaxOp;
import dev.kiln.toolchain.CProgramRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 18's transformer fusions: LowerAttentionToMatMul, FuseSoftmaxScale, FuseBatchedBiasAdd and the layer
 * norm's fused activation (FuseActivations). Each rewrite keeps the interpreter's outputs; the rewritten graphs
 * run in one C program (sanitizers) and one OpenCL program, whose code shows the fused forms.
 */
class TransformerFusionsTest {
    private static Value in(Graph g, String name, int... dims) { return g.addInput(name, TensorType.of(DType.F32, dims)); }

    private static Value node(Graph g, dev.kiln.ops.OpDef op, String name, Attrs a, Value... ins) {
        return g.addNode(op, name, List.of(ins), a).output(0);
    }

    /** 3-D attention with heads, 4-D causal attention, 4-D with a constant bool mask. */
    private static Graph attention() {
        Random rnd = new Random(3);
        Graph g = new Graph("attn");
        Value q = in(g, "q", 2, 5, 12), k = in(g, "k", 2, 7, 12), v = in(g, "v", 2, 7, 8);
        g.addOutput(node(g, Ops.ATTENTION, "a3", Attrs.of("q_num_heads", 4L, "kv_num_heads", 4L), q, k, v));
        Value q4 = in(g, "q4", 1, 2, 6, 4), k4 = in(g, "k4", 1, 2, 6, 4), v4 = in(g, "v4", 1, 2, 6, 3);
        g.addOutput(node(g, Ops.ATTENTION, "causal", Attrs.of("is_causal", 1L, "scale", 0.3), q4, k4, v4));
        NdArray mask = NdArray.zeros(DType.BOOL, Shape.of(6, 6));
        for (int i = 0; i < mask.size(); i++) mask.setLong(i, i % 6 == 0 || rnd.nextBoolean() ? 1 : 0);
        g.addOutput(node(g, Ops.ATTENTION, "masked", Attrs.EMPTY, q4, k4, v4, g.addConstant("mask", mask)));
        return g;
    }

    @Test
    void plainAttentionBecomesMatmulsAndSoftmax() {
        FusionTesting.Run r = FusionTesting.check(TransformerFusionsTest::attention, 1e-5, new LowerAttentionToMatMul());
        assertTrue(r.changed());
        assertEquals(0, r.count("attention"));
        assertEquals(6, r.count("matmul"));
        assertEquals(3, r.count("softmax"));
        assertEquals(2, r.count("add"), "the causal and the bool mask become additive constants");
        assertEquals(List.of("a3", "causal", "masked"), r.graph().outputs().stream().map(Value::name).toList());
    }

    @Test
    void attentionTheDecompositionCannotExpressKeepsItsKernel() {
        FusionTesting.Run r = FusionTesting.check(() -> {
            Graph g = new Graph("keep");
            Value q = in(g, "q", 1, 4, 3, 4), k = in(g, "k", 1, 2, 3, 4), v = in(g, "v", 1, 2, 3, 4);
            Value k4 = in(g, "k4", 1, 4, 3, 4), v4 = in(g, "v4", 1, 4, 3, 4), m = in(g, "m", 3, 3);
            g.addOutput(node(g, Ops.ATTENTION, "gqa", Attrs.EMPTY, q, k, v));
            g.addOutput(node(g, Ops.ATTENTION, "cap", Attrs.of("softcap", 2.0), q, k4, v4));
            g.addOutput(node(g, Ops.ATTENTION, "window", Attrs.of("left_window_size", 1L), q, k4, v4));
            g.addOutput(node(g, Ops.ATTENTION, "runtime_mask", Attrs.EMPTY, q, k4, v4, m));
            NdArray all = NdArray.zeros(DType.F32, Shape.of(3, 3));
            for (int i = 0; i < 3; i++) all.setDouble(3 + i, Double.NEGATIVE_INFINITY);
            g.addOutput(node(g, Ops.ATTENTION, "masked_row", Attrs.EMPTY, q, k4, v4, g.addConstant("all", all)));
            return g;
        }, 1e-5, new LowerAttentionToMatMul());
        assertFalse(r.changed());
        assertEquals(5, r.count("attention"));
        for (String why : List.of("differ from Q heads", "softcap", "sliding window", "not a constant", "masks a whole row"))
            assertTrue(r.noted(why), why);
    }

    /** matmul -> mul/div by a constant -> softmax / log-softmax; a mul read twice stays. */
    private static Graph scaled() {
        Graph g = new Graph("scaled");
        Value a = in(g, "a", 2, 3, 4), b = in(g, "b", 2, 4, 5);
        Value s = node(g, Ops.MATMUL, "qk", Attrs.EMPTY, a, b);
        Value m = node(g, Ops.MUL, "mul", Attrs.EMPTY, s, g.addConstant("c", NdArray.scalar(DType.F32, 0.5)));
        g.addOutput(node(g, Ops.SOFTMAX, "sm", Attrs.of("axis", -1L), m));
        Value d = node(g, Ops.DIV, "div", Attrs.EMPTY, s, g.addConstant("c2", NdArray.ofFloats(Shape.of(1), -4f)));
        g.addOutput(node(g, Ops.LOG_SOFTMAX, "lsm", Attrs.of("axis", 1L), d));
        Value m2 = node(g, Ops.MUL, "mul2", Attrs.EMPTY, g.addConstant("c3", NdArray.scalar(DType.F32, 2)), s);
        g.addOutput(node(g, Ops.SOFTMAX, "twice", Attrs.EMPTY, m2));
        g.addOutput(m2);
        return g;
    }

    @Test
    void aConstantScaleMovesIntoSoftmax() {
        FusionTesting.Run r = FusionTesting.check(TransformerFusionsTest::scaled, 1e-5, new FuseSoftmaxScale());
        assertTrue(r.changed());
        assertEquals(1, r.count("mul"), "the mul read twice stays");
        assertEquals(0, r.count("div"));
        assertEquals(0.5, r.graph().node("sm").attrs().getFloat(SoftmaxOp.SCALE), 0);
        assertEquals(-0.25, r.graph().node("lsm").attrs().getFloat(SoftmaxOp.SCALE), 0);
        assertTrue(r.noted("has other readers"));
    }

    /** Linear layers on [batch, tokens, features]: matmul + bias (either order) and one with a run-time weight. */
    private static Graph linear() {
        Random rnd = new Random(4);
        Graph g = new Graph("linear");
        Value x = in(g, "x", 2, 5, 8);
        Value y = node(g, Ops.MATMUL, "fc", Attrs.EMPTY, x, g.addConstant("w", random(rnd, DType.F32, 8, 6)));
        g.addOutput(node(g, Ops.ADD, "bias", Attrs.EMPTY, g.addConstant("b", random(rnd, DType.F32, 6)), y));
        Value w = in(g, "w_in", 8, 3);
        Value z = node(g, Ops.MATMUL, "dyn", Attrs.EMPTY, x, w);
        g.addOutput(node(g, Ops.ADD, "bias2", Attrs.EMPTY, z, g.addConstant("b2", random(rnd, DType.F32, 3))));
        return g;
    }

    @Test
    void aBatchedBiasAddBecomesAGemm() {
        FusionTesting.Run r = FusionTesting.check(TransformerFusionsTest::linear, 1e-5, new FuseBatchedBiasAdd());
        assertTrue(r.changed());
        assertEquals(1, r.count("gemm"));
        assertEquals(1, r.count("matmul"), "a run-time weight keeps its matmul and add");
        assertEquals(1, r.count("add"));
        assertEquals(List.of(10, 6), List.of(r.only("gemm").output(0).shape().dims()[0], r.only("gemm").output(0).shape().dims()[1]));
        assertTrue(r.noted("no constant 2-D float weight"));
    }

    /** Layer norm -> relu, and layer norm -> tanh with its Mean output read too. */
    private static Graph norm() {
        Random rnd = new Random(6);
        Graph g = new Graph("norm");
        Value x = in(g, "x", 3, 4, 10);
        Value s = g.addConstant("s", random(rnd, DType.F32, 10)), b = g.addConstant("b", random(rnd, DType.F32, 10));
        g.addOutput(node(g, Ops.RELU, "relu", Attrs.EMPTY, node(g, Ops.LAYER_NORMALIZATION, "ln", Attrs.EMPTY, x, s, b)));
        dev.kiln.ir.Node ln2 = g.addNode(Ops.LAYER_NORMALIZATION, "ln2", List.of(x, g.addConstant("s1", NdArray.scalar(DType.F32, 1.5))), Attrs.of("axis", 1L), 2);
        g.addOutput(node(g, Ops.TANH, "tanh", Attrs.EMPTY, ln2.output(0)));
        g.addOutput(ln2.output(1));
        return g;
    }

    @Test
    void anActivationAfterALayerNormRunsInItsStore() {
        FusionTesting.Run r = FusionTesting.check(TransformerFusionsTest::norm, 0, new FuseActivations());
        assertTrue(r.changed());
        assertEquals(2, r.count("layer_normalization"));
        assertEquals(0, r.count("relu") + r.count("tanh"));
        assertEquals("relu", FusedActivation.op(r.graph().node("ln").attrs()).name());
    }

    /** All four rewrites' results run in one C program under sanitizers and one OpenCL program, equal to the interpreter. */
    @Test
    void theFusedFormsRunOnEveryBackend() {
        List<Graph> graphs = List.of(attention(), scaled(), linear(), norm());
        List<Checker.Job> jobs = new ArrayList<>();
        Random rnd = new Random(8);
        PassContext cx = new PassContext(null, null);
        String code = "";
        for (Graph g : graphs) {
            new Pipeline("t", List.of(new LowerAttentionToMatMul(), new FuseBatchedBiasAdd(), new FuseSoftmaxScale(), new FuseActivations())).run(g, cx);
            List<NdArray> ins = new ArrayList<>();
            for (Value v : g.inputs()) ins.add(random(rnd, v.dtype(), v.shape().dims()));
            jobs.add(new Checker.Job(g.name(), g, ins));
            code += new CBackend().generate(g, Target.load("host"), new Backend.Options(g.name(), null, "t.onnx")).files().get(g.name() + ".c");
        }
        // the generated code shows each fused form: the softmax scale, the layer norm's relu, no attention loop
        assertTrue(code.contains(") * 0.5f"), "softmax multiplies by its scale");
        assertTrue(code.contains(") * -0.25f"), "log-softmax multiplies by 1 / -4");
        assertTrue(code.contains("(v < 0 ? 0 : v)"), "the layer norm stores relu(v)");
        List<Checker.Outcome> c = new CProgramRunner(Target.load("host"), true, null).runAll(jobs);
        List<Checker.Outcome> cl = dev.kiln.backend.opencl.runtime.OpenClRunner.create(null, null, null, null).runAll(jobs);
        for (int j = 0; j < jobs.size(); j++) {
            List<NdArray> want = new Interpreter(jobs.get(j).graph()).run(jobs.get(j).inputs());
            for (Checker.Outcome o : List.of(c.get(j), cl.get(j))) {
                assertNull(o.error(), jobs.get(j).name());
                for (int i = 0; i < want.size(); i++)
                    assertNull(Compare.mismatch(want.get(i), o.outputs().get(i), 1e-5, 1e-5), jobs.get(j).name() + " output " + i);
            }
        }
    }
}
