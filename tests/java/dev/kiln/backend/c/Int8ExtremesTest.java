package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
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
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.toolchain.CProgramRunner;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every int8 kernel at the extremes: inputs of -128 and 127 everywhere (and 0 and 255 for u8), against zero
 * points at both ends so that {@code x - z_x} reaches +-255, weights of +-127 with every sign pattern, int32
 * biases as close to INT32_MIN and INT32_MAX as an exact int32 accumulation allows (|bias| + the largest possible
 * window sum = INT32_MAX), and requantization multipliers near 1, tiny (2^-39) and near the largest (2^15).
 * The C must equal the interpreter byte for byte on the host under ASan and UBSan with no recovery (a signed
 * overflow anywhere fails the run) and on cortex-m4f under qemu, whose convolutions and matrix products take the
 * SMLAD path: shapes with four-weight groups and with tails.
 */
class Int8ExtremesTest {
    /** The input fills every case runs with. */
    private enum Fill { MIN, MAX, ALTERNATING, CHECKER }

    /** Multipliers (as the weight scale when s_x = out_scale = 1): just under 1, 1, tiny, large, just under 2^15. */
    private static final float[] MULTIPLIERS = {0.99999994f, 1f, 0x1p-39f, 0.5f, 1000f, 32767f};

    @Test
    void hostWithSanitizersMatchesTheInterpreter() {
        check(Target.load("host"), true);
    }

    @Test
    void cortexM4fDspKernelsMatchTheInterpreter() {
        List<Checker.Job> jobs = cases();
        String src = new CBackend().generate(jobs.get(0).graph(), Target.load("cortex-m4f"), new Backend.Options("t", null, "x")).files().get("t.c");
        assertTrue(src.contains("__smlad("), "the convolution takes the SMLAD path on cortex-m4f");
        check(Target.load("cortex-m4f"), false);
    }

    /**
     * The harness would see an overflow: a bias one step past the legal bound makes the accumulation overflow int32,
     * and the sanitized host program fails instead of printing a wrapped result.
     */
    @Test
    void sanitizedHostReportsAnAccumulatorOverflow() {
        Checker.Job j = conv("conv_overflow", Fill.MAX, DType.I8, -128, 4, 3, 3, 1, 1, 1, 1);
        Checker.Outcome o = new CProgramRunner(Target.load("host"), true, null).runAll(List.of(j)).get(0);
        assertTrue(o.error() != null && o.error().contains("overflow"), "UBSan reports the overflow: " + o.error());
    }

    private void check(Target t, boolean sanitize) {
        List<Checker.Job> jobs = cases();
        assertTrue(jobs.size() > 60, "cases: " + jobs.size());
        List<Checker.Outcome> got = new CProgramRunner(t, sanitize, null).runAll(jobs);
        assertEquals(jobs.size(), got.size());
        int saturatedHigh = 0, saturatedLow = 0;
        for (int i = 0; i < jobs.size(); i++) {
            Checker.Job j = jobs.get(i);
            Checker.Outcome o = got.get(i);
            assertNull(o.error(), t.name() + " " + j.name());
            List<NdArray> want = new Interpreter(j.graph()).run(j.inputs());
            assertEquals(want.size(), o.outputs().size(), j.name());
            for (int k = 0; k < want.size(); k++) {
                long[] w = want.get(k).toLongArray();
                assertArrayEquals(w, o.outputs().get(k).toLongArray(), t.name() + " " + j.name());
                for (long v : w) {
                    if (v == 127) saturatedHigh++;
                    if (v == -128) saturatedLow++;
                }
            }
        }
        // why: extremes that never reach the int8 ends would not test the saturation
        assertTrue(saturatedHigh > 0 && saturatedLow > 0, "outputs reach 127 and -128");
    }

