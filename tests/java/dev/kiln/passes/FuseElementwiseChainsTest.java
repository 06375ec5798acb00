package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Target;
import dev.kiln.backend.Templates;
import dev.kiln.check.Checker;
import dev.kiln.check.Compare;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.GraphVerifier;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.FusedActivation;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.toolchain.CProgramRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** FuseElementwiseChains and fused_elementwise: same outputs before and after, in the interpreter and in C. */
class FuseElementwiseChainsTest {
    private final Random rnd = new Random(12);

    private NdArray random(DType t, int... dims) {
        NdArray a = NdArray.zeros(t, Shape.of(dims));
        for (int i = 0; i < a.size(); i++) a.setDouble(i, rnd.nextGaussian());
        return a;
    }

    private static Node op(Graph g, OpDef op, Attrs a, Value... ins) { return g.addNode(op, null, List.of(ins), a); }

    /**
     * x [2,3,4,5] -> add(., c[5]) -> relu -> mul(., y[1,3,1,1]) -> sub(0.5, .) -> div(., d[3,1,1]) -> max(., 0.1)
     * -> min(w, .) -> clip(-1, 2) -> t; swish: sigmoid(t) -> mul(t, .) -> leaky_relu -> out. t has two uses: two chains.
     */
    private Graph chains(DType f) {
        Graph g = new Graph("chains_" + f.shortName());
        Value x = g.addInput("x", new TensorType(f, Shape.of(2, 3, 4, 5)));
        Value y = g.addInput("y", new TensorType(f, Shape.of(1, 3, 1, 1)));
        Value w = g.addInput("w", new TensorType(f, Shape.of(2, 3, 4, 5)));
        Value v = op(g, Ops.ADD, Attrs.EMPTY, x, g.addConstant("c", random(f, 5))).output(0);
        v = op(g, Ops.RELU, Attrs.EMPTY, v).output(0);
        v = op(g, Ops.MUL, Attrs.EMPTY, v, y).output(0);
        v = op(g, Ops.SUB, Attrs.EMPTY, g.addConstant("half", NdArray.scalar(f, 0.5)), v).output(0);
        v = op(g, Ops.DIV, Attrs.EMPTY, v, g.addConstant("d", random(f, 3, 1, 1))).output(0);
        v = op(g, Ops.MAX, Attrs.EMPTY, v, g.addConstant("floor", NdArray.scalar(f, 0.1))).output(0);
        v = op(g, Ops.MIN, Attrs.EMPTY, w, v).output(0);
        Value t = op(g, Ops.CLIP, Attrs.of("min", -1.0, "max", 2.0), v).output(0);
        Value s = op(g, Ops.SIGMOID, Attrs.EMPTY, t).output(0);
        s = op(g, Ops.MUL, Attrs.EMPTY, t, s).output(0);
        g.addOutput(op(g, Ops.LEAKY_RELU, Attrs.of("alpha", 0.2), s).output(0));
        return g;
    }

    @Test
    void chainsFuseAndGiveTheSameOutputs() {
        Graph g = chains(DType.F32);
        List<NdArray> in = RewriteTesting.randomInputs(g, 6);
        List<NdArray> before = RewriteTesting.run(g, in);
        PassContext cx = RewriteTesting.context(-1);
        assertTrue(new FuseElementwiseChains().run(g, cx));
        GraphVerifier.verify(g);
        assertEquals(2, g.nodes().size(), g.toString());
        assertEquals(2, RewriteTesting.count(g, "fused_elementwise"));
        assertEquals(8, g.nodes().get(0).attrs().getStrings("steps").length);
        assertEquals(List.of("sigmoid", "mul", "leaky_relu"), List.of(g.nodes().get(1).attrs().getStrings("steps")));
        assertEquals(before, RewriteTesting.run(g, in), "each step is the op's own evaluate: bit for bit the same");
        assertTrue(cx.notes().get(0).contains("8 ops from"), cx.notes().toString());
    }

    /** x [2,3,4] -> sin -> mul(., y[4]) -> shrink -> thresholded_relu -> cosh -> atan -> sub(., z) -> out. */
    private Graph mathChain() {
        Graph g = new Graph("math_chain");
        Value x = g.addInput("x", new TensorType(DType.F32, Shape.of(2, 3, 4)));
        Value y = g.addInput("y", new TensorType(DType.F32, Shape.of(4)));
        Value z = g.addInput("z", new TensorType(DType.F32, Shape.of(2, 3, 4)));
        Value v = op(g, Ops.get("sin"), Attrs.EMPTY, x).output(0);
        v = op(g, Ops.MUL, Attrs.EMPTY, v, y).output(0);
        v = op(g, Ops.get("shrink"), Attrs.of("lambd", 0.2, "bias", -0.1), v).output(0);
        v = op(g, Ops.get("thresholded_relu"), Attrs.of("alpha", -0.05), v).output(0);
        v = op(g, Ops.get("cosh"), Attrs.EMPTY, v).output(0);
        v = op(g, Ops.get("atan"), Attrs.EMPTY, v).output(0);
        g.addOutput(op(g, Ops.SUB, Attrs.EMPTY, v, z).output(0));
        return g;
    }

