package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
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
import dev.kiln.ops.Qlookup;
import dev.kiln.toolchain.CProgramRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every int8 op's C kernel against the interpreter, byte for byte, on hand-built graphs: convolutions with
 * padding, strides, dilations, groups, depthwise, 1-D and 3-D, per-channel and per-tensor weights, weight zero
 * points, u8 input; matrix products with and without a tail of fewer than four weights, i8 and u8 input; qadd with broadcasting;
 * requantize, qlookup, windowed and global average pools at the same and at another scale, qsoftmax on either
 * axis; inputs at -128 and 127 against maximal weights; packed and wide per-channel requantization tables. Each batch is one C program per target: the host
 * (ASan/UBSan), cortex-m0plus (plain C under qemu), cortex-m4f (the SMLAD kernels under qemu) and cortex-m55 (Helium
 * 1x1 and stride-1 depthwise convolutions and SMLAD under qemu).
 */
class Int8KernelsTest {
    private final Random r = new Random(61L);

    @Test
    void hostWithSanitizersMatchesTheInterpreter() {
        check(Target.load("host"), true);
    }

    @Test
    void cortexM0plusMatchesTheInterpreter() {
        check(Target.load("cortex-m0plus"), false);
    }

    @Test
    void cortexM4fDspKernelsMatchTheInterpreter() {
        check(Target.load("cortex-m4f"), false);
    }

    /**
     * cortex-m55 (isa=mve): Helium dot products (vmladavaq_s8) for the 1x1 convolutions, Helium multiply-accumulates for
     * stride-1 depthwise ones, SMLAD for the others.
     */
    @Test
    void cortexM55HeliumKernelsMatchTheInterpreter() {
        Checker.Job pw = find(cases(), "conv_1x1");
        assertTrue(source(pw, "cortex-m55").contains("vmladavaq_s8("), "cortex-m55: Helium 1x1");
        assertFalse(source(pw, "cortex-m4f").contains("vmladavaq"), "cortex-m4f: no Helium");
        assertTrue(source(find(cases(), "conv_dw_s1_dil"), "cortex-m55").contains("vmulhq_s32("), "cortex-m55: Helium depthwise");
        assertFalse(source(find(cases(), "conv_depthwise"), "cortex-m55").contains("vmulhq_s32("), "stride 2 keeps SMLAD");
        check(Target.load("cortex-m55"), false);
    }

    /** The DSP path is what cortex-m4f gets (SMLAD through ACLE, packed weights) and what m0plus and the host do not. */
    @Test
    void dspPathFollowsTheTargetDescriptor() {
        Checker.Job conv = cases().get(0);
        String m4 = source(conv, "cortex-m4f"), m0 = source(conv, "cortex-m0plus"), host = source(conv, "host");
        assertTrue(m4.contains("__smlad(") && m4.contains("#include <arm_acle.h>"), "cortex-m4f uses SMLAD");
        assertFalse(m0.contains("__smlad") || m0.contains("arm_acle.h"), "cortex-m0plus stays plain C");
        assertFalse(host.contains("__smlad"), "the host stays plain C");
    }