    /** Every case with every fill. */
    List<Checker.Job> cases() {
        List<Checker.Job> jobs = new ArrayList<>();
        for (Fill f : Fill.values()) {
            String s = "_" + f.name().toLowerCase();
            // general 3x3 conv, 16 input channels (taps a multiple of four), x - z_x in [0, 255] and in [-255, 0]
            jobs.add(conv("conv3x3_zmin" + s, f, DType.I8, -128, 16, 6, 3, 1, 6, 1));
            jobs.add(conv("conv3x3_zmax" + s, f, DType.I8, 127, 16, 6, 3, 1, 6, 1));
            // 3 input channels: 27 taps, a tail of three after the SMLAD groups
            jobs.add(conv("conv3x3_c3_tail" + s, f, DType.I8, -128, 3, 5, 3, 1, 8, 1));
            // pointwise over 32 channels (the DSP shape of MobileNet's 1x1 layers), no pads
            jobs.add(conv("conv1x1_c32" + s, f, DType.I8, 127, 32, 4, 1, 1, 12, 0));
            // depthwise 3x3, 8 channels, and a multiplier of two
            jobs.add(conv("depthwise" + s, f, DType.I8, -128, 8, 7, 3, 8, 8, 1));
            jobs.add(conv("depthwise_x2" + s, f, DType.I8, 127, 4, 5, 3, 4, 8, 1));
            // u8 input with zero points 0 and 255
            jobs.add(conv("conv_u8_z0" + s, f, DType.U8, 0, 8, 5, 3, 1, 6, 1));
            jobs.add(conv("conv_u8_z255" + s, f, DType.U8, 255, 8, 5, 3, 1, 6, 1));
            // matrix products: K a multiple of four and with a tail, per-channel and per-tensor
            jobs.add(matmul("matmul_k64" + s, f, DType.I8, -128, 3, 64));
            jobs.add(matmul("matmul_k67" + s, f, DType.I8, 127, 2, 67));
            jobs.add(matmul("matmul_u8_k20" + s, f, DType.U8, 255, 2, 20));
            // element-wise and pools
            jobs.add(qadd("qadd_far_scales" + s, f, 1.0f, 1e-4f, 1e-3f));
            jobs.add(qadd("qadd_equal_scales" + s, f, 0.5f, 0.5f, 0.25f));
            jobs.add(qadd("qadd_coarse_out" + s, f, 0.01f, 0.02f, 100f));
            jobs.add(requantize("requantize_near1" + s, f, 1.0000001f));
            jobs.add(requantize("requantize_tiny" + s, f, 0x1p39f));
            jobs.add(requantize("requantize_huge" + s, f, 1f / 32767f));
            jobs.add(lookup("qlookup_reversed" + s, f));
            jobs.add(pool("gap_64x64_same" + s, f, Attrs.of("global", 1L, "out_scale", 0.5, "out_zero_point", 127L)));
            jobs.add(pool("gap_64x64_rescale" + s, f, Attrs.of("global", 1L, "out_scale", 1e-3, "out_zero_point", -128L)));
            jobs.add(pool("avgpool_pad_include" + s, f, Attrs.of("kernel_shape", new long[] {5, 5}, "pads", new long[] {2, 2, 2, 2},
                    "count_include_pad", 1L, "out_scale", 0.25, "out_zero_point", 0L)));
            jobs.add(softmax("qsoftmax_coarse" + s, f, 1.0f, 256));
            jobs.add(softmax("qsoftmax_fine" + s, f, 1e-3f, 256));
            jobs.add(softmax("qsoftmax_long" + s, f, 0.1f, 8192));
        }
        return jobs;
    }

    /** The input of {@code shape} filled by {@code f} between the type's ends. */
    private static NdArray fill(DType t, Fill f, int... dims) {
        Shape s = Shape.of(dims);
        long lo = t.minValue(), hi = t.maxValue();
        long[] v = new long[s.size()];
        int w = dims[dims.length - 1];
        for (int i = 0; i < v.length; i++) {
            switch (f) {
                case MIN: v[i] = lo; break;
                case MAX: v[i] = hi; break;
                case ALTERNATING: v[i] = i % 2 == 0 ? hi : lo; break;
                default: v[i] = ((i / w) + (i % w)) % 2 == 0 ? lo : hi; break;
            }
        }
        return NdArray.ofLongs(t, s, v);
    }

    /**
     * Output channel {@code oc}'s weights: all +127, all -127, alternating, or +127 then -127 by halves (by
     * {@code oc % 4}).
     */
    private static long weightValue(int oc, int i, int n) {
        switch (oc % 4) {
            case 0: return 127;
            case 1: return -127;
            case 2: return i % 2 == 0 ? 127 : -127;
            default: return i < n / 2 ? 127 : -127;
        }
    }

    /** A bias as near INT32_MAX (even channels) or INT32_MIN (odd ones) as {@code bound}, the largest |window sum|, allows. */
    private static long bias(int oc, long bound) {
        return oc % 2 == 0 ? Integer.MAX_VALUE - bound : Integer.MIN_VALUE + bound;
    }

    /** Constant i8 weights [channels, rest...] per {@link #weightValue}, with the per-channel multipliers as scales. */
    private static Value weights(Graph g, int axis, int... dims) {
        Shape s = Shape.of(dims);
        long[] v = new long[s.size()];
        int channels = dims[axis];
        int per = s.size() / channels;
        int inner = s.prod(axis + 1, dims.length);
        for (int i = 0; i < v.length; i++) {
            int oc = (i / inner) % channels;
            int pos = (i / (inner * channels)) * inner + i % inner;
            v[i] = weightValue(oc, pos, per);
        }
        Value w = g.addConstant("w", NdArray.ofLongs(DType.I8, s, v));
        float[] sc = new float[channels];
        for (int c = 0; c < channels; c++) sc[c] = MULTIPLIERS[c % MULTIPLIERS.length];
        w.setType(w.type().withQuant(new QuantParams(sc, new long[channels], axis)));
        return w;
    }

    /** A k x k qconv of {@code groups} groups from c to m channels over an hw x hw input. */
    private static Checker.Job conv(String name, Fill f, DType xt, long zx, int c, int hw, int k, int groups, int m, int pad) {
        return conv(name, f, xt, zx, c, hw, k, groups, m, pad, 0);
    }

