package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.Resources;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.quant.FixedPoint;
import dev.kiln.toolchain.CProgramRunner;
import dev.kiln.toolchain.Exec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fast int8 kernels of DSP targets against the interpreter, byte for byte, under qemu on cortex-m4f: the blocked
 * SMLAD convolution (1x1 with a partial last block of positions, batch 2, padded strided windows with an odd number
 * of weight quads, windows whose last weight quad is partial, inputs at the extremes) and the depthwise kernel over a zero-padded plane (3x3 with pads, stride
 * 2, dilation 2, a channel multiplier, 1-D, 5x5, a clamp narrower than int8); the same graphs on cortex-m0plus stay on
 * the portable kernels. Also the branch-free requantization helper against {@link FixedPoint} on the host.
 */
class Int8DspKernelsTest {
    private final Random r = new Random(97);

    private List<Checker.Job> cases() {
        r.setSeed(97);
        List<Checker.Job> jobs = new ArrayList<>();
        // 1x1: 8 -> 6 channels over 3x3 = 9 positions (two blocks of four and one of one), batch 2, bias
        jobs.add(conv("pw_tail_batch", 2, 8, 3, 3, 6, 1, 1, 1, Attrs.of("out_scale", 0.3, "out_zero_point", 2L), true, -128, 127));
        // 1x1 with 4 input channels (one quad), no bias, 4x4 positions, relu as a clamp from the zero point
        jobs.add(conv("pw_one_quad", 1, 4, 4, 4, 5, 1, 1, 1, Attrs.of("out_scale", 0.1, "out_zero_point", -20L, "act_min", -20L,
                "act_max", 127L), false, -128, 127));
        // DS-CNN's first layer in small: one input channel, 10x4 window, stride 2, uneven pads (40 taps: 10 quads)
        jobs.add(conv("first_layer", 1, 1, 13, 8, 8, 10, 4, 1, Attrs.of("strides", new long[] {2, 2}, "pads", new long[] {4, 1, 5, 2},
                "out_scale", 0.2, "out_zero_point", -3L), true, -128, 127));
        // 3 input channels of 2x2 taps (12 per output: an odd number of quads), pads, 3 positions per row
        jobs.add(conv("odd_quads", 1, 3, 5, 3, 4, 2, 2, 1, Attrs.of("pads", new long[] {1, 0, 0, 0}, "out_scale", 0.15,
                "out_zero_point", 7L, "act_min", -90L, "act_max", 90L), true, -128, 127));
        // a 3-channel 3x3 stem (27 taps: a partial last quad padded with zero weights), pads, stride 2
        jobs.add(conv("stem_partial_quad", 1, 3, 9, 7, 8, 3, 3, 1, Attrs.of("strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1},
                "out_scale", 0.12, "out_zero_point", -6L), true, -128, 127));
        // 18 taps without pads: the window's zero tail is cleared once, not per position
        jobs.add(conv("partial_quad_unpadded", 1, 2, 6, 5, 5, 3, 3, 1, Attrs.of("out_scale", 0.1, "out_zero_point", 3L), true, -128, 127));
        // 1x1 over 6 channels (a partial quad of channels): the window path, not the direct pointwise one
        jobs.add(conv("pw_six_channels", 2, 6, 3, 4, 5, 1, 1, 1, Attrs.of("out_scale", 0.2, "out_zero_point", -1L), false, -128, 127));
        // inputs at both ends against weights of +-127 and large biases: the requantization's extremes
        jobs.add(conv("pw_extreme", 1, 16, 2, 3, 4, 1, 1, 1, Attrs.of("out_scale", 0.9, "out_zero_point", 0L), true, -128, 127));
        // depthwise 3x3, pads 1 (DS-CNN's layers)
        jobs.add(conv("dw_3x3", 1, 6, 7, 5, 6, 3, 3, 6, Attrs.of("pads", new long[] {1, 1, 1, 1}, "out_scale", 0.05, "out_zero_point", 4L),
                true, -128, 127));
        // stride 2 and a channel multiplier of two
        jobs.add(conv("dw_stride_mult", 1, 3, 8, 7, 6, 3, 3, 3, Attrs.of("strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1},
                "out_scale", 0.04, "out_zero_point", -5L), true, -128, 127));
        // dilation 2 (no adjacent taps: single taps only), asymmetric pads, a narrow clamp
        jobs.add(conv("dw_dilated", 1, 2, 9, 9, 2, 3, 3, 2, Attrs.of("dilations", new long[] {2, 2}, "pads", new long[] {2, 1, 0, 2},
                "out_scale", 0.06, "out_zero_point", 10L, "act_min", -50L, "act_max", 60L), false, -128, 127));
        // 5x5 (two pairs and a single per row) and 1-D
        jobs.add(conv("dw_5x5", 1, 2, 6, 6, 2, 5, 5, 2, Attrs.of("pads", new long[] {2, 2, 2, 2}, "out_scale", 0.08, "out_zero_point", 0L),
                true, -128, 127));
        jobs.add(conv("dw_1d", 1, 3, 11, 0, 3, 3, 0, 3, Attrs.of("pads", new long[] {1, 1}, "out_scale", 0.05, "out_zero_point", 1L),
                true, -128, 127));
        return jobs;
    }