    /**
     * Per-channel requantization with compact multipliers is stored in 16 bits per channel when the shifts span at
     * most 31 (else int32 and shift tables), Q31 multipliers (the default) in int32 and shift tables, and qsoftmax
     * declares no table: the weights_bytes accounting follows.
     */
    @Test
    void perChannelMultipliersArePackedAndSoftmaxHasNoTable() {
        List<Checker.Job> all = cases();
        GeneratedCode conv = generate(find(all, "conv_pad_stride"), "cortex-m0plus");
        String c = conv.files().get("t.c");
        assertTrue(c.contains("static const uint16_t rq_p[6]") && !c.contains("rq_m["), "packed words for 6 channels");
        assertEquals(12, conv.tableBytes(), "2 bytes per channel");
        GeneratedCode zero = generate(find(all, "conv_zero_multiplier"), "cortex-m0plus");
        assertTrue(zero.files().get("t.c").contains("static const uint16_t rq_p[3]"), "a zero multiplier still packs");
        GeneratedCode wide = generate(find(all, "conv_wide_shift_span"), "cortex-m0plus");
        assertTrue(wide.files().get("t.c").contains("static const int32_t rq_m[3]"), "a span over 31 keeps the wide tables");
        assertEquals(3 * 5, wide.tableBytes());
        GeneratedCode softmax = generate(find(all, "qsoftmax_last"), "cortex-m0plus");
        String sm = softmax.files().get("t.c");
        assertTrue(sm.contains("kiln_exp2_neg_q16(") && !sm.contains("[256]"), "the exp is computed, not looked up");
        assertEquals(0, softmax.tableBytes());
        GeneratedCode q31 = generate(find(all, "conv_group_dil"), "cortex-m0plus");
        assertTrue(q31.files().get("t.c").contains("static const int32_t rq_m[6]"), "Q31 multipliers keep the wide tables");
    }

    private static Checker.Job find(List<Checker.Job> jobs, String name) {
        return jobs.stream().filter(j -> j.name().equals(name)).findFirst().orElseThrow();
    }

    private static GeneratedCode generate(Checker.Job j, String target) {
        return new CBackend().generate(j.graph(), Target.load(target), new Backend.Options("t", null, j.name()));
    }

    private static String source(Checker.Job j, String target) {
        GeneratedCode code = new CBackend().generate(j.graph(), Target.load(target), new Backend.Options("t", null, j.name()));
        return code.files().get("t.c");
    }

    private void check(Target t, boolean sanitize) {
        List<Checker.Job> jobs = cases();
        List<Checker.Outcome> got = new CProgramRunner(t, sanitize, null).runAll(jobs);
        for (int i = 0; i < jobs.size(); i++) {
            Checker.Job j = jobs.get(i);
            Checker.Outcome o = got.get(i);
            assertNull(o.error(), t.name() + " " + j.name());
            List<NdArray> want = new Interpreter(j.graph()).run(j.inputs());
            assertEquals(want.size(), o.outputs().size(), j.name());
            for (int k = 0; k < want.size(); k++) {
                assertEquals(DType.I8, o.outputs().get(k).dtype(), j.name());
                assertArrayEquals(want.get(k).toLongArray(), o.outputs().get(k).toLongArray(), t.name() + " " + j.name());
            }
        }
    }

