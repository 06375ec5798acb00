package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.FusedActivation;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.toolchain.CProgramRunner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fused epilogues of the nn kernels against the interpreter: every fusable activation on conv (grouped and
 * depthwise kernels), conv_transpose, gemm (with and without its epilogue) and matmul, a conv's residual input Z,
 * and f64. All built into one host program under ASan and UBSan.
 */
class FusedKernelsTest {
    private final Random rnd = new Random(11);
    private final List<Checker.Job> jobs = new ArrayList<>();

    private NdArray random(DType t, int... dims) {
        NdArray a = NdArray.zeros(t, Shape.of(dims));
        for (int i = 0; i < a.size(); i++) a.setDouble(i, rnd.nextGaussian() * 2);
        return a;
    }

    /** A job running {@code op} with fused activation {@code act} on input x and constants (null: absent). */
    private void job(String name, OpDef op, Attrs a, String act, Attrs actAttrs, NdArray x, NdArray... rest) {
        Graph g = new Graph(name);
        List<Value> ins = new ArrayList<>();
        ins.add(g.addInput("x", x.type()));
        for (NdArray r : rest) ins.add(r == null ? null : g.addConstant("c", r));
        Attrs fused = a;
        if (act != null) {
            Node actNode = g.addNode(Ops.get(act), "act", List.of(ins.get(0)), actAttrs);
            fused = FusedActivation.fuse(a, actNode);
            g.removeNode(actNode);
        }
        g.addOutput(g.addNode(op, "n", ins, fused).output(0));
        jobs.add(new Checker.Job(name, g, List.of(x)));
    }

    private static long[] l(long... v) { return v; }

    /** conv(t, w, b, Z) + relu with t = tanh(x) and Z = sigmoid(x), or Z = t itself; t and Z live in the arena. */
    private void residualInArena(String name, boolean zIsX) {
        Graph g = new Graph(name);
        NdArray x = random(DType.F32, 1, 3, 6, 6);
        Value in = g.addInput("x", x.type());
        Value t = g.addNode(Ops.TANH, "t", List.of(in), Attrs.EMPTY).output(0);
        Value z = zIsX ? t : g.addNode(Ops.SIGMOID, "z", List.of(in), Attrs.EMPTY).output(0);
        Node relu = g.addNode(Ops.RELU, "r", List.of(t), Attrs.EMPTY);
        Node conv = g.addNode(Ops.CONV, "n", java.util.Arrays.asList(t, g.addConstant("w", random(DType.F32, 3, 3, 3, 3)),
                g.addConstant("b", random(DType.F32, 3)), z), FusedActivation.fuse(Attrs.of("pads", l(1, 1, 1, 1)), relu));
        g.removeNode(relu);
        g.addOutput(g.addNode(Ops.NEG, "out", List.of(conv.output(0)), Attrs.EMPTY).output(0));
        jobs.add(new Checker.Job(name, g, List.of(x)));
    }