    /** As above, with the biases {@code past} steps beyond the legal bound (toward their int32 end). */
    private static Checker.Job conv(String name, Fill f, DType xt, long zx, int c, int hw, int k, int groups, int m, int pad, long past) {
        Graph g = new Graph(name);
        Value x = g.addInput("x", new TensorType(xt, Shape.of(1, c, hw, hw), QuantParams.perTensor(1f, zx)));
        Value w = weights(g, 0, m, c / groups, k, k);
        long bound = 255L * 127 * (c / groups) * k * k;
        long[] b = new long[m];
        for (int i = 0; i < m; i++) b[i] = bias(i, bound - past);
        Value bv = g.addConstant("b", NdArray.ofLongs(DType.I32, Shape.of(m), b));
        g.addOutput(g.addNode(Ops.QCONV, "n", List.of(x, w, bv), Attrs.of("group", (long) groups,
                "pads", new long[] {pad, pad, pad, pad}, "out_scale", 1.0, "out_zero_point", 0L)).output(0));
        return new Checker.Job(name, g, List.of(fill(xt, f, 1, c, hw, hw)));
    }

    private static Checker.Job matmul(String name, Fill f, DType xt, long zx, int rows, int k) {
        Graph g = new Graph(name);
        int n = 8;
        Value x = g.addInput("x", new TensorType(xt, Shape.of(rows, k), QuantParams.perTensor(1f, zx)));
        Value w;
        if (xt == DType.U8) {
            // why: per-tensor weights come with u8 input (as the importer produces them), at the multiplier just under 1
            long[] v = new long[k * n];
            for (int i = 0; i < v.length; i++) v[i] = weightValue(i % n, i / n, k);
            w = g.addConstant("w", NdArray.ofLongs(DType.I8, Shape.of(k, n), v));
            w.setType(w.type().withQuant(QuantParams.perTensor(MULTIPLIERS[0], 0)));
        } else {
            w = weights(g, 1, k, n);
        }
        long[] b = new long[n];
        for (int i = 0; i < n; i++) b[i] = bias(i, 255L * 127 * k);
        Value bv = g.addConstant("b", NdArray.ofLongs(DType.I32, Shape.of(n), b));
        g.addOutput(g.addNode(Ops.QMATMUL, "n", List.of(x, w, bv), Attrs.of("out_scale", 1.0, "out_zero_point", -128L)).output(0));
        return new Checker.Job(name, g, List.of(fill(xt, f, rows, k)));
    }

    private static Checker.Job qadd(String name, Fill f, float sa, float sb, float out) {
        Graph g = new Graph(name);
        Value a = g.addInput("a", new TensorType(DType.I8, Shape.of(1, 4, 6, 6), QuantParams.perTensor(sa, -128)));
        Value b = g.addInput("b", new TensorType(DType.I8, Shape.of(1, 4, 6, 6), QuantParams.perTensor(sb, 127)));
        g.addOutput(g.addNode(Ops.QADD, "n", List.of(a, b), Attrs.of("out_scale", (double) out, "out_zero_point", 0L)).output(0));
        Fill other = f == Fill.MIN ? Fill.MAX : f == Fill.MAX ? Fill.MIN : f;
        return new Checker.Job(name, g, List.of(fill(DType.I8, f, 1, 4, 6, 6), fill(DType.I8, other, 1, 4, 6, 6)));
    }

    private static Checker.Job unary(String name, Fill f, QuantParams qx, int[] dims, OpDef op, Attrs attrs) {
        Graph g = new Graph(name);
        Value x = g.addInput("x", new TensorType(DType.I8, Shape.of(dims), qx));
        g.addOutput(g.addNode(op, "n", List.of(x), attrs).output(0));
        return new Checker.Job(name, g, List.of(fill(DType.I8, f, dims)));
    }

    private static Checker.Job requantize(String name, Fill f, float outScale) {
        return unary(name, f, QuantParams.perTensor(1f, -128), new int[] {2, 3, 5, 5}, Ops.REQUANTIZE,
                Attrs.of("out_scale", (double) outScale, "out_zero_point", 127L));
    }

    private static Checker.Job lookup(String name, Fill f) {
        long[] table = new long[256];
        for (int i = 0; i < 256; i++) table[i] = 127 - i;
        return unary(name, f, QuantParams.perTensor(0.1f, 0), new int[] {1, 2, 4, 4}, Ops.QLOOKUP,
                Attrs.of("table", table, "out_scale", 0.1, "out_zero_point", 0L));
    }

    private static Checker.Job pool(String name, Fill f, Attrs attrs) {
        return unary(name, f, QuantParams.perTensor(0.5f, -128), new int[] {1, 2, 64, 64}, Ops.QAVERAGE_POOL, attrs);
    }

    private static Checker.Job softmax(String name, Fill f, float scale, int len) {
        return unary(name, f, QuantParams.perTensor(scale, 127), new int[] {2, len}, Ops.QSOFTMAX, Attrs.of("axis", -1L));
    }
}