    /** The cases; the same seed gives the same graphs and inputs for every target. */
    List<Checker.Job> cases() {
        r.setSeed(61L);
        List<Checker.Job> jobs = new ArrayList<>();
        QuantParams qx = QuantParams.perTensor(0.05f, -3), qy = QuantParams.perTensor(0.2f, 5);
        // padded strided conv, per-channel weights with compact multipliers (packed), bias, relu as a clamp from the zero point
        jobs.add(conv("conv_pad_stride", qx, 1, 3, 9, 8, 6, 3, 3, 1, Attrs.of("strides", new long[] {2, 1}, "pads", new long[] {1, 1, 1, 2},
                "out_scale", 0.2, "out_zero_point", 5L, "act_min", 5L, "act_max", 127L, "compact_multipliers", 1L), true, false));
        // grouped, dilated, asymmetric pads (taps per channel not a multiple of four)
        jobs.add(conv("conv_group_dil", qx, 1, 4, 7, 7, 6, 3, 3, 2, Attrs.of("group", 2L, "dilations", new long[] {2, 1},
                "pads", new long[] {0, 2, 1, 0}, "out_scale", 0.1, "out_zero_point", -7L), true, false));
        // depthwise with a multiplier of two, stride 2, pads
        jobs.add(conv("conv_depthwise", qx, 1, 4, 8, 8, 8, 3, 3, 4, Attrs.of("group", 4L, "strides", new long[] {2, 2},
                "pads", new long[] {1, 1, 1, 1}, "out_scale", 0.05, "out_zero_point", 0L), true, false));
        // depthwise stride 1 (Helium: the flat pass over a padded plane): a multiplier of two, dilation, uneven pads;
        // 1-D over a plane of one row (a last block of 16 reaching past it)
        jobs.add(conv("conv_dw_s1_dil", qx, 2, 3, 9, 7, 6, 3, 3, 3, Attrs.of("group", 3L, "dilations", new long[] {1, 2},
                "pads", new long[] {1, 2, 0, 1}, "out_scale", 0.04, "out_zero_point", -5L, "act_min", -100L), true, false));
        jobs.add(conv("conv_dw_1d", qx, 1, 4, 21, 0, 4, 5, 0, 4, Attrs.of("group", 4L, "pads", new long[] {2, 2},
                "out_scale", 0.06, "out_zero_point", 3L), false, false));
        // pointwise, 6 input channels (a tail of two), batch 2, no pads, no bias
        jobs.add(conv("conv_1x1", qx, 2, 6, 4, 5, 7, 1, 1, 1, Attrs.of("out_scale", 0.3, "out_zero_point", 2L), false, false));
        // pointwise, 37 input channels (Helium: two chunks of 16 and a tail), 5 outputs, 3x3 positions (odd), bias
        jobs.add(conv("conv_1x1_wide", qx, 1, 37, 3, 3, 5, 1, 1, 1, Attrs.of("out_scale", 0.4, "out_zero_point", -9L,
                "compact_multipliers", 1L), true, false));
        // 1-D and 3-D
        jobs.add(conv("conv_1d", qx, 1, 5, 17, 0, 4, 5, 0, 1, Attrs.of("strides", new long[] {3}, "pads", new long[] {2, 4},
                "out_scale", 0.2, "out_zero_point", 1L), true, false));
        jobs.add(conv3d());
        // a residual added in the store (a fused qadd): 3x3 one group (blocked SMLAD, host GEMM), two groups (DSP
        // per-position kernel, portable on the host), 1x1 batch 2 with the sum clamped as a relu
        jobs.add(residualConv("conv_residual_3x3", 1, 8, 6, 5, 3, 1, Attrs.of("pads", new long[] {1, 1, 1, 1})));
        jobs.add(residualConv("conv_residual_group", 1, 4, 5, 5, 3, 2, Attrs.of("pads", new long[] {1, 1, 1, 1}, "act_min", -60L, "act_max", 60L)));
        jobs.add(residualConv("conv_residual_1x1", 2, 8, 3, 5, 1, 1, Attrs.of("sum_zero_point", -128L, "sum_act_min", -128L)));
        // extremes: x at -128 and 127 with zero point -128 against weights of +-127, the clamp at both ends
        jobs.add(convExtreme());
        // per-tensor weights with zero points (as imported models may have them), u8 input
        jobs.add(convWeightZeroPoints());
        // per-channel multipliers whose shifts span more than 31 (the wide tables) and one that is 0 (packed as 0)
        jobs.add(convScales("conv_wide_shift_span", new float[] {0.5f, 1e-10f, 0.01f}));
        jobs.add(convScales("conv_zero_multiplier", new float[] {0.5f, 1e-14f, 0.01f}));
        // matrix products: K with a tail, K a multiple of four, batched rows, per-tensor weights
        jobs.add(matmul("matmul_tail", 3, 10, 5, true, true));
        jobs.add(matmul("matmul_k16", 2, 16, 12, false, true));
        jobs.add(matmul("matmul_pertensor_u8", 4, 7, 3, true, false));
        // element-wise
        jobs.add(qadd("qadd_same", new int[] {1, 3, 4, 4}, new int[] {1, 3, 4, 4}, -128L, 127L));
        jobs.add(qadd("qadd_bcast_relu", new int[] {2, 3, 4, 5}, new int[] {3, 1, 1}, 10L, 127L));
        jobs.add(unary("requantize", Ops.REQUANTIZE, Attrs.of("out_scale", 0.013, "out_zero_point", -20L, "act_min", -100L, "act_max", 90L)));
        long[] sig = Qlookup.table(Ops.SIGMOID, Attrs.EMPTY, DType.I8, qx, QuantParams.perTensor(1f / 256, -128));
        jobs.add(unary("qlookup_sigmoid", Ops.QLOOKUP, Attrs.of("table", sig, "out_scale", 1.0 / 256, "out_zero_point", -128L,
                "act_min", -120L, "act_max", 100L)));
        // pools
        jobs.add(pool("avgpool_same", Attrs.of("kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1},
                "out_scale", 0.05, "out_zero_point", -3L)));
        jobs.add(pool("avgpool_rescale_pad", Attrs.of("kernel_shape", new long[] {3, 2}, "pads", new long[] {1, 0, 1, 1}, "count_include_pad", 1L,
                "out_scale", 0.03, "out_zero_point", 4L)));
        jobs.add(pool("gap_same", Attrs.of("global", 1L, "out_scale", 0.05, "out_zero_point", -3L)));
        jobs.add(pool("gap_rescale", Attrs.of("global", 1L, "out_scale", 0.011, "out_zero_point", 9L, "act_min", -50L)));
        // softmax over the last axis and over the channels
        jobs.add(unary("qsoftmax_last", Ops.QSOFTMAX, Attrs.of("axis", -1L)));
        jobs.add(unary("qsoftmax_axis1", Ops.QSOFTMAX, Attrs.of("axis", 1L)));
        return jobs;
    }

