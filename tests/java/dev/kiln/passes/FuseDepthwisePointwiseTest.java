package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.Target;
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
import dev.kiln.ops.Ops;
import dev.kiln.toolchain.CProgramRunner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** FuseDepthwisePointwise and separable_conv: same outputs in the interpreter and in C, smaller arena. */
class FuseDepthwisePointwiseTest {
    private final Random rnd = new Random(4);

    private NdArray random(int... dims) {
        NdArray a = NdArray.zeros(DType.F32, Shape.of(dims));
        for (int i = 0; i < a.size(); i++) a.setDouble(i, rnd.nextGaussian());
        return a;
    }

    /**
     * x [1, c, 9, 10] -> depthwise (multiplier r, relu6 fused) -> 1×1 conv to m channels (relu fused, optional
     * residual input z) -> y; {@code dwAttrs} gives the window.
     */
    private Graph pair(String name, int c, int r, int m, Attrs dwAttrs, boolean biases, boolean residual) {
        Graph g = new Graph(name);
        Value x = g.addInput("x", new TensorType(DType.F32, Shape.of(1, c, 9, 10)));
        Node clip = g.addNode(Ops.CLIP, "six", List.of(x), Attrs.of("min", 0.0, "max", 6.0)); // a template for the fused attrs
        Attrs da = FusedActivation.fuse(dwAttrs.with("group", (long) c), clip);
        g.removeNode(clip);
        Node dw = g.addNode(Ops.CONV, "dw", Arrays.asList(x, g.addConstant("wd", random(c * r, 1, 3, 3)), biases ? g.addConstant("bd", random(c * r)) : null), da);
        int oh = dw.output(0).shape().dim(2), ow = dw.output(0).shape().dim(3);
        Value z = residual ? g.addInput("z", new TensorType(DType.F32, Shape.of(1, m, oh, ow))) : null;
        Attrs pa = Attrs.of(FusedActivation.ACTIVATION, "relu");
        Node pw = g.addNode(Ops.CONV, "pw", Arrays.asList(dw.output(0), g.addConstant("wp", random(m, c * r, 1, 1)),
                biases ? g.addConstant("bp", random(m)) : null, z), pa);
        g.addOutput(pw.output(0));
        return g;
    }

    private List<Graph> cases() {
        long[] p1 = {1, 1, 1, 1};
        return List.of(
                pair("s2_pads_mult2", 3, 2, 5, Attrs.of("strides", new long[] {2, 2}, "pads", p1), true, false),
                pair("dil_residual", 4, 1, 6, Attrs.of("dilations", new long[] {2, 1}, "pads", new long[] {2, 0, 1, 1}), false, true),
                pair("valid", 8, 1, 4, Attrs.EMPTY, true, false));
    }

    @Test
    void fusedPairGivesTheSameOutputsInTheInterpreter() {
        for (Graph g : cases()) {
            List<NdArray> in = RewriteTesting.randomInputs(g, 3);
            List<NdArray> before = RewriteTesting.run(g, in);
            long macs = RewriteTesting.macs(g);
            PassContext cx = RewriteTesting.context(-1);
            assertTrue(new FuseDepthwisePointwise().run(g, cx), g.name() + ": " + cx.notes());
            GraphVerifier.verify(g);
            assertEquals(1, g.nodes().size(), g.name());
            assertEquals("separable_conv", g.nodes().get(0).op().name());
            assertEquals(macs, RewriteTesting.macs(g), g.name());
            assertEquals(before, RewriteTesting.run(g, in), g.name() + ": the composition is exact");
        }
    }

    @Test
    void anotherUseOfTheDepthwiseOutputKeepsThePair() {
        Graph g = pair("two_uses", 3, 1, 4, Attrs.EMPTY, true, false);
        g.addOutput(g.nodes().get(0).output(0));
        PassContext cx = RewriteTesting.context(-1);
        assertTrue(!new FuseDepthwisePointwise().run(g, cx));
        assertTrue(cx.notes().get(0).contains("graph output"), cx.notes().toString());
    }