    @Test
    void fusedKernelsMatchTheInterpreter() {
        DType f = DType.F32;
        Map<String, Attrs> acts = Map.ofEntries(
                Map.entry("relu", Attrs.EMPTY), Map.entry("clip", Attrs.of("min", -0.5, "max", 1.0)),
                Map.entry("leaky_relu", Attrs.of("alpha", 0.2)), Map.entry("hard_sigmoid", Attrs.of("alpha", 0.25, "beta", 0.4)),
                Map.entry("hard_swish", Attrs.EMPTY), Map.entry("sigmoid", Attrs.EMPTY), Map.entry("tanh", Attrs.EMPTY),
                Map.entry("elu", Attrs.of("alpha", 0.7)), Map.entry("softplus", Attrs.EMPTY), Map.entry("mish", Attrs.EMPTY),
                Map.entry("swish", Attrs.of("alpha", 1.5)));
        for (Map.Entry<String, Attrs> e : acts.entrySet()) {
            String n = e.getKey();
            Attrs aa = e.getValue();
            job("conv_" + n, Ops.CONV, Attrs.of("pads", l(1, 1, 1, 1)), n, aa, random(f, 1, 3, 5, 5), random(f, 4, 3, 3, 3), random(f, 4));
            job("gemm_" + n, Ops.GEMM, Attrs.of("trans_b", 1L), n, aa, random(f, 3, 4), random(f, 5, 4));
            job("matmul_" + n, Ops.MATMUL, Attrs.EMPTY, n, aa, random(f, 2, 3, 4), random(f, 4, 5));
        }
        job("clip_max_only", Ops.CONV, Attrs.EMPTY, "clip", Attrs.of("max", 0.5), random(f, 1, 2, 4, 4), random(f, 3, 2, 1, 1));
        job("clip_min_only", Ops.CONV, Attrs.EMPTY, "clip", Attrs.of("min", 0.5), random(f, 1, 2, 4, 4), random(f, 3, 2, 1, 1));
        job("dw_relu", Ops.CONV, Attrs.of("group", 3L, "strides", l(2, 2), "pads", l(1, 0, 1, 2)), "relu", Attrs.EMPTY,
                random(f, 2, 3, 7, 6), random(f, 3, 1, 3, 3), random(f, 3));
        job("dw_multiplier", Ops.CONV, Attrs.of("group", 2L, "dilations", l(2, 1), "pads", l(2, 1, 2, 1)), "hard_swish", Attrs.EMPTY,
                random(f, 1, 2, 6, 6), random(f, 6, 1, 3, 3));
        job("dw_1d_f64", Ops.CONV, Attrs.of("group", 4L, "pads", l(1, 1)), "tanh", Attrs.EMPTY,
                random(DType.F64, 1, 4, 9), random(DType.F64, 4, 1, 3), random(DType.F64, 4));
        job("grouped", Ops.CONV, Attrs.of("group", 2L), "sigmoid", Attrs.EMPTY, random(f, 1, 4, 5, 5), random(f, 2, 2, 3, 3));
        job("convt_elu", Ops.CONV_TRANSPOSE, Attrs.of("strides", l(2, 2), "pads", l(1, 0, 0, 1)), "elu", Attrs.of("alpha", 0.5),
                random(f, 1, 2, 3, 3), random(f, 2, 3, 3, 3), random(f, 3));
        job("gemm_epilogue_relu6", Ops.GEMM, Attrs.of("alpha", 0.5, "beta", 2.0), "clip", Attrs.of("min", 0.0, "max", 6.0),
                random(f, 3, 4), random(f, 4, 5), random(f, 5));
        job("gemm_dot_f64", Ops.GEMM, Attrs.of("trans_b", 1L), "swish", Attrs.EMPTY, random(DType.F64, 2, 6), random(DType.F64, 1, 6));
        // residual Z: conv(x) + b + z, with and without an activation, grouped and depthwise kernels
        NdArray x = random(f, 1, 3, 5, 5);
        job("residual", Ops.CONV, Attrs.of("pads", l(1, 1, 1, 1)), null, null, x, random(f, 3, 3, 3, 3), random(f, 3), random(f, 1, 3, 5, 5));
        job("residual_relu_nobias", Ops.CONV, Attrs.of("pads", l(1, 1, 1, 1)), "relu", Attrs.EMPTY, x, random(f, 3, 3, 3, 3), null,
                random(f, 1, 3, 5, 5));
        job("residual_dw", Ops.CONV, Attrs.of("group", 3L), "relu", Attrs.EMPTY, x, random(f, 3, 1, 1, 1), random(f, 3),
                random(f, 1, 3, 5, 5));

        // Z in the arena: Y may take Z's buffer (Z computed), but never when Z is also X (an identity shortcut)
        residualInArena("residual_inplace", false);
        residualInArena("residual_is_x", true);

        List<Checker.Outcome> got = new CProgramRunner(Target.load("host"), true, null).runAll(jobs);
        assertEquals(jobs.size(), got.size());
        for (int j = 0; j < jobs.size(); j++) {
            Checker.Job job = jobs.get(j);
            Checker.Outcome o = got.get(j);
            assertNull(o.error(), job.name());
            assertNotNull(o.outputs(), job.name());
            NdArray want = new Interpreter(job.graph()).run(job.inputs()).get(0), have = o.outputs().get(0);
            assertEquals(want.type(), have.type(), job.name());
            for (int i = 0; i < want.size(); i++) {
                double w = want.getDouble(i), h = have.getDouble(i);
                assertEquals(w, h, 1e-5 + 1e-4 * Math.abs(w), job.name() + " element " + i + " of " + Arrays.toString(want.shape().dims()));
            }
        }
        assertTrue(jobs.size() > 30);
    }
}