    Checker.Job conv(String name, QuantParams qx, int n, int c, int h, int w, int m, int kh, int kw, int group, Attrs attrs,
            boolean bias, boolean u8) {
        Graph g = new Graph(name);
        int[] xd = w == 0 ? new int[] {n, c, h} : new int[] {n, c, h, w};
        int[] wd = kw == 0 ? new int[] {m, c / group, kh} : new int[] {m, c / group, kh, kw};
        TensorType xt = new TensorType(u8 ? DType.U8 : DType.I8, Shape.of(xd), qx);
        Value x = g.addInput("x", xt);
        Value wv = weight(g, wd, 0);
        List<Value> ins = new ArrayList<>(List.of(x, wv));
        if (bias) ins.add(g.addConstant("b", ints(DType.I32, -4000, 4000, m)));
        g.addOutput(g.addNode(Ops.QCONV, "n", ins, attrs).output(0));
        return new Checker.Job(name, g, List.of(ints(xt.dtype(), (int) xt.dtype().minValue(), (int) xt.dtype().maxValue(), xd)));
    }

    /** A c-channel conv (k x k, groups) whose int8 result is added to a residual input z as qadd does (sum_* attributes). */
    private Checker.Job residualConv(String name, int n, int c, int h, int w, int k, int group, Attrs attrs) {
        Graph g = new Graph(name);
        TensorType xt = new TensorType(DType.I8, Shape.of(n, c, h, w), QuantParams.perTensor(0.05f, -3));
        TensorType zt = new TensorType(DType.I8, Shape.of(n, c, h, w), QuantParams.perTensor(0.13f, 9));
        Value x = g.addInput("x", xt), z = g.addInput("z", zt);
        Value wv = weight(g, new int[] {c, c / group, k, k}, 0);
        Value b = g.addConstant("b", ints(DType.I32, -4000, 4000, c));
        Attrs a = Attrs.of("out_scale", 0.2, "out_zero_point", 4L, "group", (long) group, "sum_scale", 0.25);
        for (String key : attrs.names()) a = a.with(key, attrs.get(key));
        g.addOutput(g.addNode(Ops.QCONV, "n", List.of(x, wv, b, z), a).output(0));
        return new Checker.Job(name, g, List.of(ints(DType.I8, -128, 127, n, c, h, w), ints(DType.I8, -128, 127, n, c, h, w)));
    }