    @Test
    void separableKernelMatchesTheInterpreterUnderSanitizers() {
        List<Checker.Job> jobs = new ArrayList<>();
        for (Graph g : cases()) {
            new FuseDepthwisePointwise().run(g, RewriteTesting.context(-1));
            jobs.add(new Checker.Job(g.name(), g, RewriteTesting.randomInputs(g, 8)));
        }
        List<Checker.Outcome> got = new CProgramRunner(Target.load("host"), true, null).runAll(jobs);
        for (int j = 0; j < jobs.size(); j++) {
            Checker.Job job = jobs.get(j);
            assertNull(got.get(j).error(), job.name());
            NdArray want = new Interpreter(job.graph()).run(job.inputs()).get(0);
            assertNull(Compare.mismatch(want, got.get(j).outputs().get(0), 1e-4, 1e-4), job.name());
        }
    }

    /** The C arena of {@code g} on the host. */
    private static long arena(Graph g) {
        // the compact kernels' arena: the speed kernels add scratch of their own (gathered columns, padded planes)
        Target plain = Target.load("host").with(java.util.Map.of("optimize", "size", "vector.bytes", "0"));
        return Backend.find("c").generate(g, plain, new Backend.Options("m", null, null)).plan().arenaBytes();
    }

    /** An inverted residual block: x [1, 8, 16, 16] -> 1×1 expand to 48 (relu) -> depthwise 3×3 (relu) -> 1×1 project to 8 -> 3×3 conv. */
    private Graph invertedResidual() {
        Graph g = new Graph("inverted_residual");
        Value x = g.addInput("x", new TensorType(DType.F32, Shape.of(1, 8, 16, 16)));
        Attrs relu = Attrs.of(FusedActivation.ACTIVATION, "relu"), p1 = Attrs.of("pads", new long[] {1, 1, 1, 1});
        Node e = g.addNode(Ops.CONV, "expand", List.of(x, g.addConstant("we", random(48, 8, 1, 1))), relu);
        Node dw = g.addNode(Ops.CONV, "dw", List.of(e.output(0), g.addConstant("wd", random(48, 1, 3, 3))), relu.with("group", 48L).with("pads", p1.get("pads")));
        Node pr = g.addNode(Ops.CONV, "project", List.of(dw.output(0), g.addConstant("wp", random(8, 48, 1, 1))), Attrs.EMPTY);
        Node c = g.addNode(Ops.CONV, "next", List.of(pr.output(0), g.addConstant("wn", random(8, 8, 3, 3))), p1);
        g.addOutput(c.output(0));
        return g;
    }

    @Test
    void arenaShrinksWhereTheIntermediateIsTheLargestTensor() {
        Graph g = invertedResidual();
        List<NdArray> in = RewriteTesting.randomInputs(g, 5);
        List<NdArray> before = RewriteTesting.run(g, in);
        long a0 = arena(g);
        assertTrue(new FuseDepthwisePointwise().run(g, RewriteTesting.context(-1)));
        long a1 = arena(g);
        // unfused: expand output + dw output live together (2 × 48 channels); fused: expand output + projection + one row
        assertEquals(2L * 48 * 256 * 4, a0);
        assertEquals(48L * 256 * 4 + 8 * 256 * 4 + 48 * 16 * 4, a1);
        assertEquals(before, RewriteTesting.run(g, in));
    }

    @Test
    void kwsAndVwwPairsAreKeptBecauseFusingWouldNotLowerTheirPeak() {
        // their depthwise convs keep the channel count and the 1×1 convs widen or keep it: mid <= min(x, y)
        for (String model : List.of("ds_cnn_kws_op13", "mobilenet_v1_025_vww_op13")) {
            Graph g = RewriteTesting.model(model);
            PassContext cx = RewriteTesting.context(-1);
            Pipelines.level(2).run(g, cx);
            long a0 = arena(g);
            assertTrue(!new FuseDepthwisePointwise().run(g, cx), model);
            assertTrue(cx.notes().stream().anyMatch(s -> s.contains("would not lower the pair's live bytes")), model);
            assertEquals(a0, arena(g), model);
        }
    }
}