    /** Issue 18's float functions of one variable are activations, so they join chains; C and OpenCL compute them. */
    @Test
    void mathFunctionsJoinChainsOnEveryBackend() {
        Graph g = mathChain();
        List<NdArray> in = new ArrayList<>();
        for (Value v : g.inputs()) in.add(random(DType.F32, v.shape().dims()));
        List<NdArray> before = RewriteTesting.run(g, in);
        assertTrue(new FuseElementwiseChains().run(g, RewriteTesting.context(-1)));
        assertEquals(1, g.nodes().size(), g.toString());
        assertEquals(List.of("sin", "mul", "shrink", "thresholded_relu", "cosh", "atan", "sub"),
                List.of(g.nodes().get(0).attrs().getStrings("steps")));
        assertEquals(before, RewriteTesting.run(g, in), "each step is the op's own evaluate: bit for bit the same");
        List<Checker.Job> jobs = List.of(new Checker.Job(g.name(), g, in));
        List<Checker.Outcome> c = new CProgramRunner(Target.load("host"), true, null).runAll(jobs);
        List<Checker.Outcome> cl = dev.kiln.backend.opencl.runtime.OpenClRunner.create(null, null, null, null).runAll(jobs);
        for (Checker.Outcome o : List.of(c.get(0), cl.get(0))) {
            assertNull(o.error());
            assertNull(Compare.mismatch(before.get(0), o.outputs().get(0), 1e-5, 1e-6));
        }
    }

    @Test
    void anIntermediateReadTwiceEndsTheChain() {
        Graph g = new Graph("two_uses");
        Value x = g.addInput("x", new TensorType(DType.F32, Shape.of(4)));
        Value r = op(g, Ops.RELU, Attrs.EMPTY, x).output(0);
        g.addOutput(op(g, Ops.ADD, Attrs.EMPTY, r, r).output(0));
        assertFalse(new FuseElementwiseChains().run(g, RewriteTesting.context(-1)));
        assertEquals(2, g.nodes().size());
    }

    /**
     * ViT's tanh GELU, x * (0.5 + 0.5 tanh(0.79788456 (x + 0.044715 x^3))), as chains: on f32 vector hosts the tanh
     * and a sigmoid after it take kiln_runtime.h's vectorisable forms (below |t| = 1/4 the polynomial branch).
     */
    private Graph geluChain(DType f) {
        Graph g = new Graph("gelu_tanh_" + f.shortName());
        Value x = g.addInput("x", new TensorType(f, Shape.of(3, 70)));
        Value c = op(g, Ops.MUL, Attrs.EMPTY, x, x).output(0);
        c = op(g, Ops.MUL, Attrs.EMPTY, c, x).output(0);
        c = op(g, Ops.MUL, Attrs.EMPTY, c, g.addConstant("k", NdArray.scalar(f, 0.044715))).output(0);
        c = op(g, Ops.ADD, Attrs.EMPTY, x, c).output(0);
        c = op(g, Ops.MUL, Attrs.EMPTY, c, g.addConstant("s", NdArray.scalar(f, 0.7978845608))).output(0);
        c = op(g, Ops.TANH, Attrs.EMPTY, c).output(0);
        c = op(g, Ops.MUL, Attrs.EMPTY, c, g.addConstant("w", random(f, 70))).output(0);
        g.addOutput(op(g, Ops.SIGMOID, Attrs.EMPTY, c).output(0));
        return g;
    }

    @Test
    void fusedChainsMatchTheInterpreterInCUnderSanitizers() {
        List<Checker.Job> jobs = new ArrayList<>();
        for (DType f : List.of(DType.F32, DType.F64)) {
            Graph g = geluChain(f);
            assertTrue(new FuseElementwiseChains().run(g, RewriteTesting.context(-1)));
            NdArray x = random(f, 3, 70);
            for (int i = 0; i < 70; i++) x.setDouble(70 + i, (i - 35) / 140.0);
            for (int i = 0; i < 70; i++) x.setDouble(140 + i, (i - 35) * 0.8);
            x.setDouble(3, Double.NaN);
            x.setDouble(4, Double.POSITIVE_INFINITY);
            x.setDouble(5, Double.NEGATIVE_INFINITY);
            jobs.add(new Checker.Job(g.name(), g, List.of(x)));
        }
        for (DType f : List.of(DType.F32, DType.F64)) {
            Graph g = chains(f);
            assertTrue(new FuseElementwiseChains().run(g, RewriteTesting.context(-1)));
            List<NdArray> in = new ArrayList<>();
            for (Value v : g.inputs()) in.add(random(f, v.shape().dims()));
            jobs.add(new Checker.Job(g.name(), g, in));
        }
        List<Checker.Outcome> got = new CProgramRunner(Target.load("host"), true, null).runAll(jobs);
        for (int j = 0; j < jobs.size(); j++) {
            Checker.Job job = jobs.get(j);
            assertNull(got.get(j).error(), job.name());
            NdArray want = new Interpreter(job.graph()).run(job.inputs()).get(0);
            assertNull(Compare.mismatch(want, got.get(j).outputs().get(0), 1e-5, 1e-6), job.name());
        }
    }

    @Test
    void everyOpThePassFusesHasAScalarCTemplate() {
        Templates c = new Templates("c", null);
        int steps = 0;
        for (OpDef op : Ops.all()) {
            for (int arity = 1; arity <= 2; arity++) {
                Graph g = new Graph("probe");
                List<Value> ins = new ArrayList<>();
                for (int i = 0; i < arity; i++) ins.add(g.addInput("x" + i, new TensorType(DType.F32, Shape.of(3))));
                Node n;
                try {
                    n = g.addNode(op, "n", ins, Attrs.EMPTY);
                } catch (RuntimeException e) {
                    continue; // the op does not take this many float inputs without attributes
                }
                if (!FuseElementwiseChains.isStep(n)) continue;
                steps++;
                assertTrue(c.has("scalar_" + op.name()), op.name() + " can be fused but has no scalar_" + op.name() + " template");
                if (arity == 1) assertTrue(FusedActivation.canFuse(n), op.name());
            }
        }
        assertTrue(steps >= 16, "fusable step kinds: " + steps);
    }
}