    private Checker.Job conv3d() {
        Graph g = new Graph("conv_3d");
        TensorType xt = new TensorType(DType.I8, Shape.of(1, 2, 4, 5, 6), QuantParams.perTensor(0.02f, 7));
        Value x = g.addInput("x", xt);
        Value w = weight(g, new int[] {3, 2, 2, 2, 3}, 0);
        Value b = g.addConstant("b", ints(DType.I32, -4000, 4000, 3));
        g.addOutput(g.addNode(Ops.QCONV, "n", List.of(x, w, b), Attrs.of("strides", new long[] {1, 2, 1},
                "pads", new long[] {1, 0, 1, 0, 1, 1}, "out_scale", 0.1, "out_zero_point", 0L)).output(0));
        return new Checker.Job("conv_3d", g, List.of(ints(DType.I8, -128, 127, 1, 2, 4, 5, 6)));
    }

    private Checker.Job convExtreme() {
        Graph g = new Graph("conv_extreme");
        QuantParams qx = QuantParams.perTensor(0.5f, -128);
        TensorType xt = new TensorType(DType.I8, Shape.of(1, 8, 5, 5), qx);
        Value x = g.addInput("x", xt);
        long[] wv = new long[4 * 8 * 9];
        for (int i = 0; i < wv.length; i++) wv[i] = i % 3 == 0 ? -127 : 127;
        Value w = g.addConstant("w", NdArray.ofLongs(DType.I8, Shape.of(4, 8, 3, 3), wv));
        float[] s = {0.01f, 0.002f, 0.5f, 0.0001f};
        w.setType(w.type().withQuant(new QuantParams(s, new long[4], 0)));
        Value b = g.addConstant("b", NdArray.ofLongs(DType.I32, Shape.of(4), 2_000_000, -2_000_000, 0, 123_456));
        g.addOutput(g.addNode(Ops.QCONV, "n", List.of(x, w, b), Attrs.of("pads", new long[] {1, 1, 1, 1}, "out_scale", 0.7,
                "out_zero_point", 0L, "act_min", -100L, "act_max", 100L)).output(0));
        long[] xv = new long[8 * 25];
        for (int i = 0; i < xv.length; i++) xv[i] = (i / 7) % 2 == 0 ? 127 : -128;
        return new Checker.Job("conv_extreme", g, List.of(NdArray.ofLongs(DType.I8, xt.shape(), xv)));
    }

    /** A padded 3x3 conv with the given per-channel weight scales (one output channel each). */
    private Checker.Job convScales(String name, float[] scales) {
        Graph g = new Graph(name);
        TensorType xt = new TensorType(DType.I8, Shape.of(1, 2, 5, 5), QuantParams.perTensor(0.5f, -5));
        Value x = g.addInput("x", xt);
        Value w = g.addConstant("w", ints(DType.I8, -127, 127, scales.length, 2, 3, 3));
        w.setType(w.type().withQuant(new QuantParams(scales, new long[scales.length], 0)));
        g.addOutput(g.addNode(Ops.QCONV, "n", List.of(x, w), Attrs.of("pads", new long[] {1, 1, 1, 1}, "out_scale", 0.7,
                "out_zero_point", 3L, "compact_multipliers", 1L)).output(0));
        return new Checker.Job(name, g, List.of(ints(DType.I8, -128, 127, 1, 2, 5, 5)));
    }

    private Checker.Job convWeightZeroPoints() {
        Graph g = new Graph("conv_wzp_u8");
        TensorType xt = new TensorType(DType.U8, Shape.of(1, 3, 6, 6), QuantParams.perTensor(0.04f, 128));
        Value x = g.addInput("x", xt);
        Value w = g.addConstant("w", ints(DType.I8, -128, 127, 5, 3, 3, 3));
        w.setType(w.type().withQuant(QuantParams.perTensor(0.01f, 3)));
        g.addOutput(g.addNode(Ops.QCONV, "n", List.of(x, w), Attrs.of("pads", new long[] {1, 1, 1, 1}, "out_scale", 0.5)).output(0));
        return new Checker.Job("conv_wzp_u8", g, List.of(ints(DType.U8, 0, 255, 1, 3, 6, 6)));
    }

