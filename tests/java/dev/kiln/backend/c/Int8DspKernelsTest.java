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
 * the portable kernels; the two-output depthwise kernel (odd output widths, stride 2, an even window width with an odd
 * left pad, a shift of -1 that keeps the branch-free requantization; multipliers of 1/2 to 2, whose accumulators the
 * fast kernels shift left). Also the branch-free and SMMLA requantization
 * forms against {@link FixedPoint} on the host.
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
        // the two-output depthwise kernel: 5 channels, an odd output width (a lone last output per row), even left pad
        jobs.add(conv("dw_pairs_odd", 1, 5, 7, 7, 5, 3, 3, 5, Attrs.of("pads", new long[] {1, 2, 1, 0}, "out_scale", 0.05,
                "out_zero_point", -7L), true, -128, 127));
        // stride 2 without pads (lane 1 starts on an even element: a singles register), even output width
        jobs.add(conv("dw_pairs_stride2", 1, 3, 9, 10, 3, 3, 3, 3, Attrs.of("strides", new long[] {2, 2}, "out_scale", 0.05,
                "out_zero_point", 2L), true, -128, 127));
        // a 2x4 window (even width: lane 1 starts mid-pair), odd left pad with a lone first element, odd input width
        jobs.add(conv("dw_pairs_2x4", 1, 2, 5, 9, 2, 2, 4, 2, Attrs.of("pads", new long[] {0, 3, 1, 1}, "out_scale", 0.06,
                "out_zero_point", 0L, "act_min", -60L, "act_max", 100L), false, -128, 127));
        // a multiplier near 1 (shift -1): no SMMLA form, kiln_requantize_q31_r32 in the same kernel
        jobs.add(conv("dw_pairs_shift1", 1, 4, 6, 6, 4, 3, 3, 4, Attrs.of("pads", new long[] {1, 1, 1, 1}, "out_scale", 0.0013,
                "out_zero_point", 1L), false, -6, 6));
        // multipliers of 1/2 to 2 (shifts 0 and 1, as int4 weights' coarse scales give): the accumulator shifted left
        // before the fast requantization (Int8Kernels.leftShifted), in the two-output, zero-padded and blocked kernels;
        // no bias and x - zx in [-1, 1], so most outputs lie inside the clamp
        jobs.add(conv("dw_pairs_lifted", 1, 4, 6, 7, 4, 3, 3, 4, Attrs.of("pads", new long[] {1, 1, 1, 1}, "out_scale", 0.0003,
                "out_zero_point", -2L), false, -4, -2));
        jobs.add(conv("dw_5x5_lifted", 1, 2, 6, 6, 2, 5, 5, 2, Attrs.of("pads", new long[] {2, 2, 2, 2}, "out_scale", 0.0003,
                "out_zero_point", 3L, "act_min", -100L, "act_max", 90L), false, -4, -2));
        jobs.add(conv("pw_lifted", 1, 8, 3, 3, 6, 1, 1, 1, Attrs.of("out_scale", 0.0003, "out_zero_point", 0L), false, -4, -2));
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
            // why: the lifted cases test the requantization only where some outputs are not clamped
            if (j.name().endsWith("_lifted"))
                assertTrue(java.util.Arrays.stream(want.get(0).toLongArray()).anyMatch(v -> v > -100 && v < 90), j.name() + " has unclamped outputs");
        }
    }

    @Test
    void theFastKernelsAreChosenOnDspTargetsOnly() {
        for (Checker.Job j : cases()) {
            String m4 = source(j, "cortex-m4f"), m0 = source(j, "cortex-m0plus");
            // the two-output depthwise kernel takes all but dilated rows and 5x5 (too many weight registers)
            String want = j.name().equals("dw_dilated") || j.name().startsWith("dw_5x5") ? "zero-padded"
                    : j.name().startsWith("dw_") ? "two outputs at a time" : "blocked DSP";
            assertTrue(m4.contains(want), j.name() + " on cortex-m4f takes the " + want + " kernel");
            assertFalse(m0.contains("blocked DSP") || m0.contains("zero-padded") || m0.contains("__smlad"), j.name() + " on cortex-m0plus");
            // SMMLA requantization in the blocked and two-output kernels wherever the proof holds: all but shift -1 here
            assertEquals(!j.name().equals("dw_pairs_shift1") && !want.equals("zero-padded"), m4.contains("kiln_mul_hi_add"), j.name() + " requantizes by SMMLA");
            // multipliers of 1/2 and more: the accumulator times 2^L, only there
            assertEquals(j.name().endsWith("_lifted"), java.util.regex.Pattern.compile("\\((acc|a0)\\) \\* \\d+").matcher(m4).find(),
                    j.name() + " shifts its accumulator left");
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
        // multipliers of 1/2 and more (shift in [0, 30]): acc * 2^L with the shift lowered by L (Int8Kernels.leftShifted),
        // |acc| * 2^L below 2^31, exact halves included
        List<int[]> lifted = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            int shift = r.nextInt(31), left = shift + 1 + r.nextInt(2);
            if (left > 31 || shift - left < -31) continue;
            int m = i % 4 == 0 ? 3 << 29 : (1 << 30) + r.nextInt(1 << 30);
            long most = (Integer.MAX_VALUE >> left);
            if (most < 1) continue;
            int a = i % 3 == 0 ? (int) (2 * r.nextInt((int) Math.max(1, most / 2)) + 1) * (r.nextBoolean() ? 1 : -1)
                    : (int) (r.nextLong() % (most + 1));
            if (i % 7 == 0) a = (int) (r.nextBoolean() ? most : -most);
            lifted.add(new int[] {a, m, shift, left});
        }
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include \"kiln_runtime.h\"\nint main(void) {\n");
        for (int[] k : lifted)
            c.append("  printf(\"%ld\\n\", (long)kiln_requantize_q31_r32((").append(lit(k[0])).append(") * ").append(1L << k[3]).append(", ")
                    .append(k[1]).append(", ").append(k[2] - k[3]).append("));\n");
        for (int[] k : cases)
            c.append("  printf(\"%ld\\n\", (long)kiln_requantize_q31_r32(").append(lit(k[0])).append(", ").append(k[1]).append(", ")
                    .append(k[2]).append("));\n");
        // the SMMLA form (kiln_mul_hi_add, then a shift; the zero point folded in) where Int8PairKernels.floorRequant's
        // condition holds: |acc| < 2^(R - 1 - v(m)), shift in [-31, -2]
        List<int[]> floors = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            int shift = -2 - r.nextInt(30), right = 31 - shift, zp = r.nextInt(256) - 128;
            int m = i % 5 == 0 ? 1 << 30 : (1 << 30) + r.nextInt(1 << 30);
            int limit = Math.min(30, right - 1 - Integer.numberOfTrailingZeros(m));
            int h = -1 - shift;
            // why: the folded zero point must keep c an int32 (the lowering checks the same)
            if (limit < 1 || (1L << (h - 1)) + 128L * (1L << h) + (1L << 30) >= (1L << 31)) continue;
            int a = i % 3 == 0 ? -((1 << limit) - 1) + r.nextInt(3) : r.nextInt(1 << limit) * (r.nextBoolean() ? 1 : -1);
            floors.add(new int[] {a, m, shift, zp});
            c.append("  printf(\"%ld\\n\", (long)(kiln_mul_hi_add(").append(lit(a)).append(", ").append(m).append(", (int32_t)((1u << ")
                    .append(h - 1).append(") + ((uint32_t)(").append(zp).append(") << ").append(h).append("))) >> ").append(h).append("));\n");
        }
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
            assertEquals(lifted.size() + cases.size() + floors.size(), lines.length);
            assertTrue(lifted.size() > 1000, "lifted cases: " + lifted.size());
            for (int i = 0; i < lifted.size(); i++) {
                int[] k = lifted.get(i);
                assertEquals(FixedPoint.requantize(k[0], k[1], k[2]), Long.parseLong(lines[i].strip()),
                        "lifted: acc " + k[0] + " m " + k[1] + " shift " + k[2] + " left " + k[3]);
            }
            int at = lifted.size();
            for (int i = 0; i < cases.size(); i++) {
                int[] k = cases.get(i);
                assertEquals(FixedPoint.requantize(k[0], k[1], k[2]), Long.parseLong(lines[at + i].strip()), "acc " + k[0] + " m " + k[1] + " shift " + k[2]);
            }
            assertTrue(floors.size() > 1000, "SMMLA cases: " + floors.size());
            for (int i = 0; i < floors.size(); i++) {
                int[] k = floors.get(i);
                assertEquals(FixedPoint.requantize(k[0], k[1], k[2]) + k[3], Long.parseLong(lines[at + cases.size() + i].strip()),
                        "SMMLA form: acc " + k[0] + " m " + k[1] + " shift " + k[2] + " zp " + k[3]);
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