    @Test
    void cortexM4fFastKernelsMatchTheInterpreter() {
        List<Checker.Job> jobs = cases();
        List<Checker.Outcome> got = new CProgramRunner(Target.load("cortex-m4f"), false, null).runAll(jobs);
        for (int i = 0; i < jobs.size(); i++) {
            Checker.Job j = jobs.get(i);
            Checker.Outcome o = got.get(i);
            assertNull(o.error(), j.name());
            List<NdArray> want = new Interpreter(j.graph()).run(j.inputs());
            assertArrayEquals(want.get(0).toLongArray(), o.outputs().get(0).toLongArray(), j.name());
        }
    }

    @Test
    void theFastKernelsAreChosenOnDspTargetsOnly() {
        for (Checker.Job j : cases()) {
            String m4 = source(j, "cortex-m4f"), m0 = source(j, "cortex-m0plus");
            String want = j.name().startsWith("dw_") ? "zero-padded" : "blocked DSP";
            assertTrue(m4.contains(want), j.name() + " on cortex-m4f takes the " + want + " kernel");
            assertFalse(m0.contains("blocked DSP") || m0.contains("zero-padded") || m0.contains("__smlad"), j.name() + " on cortex-m0plus");
        }
    }

    /** kiln_requantize_q31_r32 (shift in [-31, -1], multiplier >= 0) gives FixedPoint.requantize's results. */
    @Test
    void branchFreeRequantizationMatchesFixedPoint() throws Exception {
        int[] accs = {0, 1, -1, 2, -2, 3, -3, 1 << 20, -(1 << 20), Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE + 1, 123456789, -123456789};
        List<int[]> cases = new ArrayList<>();
        for (int shift = -31; shift <= -1; shift++) {
            for (int m : new int[] {0, 1 << 30, (1 << 30) + 1, Integer.MAX_VALUE, 1518500250})
                for (int a : accs) cases.add(new int[] {a, m, shift});
            // exact halves: acc * m = (2k + 1) * 2^(right - 1), both signs
            int right = 31 - shift;
            if (right - 31 <= 29) {
                int a = 1 << (right - 31);
                cases.add(new int[] {3 * a, 1 << 30, shift});
                cases.add(new int[] {-3 * a, 1 << 30, shift});
            }
        }
        for (int i = 0; i < 3000; i++) {
            int a = i % 2 == 0 ? r.nextInt() : r.nextInt(200001) - 100000;
            cases.add(new int[] {a, (1 << 30) + r.nextInt(1 << 30), -1 - r.nextInt(31)});
        }
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include \"kiln_runtime.h\"\nint main(void) {\n");
        for (int[] k : cases)
            c.append("  printf(\"%ld\\n\", (long)kiln_requantize_q31_r32(").append(lit(k[0])).append(", ").append(k[1]).append(", ")
                    .append(k[2]).append("));\n");
        c.append("  return 0;\n}\n");
        Exec.require("gcc", "apt-get install gcc");
        Path dir = Files.createTempDirectory("kiln-r32-");
        try {
            Files.writeString(dir.resolve("kiln_runtime.h"), Resources.read("runtime-c/kiln_runtime.h"));
            Files.writeString(dir.resolve("t.c"), c.toString());
            Exec.Result built = Exec.run(List.of("gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "t.c", "-o", "t"), dir, 120);
            assertEquals(0, built.exit(), () -> "gcc failed: " + built.tail(2000));
            Exec.Result ran = Exec.run(List.of("./t"), dir, 60);
            assertEquals(0, ran.exit(), () -> "the test program failed: " + ran.tail(2000));
            String[] lines = ran.out().strip().split("\n");
            assertEquals(cases.size(), lines.length);
            for (int i = 0; i < lines.length; i++) {
                int[] k = cases.get(i);
                assertEquals(FixedPoint.requantize(k[0], k[1], k[2]), Long.parseLong(lines[i].strip()), "acc " + k[0] + " m " + k[1] + " shift " + k[2]);
            }
        } finally {
            dev.kiln.backend.GeneratedCode.deleteTree(dir);
        }
    }

    private static String lit(int a) {
        return a == Integer.MIN_VALUE ? "(-2147483647 - 1)" : Integer.toString(a);
    }

    private String source(Checker.Job j, String target) {
        return new CBackend().generate(j.graph(), Target.load(target), new Backend.Options("t", null, j.name())).files().get("t.c");
    }

    /** qconv of x [n, c, h, w] (w = 0: 1-D) with weights [m, c / group, kh, kw] (kw = 0: 1-D), inputs in [lo, hi]. */
    private Checker.Job conv(String name, int n, int c, int h, int w, int m, int kh, int kw, int group, Attrs attrs, boolean bias,
            int lo, int hi) {
        Graph g = new Graph(name);
        int[] xd = w == 0 ? new int[] {n, c, h} : new int[] {n, c, h, w};
        int[] wd = kw == 0 ? new int[] {m, c / group, kh} : new int[] {m, c / group, kh, kw};
        TensorType xt = new TensorType(DType.I8, Shape.of(xd), QuantParams.perTensor(0.05f, -3));
        Value x = g.addInput("x", xt);
        Value wv = g.addConstant("w", ints(DType.I8, -127, 127, wd));
        float[] s = new float[m];
        for (int i = 0; i < m; i++) s[i] = 0.002f + 0.01f * r.nextFloat();
        wv.setType(wv.type().withQuant(new QuantParams(s, new long[m], 0)));
        List<Value> ins = new ArrayList<>(List.of(x, wv));
        if (bias) ins.add(g.addConstant("b", ints(DType.I32, -40000, 40000, m)));
        g.addOutput(g.addNode(Ops.QCONV, "n", ins, group == 1 ? attrs : attrs.with("group", (long) group)).output(0));
        return new Checker.Job(name, g, List.of(ints(DType.I8, lo, hi, xd)));
    }

    /** Random integers in [lo, hi], one in five at an end. */
    private NdArray ints(DType t, int lo, int hi, int... dims) {
        Shape s = Shape.of(dims);
        long[] v = new long[s.size()];
        for (int i = 0; i < v.length; i++) {
            int p = r.nextInt(10);
            v[i] = p == 0 ? lo : p == 1 ? hi : lo + r.nextInt(hi - lo + 1);
        }
        return NdArray.ofLongs(t, s, v);
    }
}