    /** A constant i8 weight with symmetric per-channel scales along {@code axis}. */
    private Value weight(Graph g, int[] dims, int axis) {
        Value w = g.addConstant("w", ints(DType.I8, -127, 127, dims));
        int ch = dims[axis];
        float[] s = new float[ch];
        for (int i = 0; i < ch; i++) s[i] = 0.002f + 0.01f * r.nextFloat();
        w.setType(w.type().withQuant(new QuantParams(s, new long[ch], axis)));
        return w;
    }

    Checker.Job matmul(String name, int rows, int k, int n, boolean bias, boolean perChannel) {
        Graph g = new Graph(name);
        // why: per-tensor weights come with a u8 input here (the DSP kernel zero-extends it)
        DType xd = perChannel ? DType.I8 : DType.U8;
        TensorType xt = new TensorType(xd, Shape.of(rows, k), QuantParams.perTensor(0.1f, perChannel ? 12 : 131));
        Value x = g.addInput("x", xt);
        Value w;
        if (perChannel) {
            w = weight(g, new int[] {k, n}, 1);
        } else {
            w = g.addConstant("w", ints(DType.I8, -127, 127, k, n));
            w.setType(w.type().withQuant(QuantParams.perTensor(0.004f, 0)));
        }
        List<Value> ins = new ArrayList<>(List.of(x, w));
        if (bias) ins.add(g.addConstant("b", ints(DType.I32, -10000, 10000, n)));
        g.addOutput(g.addNode(Ops.QMATMUL, "n", ins, Attrs.of("out_scale", 0.25, "out_zero_point", -9L)).output(0));
        return new Checker.Job(name, g, List.of(ints(xd, (int) xd.minValue(), (int) xd.maxValue(), rows, k)));
    }

    private Checker.Job qadd(String name, int[] a, int[] b, long lo, long hi) {
        Graph g = new Graph(name);
        TensorType at = new TensorType(DType.I8, Shape.of(a), QuantParams.perTensor(0.07f, -11));
        TensorType bt = new TensorType(DType.I8, Shape.of(b), QuantParams.perTensor(0.021f, 30));
        Value av = g.addInput("a", at), bv = g.addInput("b", bt);
        g.addOutput(g.addNode(Ops.QADD, "n", List.of(av, bv), Attrs.of("out_scale", 0.09, "out_zero_point", 10L, "act_min", lo, "act_max", hi))
                .output(0));
        return new Checker.Job(name, g, List.of(ints(DType.I8, -128, 127, a), ints(DType.I8, -128, 127, b)));
    }

    private Checker.Job unary(String name, dev.kiln.ops.OpDef op, Attrs attrs) {
        Graph g = new Graph(name);
        TensorType xt = new TensorType(DType.I8, Shape.of(2, 5, 3, 7), QuantParams.perTensor(0.05f, -3));
        Value x = g.addInput("x", xt);
        g.addOutput(g.addNode(op, "n", List.of(x), attrs).output(0));
        return new Checker.Job(name, g, List.of(ints(DType.I8, -128, 127, 2, 5, 3, 7)));
    }

    private Checker.Job pool(String name, Attrs attrs) {
        Graph g = new Graph(name);
        TensorType xt = new TensorType(DType.I8, Shape.of(1, 3, 7, 6), QuantParams.perTensor(0.05f, -3));
        Value x = g.addInput("x", xt);
        g.addOutput(g.addNode(Ops.QAVERAGE_POOL, "n", List.of(x), attrs).output(0));
        return new Checker.Job(name, g, List.of(ints(DType.I8, -128, 127, 1, 3, 7, 6)));
    }

    /** Uniform integers in [lo, hi], with the ends themselves over-represented. */
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
