package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Target;
import dev.kiln.kernels.DepthwiseRows;
import dev.kiln.kernels.Dialect;
import dev.kiln.kernels.KernelModel;
import dev.kiln.kernels.Lowerings;
import dev.kiln.kernels.NnKernels;
import dev.kiln.kernels.PointwiseGemm;
import dev.kiln.kernels.SeparableKernels;
import dev.kiln.kernels.Strategy;
import dev.kiln.check.Checker;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.toolchain.CProgramRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fast float conv paths of BlockedKernels against the interpreter: the register-blocked product (direct 1×1
 * with and without a partial tile, gathered columns by row segment and in 3-d, groups, a channel multiplier, tail
 * channels, residual and activation epilogues, packed and unpacked weights), the depthwise padded-plane kernel
 * (flat at stride 1, row by row when strided or dilated; padded phase rows on vector hosts) and gemm with B^T packed. Run on the host under ASan and
 * UBSan (16-float vectors), on the Cortex-M4F under qemu (one lane, small scratch budgets) and on the host with
 * {@code KILN_NO_VECTOR_EXT} defined (the portable fallback loops compilers without GCC vectors get). Hosts run
 * 2-d convs of 2 to 40 taps through DirectConvKernels (stem, strides, dilation, odd channels, residual).
 */
class BlockedKernelsTest {
    private final Random rnd = new Random(11);
    private final List<Checker.Job> jobs = new ArrayList<>();

    private NdArray random(int... dims) {
        NdArray a = NdArray.zeros(DType.F32, Shape.of(dims));
        for (int i = 0; i < a.size(); i++) a.setDouble(i, rnd.nextDouble() * 2 - 1);
        return a;
    }

    private static long[] l(long... v) { return v; }

    /** The tapped product's cases: 3x3 with pads 1 and ReLU over 13x13; 5x5 with pads 2 over 9x9. */
    private static final Attrs TAPPED_13 = Attrs.of("pads", l(1, 1, 1, 1), "activation", "relu"),
            TAPPED_5 = Attrs.of("pads", l(2, 2, 2, 2));

    /** A conv job: X a graph input, W, B (null: none) constants, Z (null: none) a second graph input. */
    private void conv(String name, Attrs a, int[] x, int[] w, boolean bias, boolean z) {
        Graph g = new Graph(name);
        NdArray xv = random(x), wv = random(w);
        Value vx = g.addInput("x", xv.type());
        List<Value> ins = new ArrayList<>(List.of(vx, g.addConstant("w", wv)));
        ins.add(bias ? g.addConstant("b", random(w[0])) : null);
        List<NdArray> inputs = new ArrayList<>(List.of(xv));
        if (z) {
            Graph probe = new Graph("probe");
            Node pn = probe.addNode(Ops.CONV, "n", List.of(probe.addInput("x", xv.type()), probe.addConstant("w", wv)), a);
            NdArray zv = random(pn.output(0).shape().dims());
            ins.add(g.addInput("z", zv.type()));
            inputs.add(zv);
        }
        g.addOutput(g.addNode(Ops.CONV, "n", ins, a).output(0));
        jobs.add(new Checker.Job(name, g, inputs));
    }

    private void conv(String name, Attrs a, int[] x, int[] w) { conv(name, a, x, w, true, false); }

    /** A separable_conv job: X [N, C, H, W], mid = C * r intermediate and m output channels, both biases, optional Z. */
    private void separable(String name, Attrs a, int[] x, int mid, int m, boolean z) {
        Graph g = new Graph(name);
        NdArray xv = random(x);
        Value vx = g.addInput("x", xv.type());
        List<Value> ins = new ArrayList<>(List.of(vx, g.addConstant("wd", random(mid, 1, 3, 3)), g.addConstant("wp", random(m, mid, 1, 1)),
                g.addConstant("bd", random(mid)), g.addConstant("bp", random(m))));
        List<NdArray> inputs = new ArrayList<>(List.of(xv));
        if (z) {
            Graph probe = new Graph("probe");
            List<Value> pin = new ArrayList<>(List.of(probe.addInput("x", xv.type()), probe.addConstant("wd", random(mid, 1, 3, 3)),
                    probe.addConstant("wp", random(m, mid, 1, 1))));
            NdArray zv = random(probe.addNode(Ops.SEPARABLE_CONV, "n", pin, a).output(0).shape().dims());
            ins.add(g.addInput("z", zv.type()));
            inputs.add(zv);
        }
        g.addOutput(g.addNode(Ops.SEPARABLE_CONV, "n", ins, a).output(0));
        jobs.add(new Checker.Job(name, g, inputs));
    }

    private static int[] s(int... d) { return d; }

    private void addCases() {
        Attrs relu = Attrs.of("activation", "relu");
        // blocked product, direct 1x1: full tiles only (8x8), a partial tile (5x7), tail channels (19 = 2 x 8 + 3)
        conv("pw_full", relu, s(1, 5, 8, 8), s(19, 5, 1, 1));
        conv("pw_partial", Attrs.EMPTY, s(1, 6, 5, 7), s(9, 6, 1, 1), false, false);
        conv("pw_batch_z", Attrs.of("activation", "leaky_relu", "activation_params", new double[] {0.1}), s(2, 3, 4, 9), s(12, 3, 1, 1), true, true);
        // gathered columns: 3x3 pad 1; strided with asymmetric pads and dilation, fewer channels than a block
        conv("k3_pad", relu, s(1, 3, 9, 11), s(10, 3, 3, 3), true, true);
        conv("k3_stride_dil", Attrs.of("strides", l(2, 1), "dilations", l(1, 2), "pads", l(1, 0, 2, 3)), s(1, 4, 10, 7), s(7, 4, 3, 2));
        conv("k1_stride2", Attrs.of("strides", l(2, 2)), s(1, 5, 9, 9), s(11, 5, 1, 1));
        // the direct kernel (DirectConvKernels, hosts): the 3-channel stem at stride 2 without pads; odd channels with
        // a tail block, residual and clip; stride 2 with dilation 2 and asymmetric pads; 5x5 over a wide plane
        conv("direct_stem_s2", relu, s(1, 3, 23, 21), s(17, 3, 3, 3));
        conv("direct_odd_z", Attrs.of("pads", l(1, 1, 1, 1), "activation", "clip", "activation_params", new double[] {-0.5, 0.5}),
                s(2, 7, 9, 13), s(13, 7, 3, 3), true, true);
        conv("direct_s2_dil", Attrs.of("strides", l(2, 2), "dilations", l(2, 2), "pads", l(2, 1, 0, 3)), s(1, 5, 14, 11), s(9, 5, 3, 3), false, true);
        conv("direct_k5", Attrs.of("pads", l(2, 2, 2, 2)), s(1, 4, 6, 37), s(20, 4, 5, 5));
        // stems over planes wider than a vector, whose accumulator vectors inside one output row go straight to Y and
        // the others (row ends, junk columns) through tmp: pads 0 with relu, batch 2, an even output width and a tail
        // block; pads 1 without activation, an odd output width; pads 1 with clip and no bias
        conv("direct_stem_wide", relu.with("strides", l(2, 2)), s(2, 3, 11, 157), s(21, 3, 3, 3));
        conv("direct_stem_wide_p1", Attrs.of("strides", l(2, 2), "pads", l(1, 1, 1, 1)), s(1, 3, 10, 142), s(13, 3, 3, 3));
        conv("direct_stem_wide_clip", Attrs.of("strides", l(2, 2), "pads", l(1, 1, 1, 1), "activation", "clip", "activation_params",
                new double[] {0.0, 0.5}), s(1, 3, 8, 134), s(10, 3, 3, 3), false, false);
        // DS-CNN's stem: 10x4 taps (40) at stride 2 over one 49x10 channel, asymmetric pads, tail block of channels
        conv("direct_ds_cnn_stem", Attrs.of("strides", l(2, 2), "pads", l(4, 1, 5, 1), "activation", "relu"), s(1, 1, 49, 10), s(13, 1, 10, 4));
        // bias and clip on the accumulator vectors (VectorClamp): the MobileNet stem (stride 2, pads 1) with both
        // bounds; a 1x1 product whose full tiles store from registers with residual and both bounds
        Attrs clipHalf = Attrs.of("activation", "clip", "activation_params", new double[] {-0.5, 0.5});
        conv("direct_stem_clip", clipHalf.with("strides", l(2, 2)).with("pads", l(1, 1, 1, 1)), s(1, 3, 30, 29), s(11, 3, 3, 3));
        conv("pw_clip_z", clipHalf, s(1, 5, 8, 9), s(19, 5, 1, 1), true, true);
        // groups that are not depthwise; one input channel with many outputs (blocked per group)
        conv("grouped", Attrs.of("group", 2L, "pads", l(0, 1, 0, 1)), s(1, 6, 5, 6), s(10, 3, 2, 3));
        conv("multiplier", Attrs.of("group", 1L, "strides", l(2, 2), "pads", l(4, 1, 5, 2)), s(1, 1, 19, 10), s(12, 1, 10, 4));
        // more pixels than fit one gather chunk (host budget), so chunks end mid-row
        conv("chunks", relu, s(1, 16, 13, 17), s(9, 16, 3, 3));
        // fewer pixels than a vector: matrix-vector products (1x1 plane, batch 2 with residual; a 2x2 plane)
        conv("gemv_1x1", Attrs.of("activation", "hard_sigmoid", "activation_params", new double[] {0.2, 0.5}), s(2, 12, 1, 1), s(20, 12, 1, 1), true, true);
        conv("gemv_2x2", Attrs.EMPTY, s(1, 7, 2, 2), s(5, 7, 1, 1));
        // ... with a vector of output channels per pixel (W^T read once for all pixels): VWW's 3x3 plane with tail
        // channels after the whole vectors, and two images with a residual and no bias
        conv("gemv_3x3_tail", relu, s(1, 40, 3, 3), s(37, 40, 1, 1));
        conv("gemv_3x3_z", Attrs.EMPTY, s(2, 9, 3, 3), s(32, 9, 1, 1), false, true);
        // scalar FPUs' row blocks (ScalarConvKernels): 3x3 with bias, residual and activation (4 columns a block);
        // strided with 1 column a block; batch 2 with 3 columns; a 2x3 window whose top pad skips whole kernel rows
        conv("rows_k3_z", relu, s(1, 5, 9, 12), s(8, 5, 3, 3), true, true);
        conv("rows_k3_s2", Attrs.of("strides", l(2, 2), "pads", l(1, 1, 1, 1)), s(1, 3, 11, 13), s(12, 3, 3, 3));
        conv("rows_k3_s2_batch", Attrs.of("strides", l(2, 2), "pads", l(0, 1, 1, 0), "activation", "relu"), s(2, 4, 8, 12), s(4, 4, 3, 3), false, false);
        conv("rows_k2x3_pads", Attrs.of("pads", l(2, 0, 1, 2)), s(1, 2, 6, 9), s(4, 2, 2, 3));
        // 1-d and 3-d
        conv("conv1d", Attrs.of("strides", l(2), "pads", l(1, 2)), s(1, 3, 23), s(6, 3, 3));
        conv("conv3d", Attrs.of("pads", l(1, 0, 1, 0, 1, 1)), s(1, 2, 4, 5, 6), s(5, 2, 3, 2, 2));
        // depthwise: flat (stride 1) with residual and activation; strided; dilated; channel multiplier 2; 1-d
        conv("dw_flat_z", Attrs.of("group", 5L, "pads", l(1, 1, 1, 1), "activation", "clip", "activation_params", new double[] {0.0, 0.5}),
                s(1, 5, 7, 5), s(5, 1, 3, 3), true, true);
        conv("dw_flat", Attrs.of("group", 4L, "pads", l(2, 2, 2, 2)), s(2, 4, 11, 13), s(4, 1, 5, 5));
        conv("dw_stride", Attrs.of("group", 3L, "strides", l(2, 2), "pads", l(0, 0, 1, 1)), s(1, 3, 9, 8), s(3, 1, 3, 3), false, false);
        conv("dw_dil", Attrs.of("group", 3L, "dilations", l(2, 2), "pads", l(2, 2, 2, 2)), s(1, 3, 6, 7), s(3, 1, 3, 3));
        conv("dw_mult2", Attrs.of("group", 3L, "pads", l(1, 1, 1, 1)), s(1, 3, 6, 6), s(6, 1, 3, 3));
        conv("dw_1d", Attrs.of("group", 4L, "pads", l(1, 1)), s(1, 4, 9), s(4, 1, 3));
        // flat depthwise on planes of a few vectors, several channels a turn (DepthwiseChannels, vector hosts):
        // MobileNet-v1's 6x6 with relu, batch 2, 5 channels (two turns of 2 and one left); 3x3 planes with leaky_relu
        // lane by lane, 11 channels (a turn of 8 and 3 left); a channel multiplier of 2 with hard_swish, no bias
        conv("dw_chan_6x6_rest", relu.with("group", 5L).with("pads", l(1, 1, 1, 1)), s(2, 5, 6, 6), s(5, 1, 3, 3));
        conv("dw_chan_3x3_leaky", Attrs.of("group", 11L, "pads", l(1, 1, 1, 1), "activation", "leaky_relu", "activation_params",
                new double[] {0.1}), s(1, 11, 3, 3), s(11, 1, 3, 3));
        // ... strided, a row at a time at stride 1: stride 2 with the kept columns shuffled out of accumulator pairs
        // (5 channels, batch 2: 4 a turn and one left; rows of 20, a whole vector and a part); stride 3 gathered with
        // clip; stride 2 down the height only (rows copied)
        conv("dw_chan_s2_rest", relu.with("group", 5L).with("strides", l(2, 2)).with("pads", l(1, 1, 1, 1)), s(2, 5, 9, 40), s(5, 1, 3, 3));
        conv("dw_chan_s3_clip", clipHalf.with("group", 4L).with("strides", l(3, 3)).with("pads", l(1, 1, 1, 1)), s(1, 4, 10, 11),
                s(4, 1, 3, 3));
        conv("dw_chan_s2x1", Attrs.of("group", 3L, "strides", l(2, 1), "pads", l(0, 1, 1, 1)), s(1, 3, 7, 9), s(3, 1, 3, 3));
        conv("dw_chan_mult2_hswish", Attrs.of("group", 3L, "pads", l(1, 0, 1, 2), "activation", "hard_swish"), s(1, 3, 5, 4),
                s(6, 1, 3, 3), false, false);
        // depthwise through padded phase rows on vector hosts (strided, or 10 % fewer vector steps than flat): MobileNetV3's
        // 5x5 stride 2 with hard_swish on vectors; 14x14 at stride 1 with hard_sigmoid and a channel multiplier of 2;
        // rows of 30 (a whole vector and a part) at stride 2 with asymmetric pads, no bias, batch 2
        Attrs hswish = Attrs.of("activation", "hard_swish");
        conv("dw_rows_s2_hswish", hswish.with("group", 3L).with("strides", l(2, 2)).with("pads", l(2, 2, 2, 2)), s(1, 3, 14, 14), s(3, 1, 5, 5));
        conv("dw_rows_hsig_mult2", Attrs.of("group", 2L, "pads", l(2, 2, 2, 2), "activation", "hard_sigmoid", "activation_params",
                new double[] {0.2, 0.5}), s(1, 2, 14, 14), s(4, 1, 5, 5));
        conv("dw_rows_s2_wide", Attrs.of("group", 4L, "strides", l(2, 2), "pads", l(0, 0, 1, 1), "activation", "relu"), s(2, 4, 9, 60),
                s(4, 1, 3, 3), false, false);
        // rows of 151 columns at stride 2: even and odd columns split by shuffles (4 blocks of 32 on AVX-512, 9 of 16
        // on AVX2), then the last 11 and 10 one at a time
        conv("dw_rows_s2_deinterleave", Attrs.of("group", 2L, "strides", l(2, 2), "pads", l(1, 1, 1, 1), "activation", "relu"),
                s(1, 2, 5, 151), s(2, 1, 3, 3));
        // hard_swish on the accumulator vectors (VectorClamp): the MobileNetV3 stem; a 1x1 product's full tiles
        conv("direct_stem_hswish", hswish.with("strides", l(2, 2)).with("pads", l(1, 1, 1, 1)), s(1, 3, 30, 29), s(11, 3, 3, 3));
        conv("pw_hswish", hswish, s(1, 5, 8, 9), s(19, 5, 1, 1));
        // weights as a graph input (read unpacked) and one constant shared by two convs (unpacked)
        {
            Graph g = new Graph("w_input");
            NdArray xv = random(1, 4, 6, 6), wv = random(9, 4, 3, 3);
            Value x = g.addInput("x", xv.type()), w = g.addInput("w", wv.type());
            g.addOutput(g.addNode(Ops.CONV, "n", List.of(x, w), Attrs.of("pads", l(1, 1, 1, 1))).output(0));
            jobs.add(new Checker.Job("w_input", g, List.of(xv, wv)));
        }
        {
            Graph g = new Graph("w_shared");
            NdArray xv = random(1, 8, 5, 5);
            Value x = g.addInput("x", xv.type()), w = g.addConstant("w", random(8, 8, 1, 1));
            Value y1 = g.addNode(Ops.CONV, "a", List.of(x, w), Attrs.EMPTY).output(0);
            g.addOutput(g.addNode(Ops.CONV, "b", List.of(y1, w), Attrs.EMPTY).output(0));
            jobs.add(new Checker.Job("w_shared", g, List.of(xv)));
        }
        // max_pool's interior path: ceil_mode with a partial last window, pads and dilation, NaNs (one all-NaN window)
        {
            NdArray xv = random(1, 2, 9, 11);
            for (int i : new int[] {0, 1, 11, 12, 30, 31, 57}) xv.setDouble(i, Double.NaN);
            Graph g = new Graph("maxpool_nan");
            Value x = g.addInput("x", xv.type());
            g.addOutput(g.addNode(Ops.MAX_POOL, "n", List.of(x), Attrs.of("kernel_shape", l(2, 2), "strides", l(2, 2), "ceil_mode", 1L)).output(0));
            jobs.add(new Checker.Job("maxpool_nan", g, List.of(xv)));
            Graph g2 = new Graph("maxpool_pad_dil");
            Value x2 = g2.addInput("x", xv.type());
            g2.addOutput(g2.addNode(Ops.MAX_POOL, "n", List.of(x2), Attrs.of("kernel_shape", l(3, 3), "strides", l(1, 2), "pads", l(1, 1, 2, 0),
                    "dilations", l(2, 1))).output(0));
            jobs.add(new Checker.Job("maxpool_pad_dil", g2, List.of(xv)));
        }
        // separable_conv's fast form: rows wider than a vector (the vector interior), several rows per chunk, a
        // channel multiplier of 2, both activations, residual; and strided
        separable("sep_wide", Attrs.of("kernel_shape", l(3, 3), "pads", l(1, 1, 1, 1), "dw_activation", "relu", "activation", "relu"),
                s(1, 3, 5, 37), 6, 11, true);
        separable("sep_small_rows", Attrs.of("kernel_shape", l(3, 3), "pads", l(1, 1, 1, 1)), s(2, 4, 6, 5), 4, 9, false);
        separable("sep_stride", Attrs.of("kernel_shape", l(3, 3), "strides", l(2, 2), "pads", l(0, 0, 1, 1)), s(1, 5, 9, 23), 5, 7, false);
        // separable_conv's depthwise half over padded phase rows (DepthwiseRows, vector targets): odd channel counts,
        // clip (relu6) as vector clamps with residual; stride 2 and 3 (phases) with symmetric and asymmetric pads;
        // dilation on a row exactly one vector wide; mixed strides on rows narrower than a vector; hard_swish on vectors
        Attrs relu6 = Attrs.of("dw_activation", "clip", "dw_activation_params", new double[] {0.0, 6.0});
        separable("rows_clip_z", relu6.with("kernel_shape", l(3, 3)).with("pads", l(1, 1, 1, 1)), s(1, 5, 13, 19), 10, 7, true);
        separable("rows_s2", Attrs.of("kernel_shape", l(3, 3), "strides", l(2, 2), "pads", l(1, 1, 1, 1), "dw_activation", "hard_swish",
                "activation", "relu"), s(1, 3, 15, 35), 3, 5, false);
        separable("rows_s2_asym_z", relu6.with("kernel_shape", l(3, 3)).with("strides", l(2, 2)).with("pads", l(0, 0, 1, 1)),
                s(2, 4, 14, 16), 4, 9, true);
        separable("rows_s3", Attrs.of("kernel_shape", l(3, 3), "strides", l(3, 3), "pads", l(1, 2, 1, 0)), s(1, 3, 11, 40), 3, 4, false);
        separable("rows_dil", Attrs.of("kernel_shape", l(3, 3), "dilations", l(2, 2), "pads", l(2, 2, 2, 2), "dw_activation", "relu"),
                s(1, 3, 7, 16), 3, 6, true);
        // rows per block that fill whole two-vector tiles (28 wide: 8 rows on AVX-512, 4 on AVX2), the last block partial
        separable("rows_whole_tiles_z", relu6.with("kernel_shape", l(3, 3)).with("pads", l(1, 1, 1, 1)), s(1, 5, 10, 28), 5, 7, true);
        separable("rows_narrow", Attrs.of("kernel_shape", l(3, 3), "strides", l(1, 2), "pads", l(1, 0, 1, 2)), s(1, 6, 4, 3), 6, 3, false);
        // rows computed together (DepthwiseRows.Block): 28 wide, blocks of 8 rows in pairs, the last block of 3 rows a
        // pair and a single row; every row's part vector stored whole over the next row (the last channel's last row
        // into the gap before the padded buffer); 14-wide rows in pairs with hard_swish lane by lane; rows of 150
        // (more vectors than the accumulators: a vector at a time), stride 2
        separable("rows_pairs_z", relu6.with("kernel_shape", l(3, 3)).with("pads", l(1, 1, 1, 1)), s(1, 3, 11, 28), 3, 5, true);
        separable("rows_pairs_hswish", Attrs.of("kernel_shape", l(3, 3), "pads", l(1, 1, 1, 1), "dw_activation", "hard_swish"),
                s(1, 4, 14, 14), 4, 6, false);
        separable("rows_wide_s2", relu6.with("kernel_shape", l(3, 3)).with("strides", l(2, 2)).with("pads", l(1, 1, 1, 1)),
                s(1, 2, 5, 299), 2, 3, false);
        // 1x1 as the product vectorised over output channels (PointwiseGemm, vector hosts): a 7x7 plane (partial
        // position block) with odd output channels (tail block with a part vector), residual and clip, batch 2; a
        // 13x13 plane with no bias; a separable conv whose pointwise half takes it (residual, relu6 on both halves)
        Attrs clip6 = Attrs.of("activation", "clip", "activation_params", new double[] {-0.25, 0.25});
        conv("pwgemm_tail_z", clip6, s(2, 150, 7, 7), s(83, 150, 1, 1), true, true);
        conv("pwgemm_nobias", relu, s(1, 200, 13, 13), s(40, 200, 1, 1), false, false);
        // several channel blocks over several position blocks: each block prefetches the next block's weights
        conv("pwgemm_prefetch", relu, s(1, 64, 7, 7), s(96, 64, 1, 1), true, false);
        // global_average_pool of float32 on vector hosts: partial sums over whole vectors, then the plane's rest (13x13)
        {
            NdArray xv = random(2, 5, 13, 13);
            Graph g = new Graph("gap_vector");
            Value x = g.addInput("x", xv.type());
            g.addOutput(g.addNode(Ops.GLOBAL_AVERAGE_POOL, "n", List.of(x), Attrs.EMPTY).output(0));
            jobs.add(new Checker.Job("gap_vector", g, List.of(xv)));
        }
        // k x k at stride 1 as the tapped product over zero-padded planes (small planes, vector hosts): squeezenet's
        // 3x3 over 13x13 with a tail block of 83 channels; asymmetric pads and dilation 2 with residual and clip, no
        // bias, batch 2; a 5x5 window (rows of 9: a partial position block)
        // (a 3x3 over 13x13 takes Winograd F(4,3) where it is on: this case is compared within its bound)
        conv("wino_f4_tapped_13_tail", TAPPED_13, s(1, 24, 13, 13), s(83, 24, 3, 3), true, false);
        conv("tapped_dil_z", clip6.with("pads", l(2, 1, 2, 3)).with("dilations", l(2, 2)), s(2, 32, 8, 8), s(64, 32, 3, 3), false, true);
        conv("tapped_5x5", TAPPED_5, s(1, 32, 9, 9), s(48, 32, 5, 5), true, false);
        separable("pwgemm_sep_z", relu6.with("kernel_shape", l(3, 3)).with("pads", l(1, 1, 1, 1)).with("activation", "clip")
                .with("activation_params", new double[] {0.0, 6.0}), s(1, 200, 7, 7), 200, 37, true);
        // max_pool rows on vector hosts (interior rows a tap at a time, outputs innermost): NaNs, an all-NaN window,
        // squeezenet's 3x3 stride 2 with ceil_mode, stride 1 with pads and dilation, a row too narrow for it
        maxPool("pool_s2_ceil", Attrs.of("kernel_shape", l(3, 3), "strides", l(2, 2), "ceil_mode", 1L), s(1, 3, 9, 111));
        maxPool("pool_s1_pad_dil", Attrs.of("kernel_shape", l(3, 3), "pads", l(1, 2, 1, 2), "dilations", l(1, 2)), s(2, 2, 6, 53));
        maxPool("pool_narrow", Attrs.of("kernel_shape", l(3, 3), "strides", l(2, 2)), s(1, 4, 27, 27));
        // ... in whole vectors: a row of exactly two 16-float vectors (no overlapping last vector)
        maxPool("pool_s2_whole", Attrs.of("kernel_shape", l(3, 3), "strides", l(2, 2)), s(1, 2, 7, 65));
        // ... through the ring of row maxima (windows overlapping along the height): only +0, -0, 1 and NaN, so nearly
        // every window ties and the sign of the zero it keeps shows the tap order (pool jobs compare bits); stride 2,
        // stride 1 with pads (rows below the interior) and a width dilation
        maxPoolZeros("pool_ring_s2", Attrs.of("kernel_shape", l(3, 3), "strides", l(2, 2)), s(1, 3, 13, 37));
        maxPoolZeros("pool_ring_s1_pad", Attrs.of("kernel_shape", l(3, 2), "pads", l(2, 0, 1, 1), "dilations", l(1, 2)), s(2, 2, 9, 41));
        // Winograd F(2,3) (3x3 stride 1 on vector hosts; compared within WINOGRAD_TOLERANCE of sum |x||w|): an odd
        // plane with pads 1, bias and ReLU, 20 channels (two blocks of 8 and a tail of 4), chunks of 6 of 9 tile rows;
        // an even plane without pads or bias, one chunk; batch 2 with a residual and clip, 17 channels (a one-channel
        // tail), rows of 17 tiles (a vector and one), chunks of 3 of 8 rows; asymmetric pads (an odd output row last)
        conv("wino_odd_relu", relu.with("pads", l(1, 1, 1, 1)), s(1, 32, 17, 19), s(20, 32, 3, 3));
        conv("wino_even_nopad", Attrs.EMPTY, s(1, 24, 18, 20), s(16, 24, 3, 3), false, false);
        conv("wino_batch_z", clipHalf.with("pads", l(1, 1, 1, 1)), s(2, 32, 16, 33), s(17, 32, 3, 3), true, true);
        conv("wino_asym_pads", relu.with("pads", l(1, 0, 0, 2)), s(1, 24, 15, 31), s(19, 24, 3, 3));
        // Winograd F(4,3) (small planes, every tile at once, filters transformed at run time): squeezenet's 13x13 with
        // pads 1, bias and ReLU, 41 channels (blocks and a tail; on AVX2 two vectors of tiles); batch 2 with a
        // residual and clip over 16x16 (tiles fill the vector exactly), 37 channels; asymmetric pads, an 11x14 output
        // (3 x 4 tiles, a partial last tile row and unused lanes), no bias
        conv("wino_f4_13", relu.with("pads", l(1, 1, 1, 1)), s(1, 48, 13, 13), s(41, 48, 3, 3));
        conv("wino_f4_batch_z", clipHalf.with("pads", l(1, 1, 1, 1)), s(2, 32, 16, 16), s(37, 32, 3, 3), true, true);
        conv("wino_f4_asym", relu.with("pads", l(1, 0, 0, 2)), s(1, 40, 12, 14), s(48, 40, 3, 3), false, false);
        // gemm with trans_b: B^T packed as B
        gemm("gemm_tb", 3, 20, 7, "relu", false);
        // gemm with fewer rows than a tile (a classifier's matrix-vector product: tiles of up to 8 vectors of
        // columns, a partial column tile), with and without the activation, and two rows with a C row to add
        gemm("gemv_relu", 1, 40, 300, "relu", false);
        gemm("gemv_plain", 1, 33, 150, null, false);
        gemm("gemm_2rows_c", 2, 24, 70, null, true);
        // global_average_pool in lane-wise partial sums on vector hosts: 32 lanes and a tail (7x7), 4 lanes and a
        // tail (5), one running sum (3), and a 56x56 plane; squeeze-excite's channel scale and a per-channel add
        // walked as rows (the channel's value once per row), the per-channel input first or second
        globalAveragePool("gap_7x7", s(2, 5, 7, 7));
        globalAveragePool("gap_5", s(1, 3, 5));
        globalAveragePool("gap_3", s(1, 4, 3, 1));
        globalAveragePool("gap_56x56", s(1, 3, 56, 56));
        perChannel("scale_rows", Ops.MUL, s(1, 6, 1, 1), s(1, 6, 9, 11));
        perChannel("scale_rows_second", Ops.MUL, s(1, 5, 7, 7), s(5, 1, 1));
        perChannel("sub_rows", Ops.SUB, s(2, 3, 1, 1), s(2, 3, 4, 4));
        // a bias over the last axis ([N,T,C] + [C]) walks rows, the bias read at the column
        perChannel("bias_cols", Ops.ADD, s(1, 5, 64), s(64));
        perChannel("scale_cols_first", Ops.MUL, s(7), s(2, 3, 7));
        perChannel("div_cols_2d", Ops.DIV, s(6, 5), s(1, 5));
    }

    /** A global_average_pool job over x. */
    private void globalAveragePool(String name, int[] x) {
        Graph g = new Graph(name);
        NdArray xv = random(x);
        Value vx = g.addInput("x", xv.type());
        g.addOutput(g.addNode(Ops.GLOBAL_AVERAGE_POOL, "n", List.of(vx), Attrs.of()).output(0));
        jobs.add(new Checker.Job(name, g, List.of(xv)));
    }

    /** A job of a two-input element-wise op on graph inputs of shapes a and b (one of them one value per channel). */
    private void perChannel(String name, OpDef op, int[] a, int[] b) {
        Graph g = new Graph(name);
        NdArray av = random(a), bv = random(b);
        Value va = g.addInput("a", av.type()), vb = g.addInput("b", bv.type());
        g.addOutput(g.addNode(op, "n", List.of(va, vb), Attrs.of()).output(0));
        jobs.add(new Checker.Job(name, g, List.of(av, bv)));
    }

    /** A gemm job with trans_b: X [m][k] a graph input, B^T [n][k] and C [n] (or [m][n] when cRows) constants. */
    private void gemm(String name, int m, int k, int n, String activation, boolean cRows) {
        Graph g = new Graph(name);
        NdArray xv = random(m, k);
        Value x = g.addInput("x", xv.type());
        Attrs a = activation == null ? Attrs.of("trans_b", 1L) : Attrs.of("trans_b", 1L, "activation", activation);
        NdArray c = cRows ? random(m, n) : random(n);
        g.addOutput(g.addNode(Ops.GEMM, "n", List.of(x, g.addConstant("b", random(n, k)), g.addConstant("c", c)), a).output(0));
        jobs.add(new Checker.Job(name, g, List.of(xv)));
    }

    /** A max_pool job whose input has NaNs at every 7th element and one 3x3 block of them. */
    private void maxPool(String name, Attrs a, int[] x) {
        Graph g = new Graph(name);
        NdArray xv = random(x);
        for (int i = 0; i < xv.size(); i += 7) xv.setDouble(i, Double.NaN);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) xv.setDouble(r * x[3] + c, Double.NaN);
        Value vx = g.addInput("x", xv.type());
        g.addOutput(g.addNode(Ops.MAX_POOL, "n", List.of(vx), a).output(0));
        jobs.add(new Checker.Job(name, g, List.of(xv)));
    }

    /** A max_pool job over +0, -0, 1 and NaN only (a third of the values each sign of zero). */
    private void maxPoolZeros(String name, Attrs a, int[] x) {
        Graph g = new Graph(name);
        NdArray xv = random(x);
        java.util.Random r = new java.util.Random(name.hashCode());
        for (int i = 0; i < xv.size(); i++) {
            int k = r.nextInt(12);
            xv.setDouble(i, k < 5 ? 0.0 : k < 10 ? -0.0 : k < 11 ? 1.0 : Double.NaN);
        }
        Value vx = g.addInput("x", xv.type());
        g.addOutput(g.addNode(Ops.MAX_POOL, "n", List.of(vx), a).output(0));
        jobs.add(new Checker.Job(name, g, List.of(xv)));
    }

    private void runAndCompare(Target t, boolean sanitize) {
        addCases();
        List<Checker.Outcome> got = new CProgramRunner(t, sanitize, null).runAll(jobs);
        assertEquals(jobs.size(), got.size());
        for (int j = 0; j < jobs.size(); j++) {
            Checker.Job job = jobs.get(j);
            Checker.Outcome o = got.get(j);
            assertNull(o.error(), job.name());
            assertNotNull(o.outputs(), job.name());
            NdArray want = new Interpreter(job.graph()).run(job.inputs()).get(0), have = o.outputs().get(0), sumAbs = sumAbs(job);
            assertEquals(want.type(), have.type(), job.name());
            for (int i = 0; i < want.size(); i++) {
                double w = want.getDouble(i), h = have.getDouble(i);
                if (Double.isNaN(w)) assertTrue(Double.isNaN(h), job.name() + " element " + i + ": " + h + " is not NaN");
                // why: a max pool picks one of its inputs, the sign of a zero included
                else if (job.name().startsWith("pool_")) assertEquals(Double.doubleToRawLongBits(w), Double.doubleToRawLongBits(h),
                        job.name() + " element " + i + ": " + h + " for " + w);
                else if (sumAbs != null) assertEquals(w, h, WINOGRAD_TOLERANCE * sumAbs.getDouble(i) + 1e-6 * Math.abs(w),
                        job.name() + " element " + i + " (sum |x||w| " + sumAbs.getDouble(i) + ")");
                else assertEquals(w, h, 1e-5 + 1e-4 * Math.abs(w), job.name() + " element " + i);
            }
        }
    }

    /**
     * Winograd's bound relative to {@code sum |x| |w|} over an output's window: F(2,3)'s transforms add and subtract
     * up to 16 inputs and 16 products in float, a few ulps (6e-8 each) of that sum; a wrong transform coefficient or
     * tap is off by a whole product (about 1/9 of the sum on these random inputs).
     */
    private static final double WINOGRAD_TOLERANCE = 1e-5;

    /** For a Winograd job ({@code wino_*}): the interpreter's conv of |x| by |w| without bias (sum |x||w| per output), else null. */
    private static NdArray sumAbs(Checker.Job job) {
        if (!job.name().startsWith("wino_")) return null;
        Node n = job.graph().nodes().get(0);
        Graph g = new Graph(job.name() + "_abs");
        NdArray x = job.inputs().get(0).copy(), w = n.input(1).constant().copy();
        for (int i = 0; i < x.size(); i++) x.setDouble(i, Math.abs(x.getDouble(i)));
        for (int i = 0; i < w.size(); i++) w.setDouble(i, Math.abs(w.getDouble(i)));
        Attrs a = Attrs.EMPTY;
        for (String k : List.of("pads", "strides", "dilations")) if (n.attrs().has(k)) a = a.with(k, n.attrs().get(k));
        g.addOutput(g.addNode(Ops.CONV, "n", List.of(g.addInput("x", x.type()), g.addConstant("w", w)), a).output(0));
        return new Interpreter(g).run(List.of(x)).get(0);
    }

    @Test
    void hostVectorKernelsMatchTheInterpreter() {
        runAndCompare(Target.load("host"), true);
    }

    @Test
    void cortexM4fScalarKernelsMatchTheInterpreter() {
        runAndCompare(Target.load("cortex-m4f"), false);
    }

    @Test
    void portableFallbackMatchesTheInterpreter() {
        // why: KILN_NO_VECTOR_EXT compiles the plain-C99 loops that stand in for the vector type on other compilers
        runAndCompare(Target.load("host").with(Map.of("cflags", "-O1 -DKILN_NO_VECTOR_EXT")), false);
    }

    @Test
    void avx2KernelsMatchTheInterpreter() {
        // why: AVX2 hosts get 32-byte vectors and register blocks sized for 16 registers (x86-64-v3's descriptor);
        // the same blocks as an AVX2-only host's isa=native, built with -mavx2 -mfma at full optimisation
        // why: the program runs here, so it needs a CPU with AVX2 (as HostInt8KernelsTest's ISA paths do)
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.kiln.backend.HostIsa.detected().contains("avx2"), "this CPU has no AVX2");
        runAndCompare(Target.load("x86-64-v3").with(Map.of("cflags", "-O2 -mavx2 -mfma")), false);
    }

    @Test
    void registerBlocksFollowTheIsa() {
        Target avx2 = Target.load("host").with(Map.of("isa", "avx2 fma")), avx512 = Target.load("host").with(Map.of("isa", "avx2 fma avx512f"));
        assertEquals(32, avx2.vectorBytes(), "an AVX2 host's vectors are 32 bytes whatever the descriptor's 64");
        assertEquals(16, avx2.vectorRegisters());
        assertEquals(64, avx512.vectorBytes());
        assertEquals(32, avx512.vectorRegisters());
        assertEquals(16, Target.load("x86-64-v3").vectorRegisters());
        for (Target t : List.of(avx2, Target.load("x86-64-v3"))) {
            Strategy st = Strategy.of(t, Dialect.C);
            // why: Winograd would take this 3x3 (the direct kernel's blocks are checked without it)
            NnKernels.Window k3 = lower(t.with(Map.of("conv.winograd", "off")), Attrs.of("pads", l(1, 1, 1, 1)), s(1, 16, 28, 28), s(32, 16, 3, 3));
            assertNotNull(k3.direct);
            int r = k3.direct.block.count, v = k3.direct.vectors;
            assertTrue(r * v + v + 1 <= 14, "direct block " + r + "x" + v + " fits 14 of 16 ymm registers");
            assertEquals(8, k3.direct.lanes);
            NnKernels.Window pw = lower(t, Attrs.EMPTY, s(1, 16, 28, 28), s(32, 16, 1, 1));
            assertTrue(st.fits(pw.gemm.block.count, pw.gemm.vectors), "1x1 block fits 16 registers");
            assertEquals(6, pw.gemm.block.count, "6 rows x 2 vectors on AVX2");
            SeparableKernels.Separable sep = lowerSeparable(t);
            assertTrue(st.fits(sep.gemm.block.count, sep.gemm.vectors));
        }
        // why: the image stems (squeezenet's 3->64 without pads, mobilenet_v2's 3->32 with pads 1, both stride 2) and
        // the wide stem cases of the batched program take the direct kernel with vector clamps (vectors inside a
        // row stored straight to Y) on both ISAs
        for (Target t : List.of(avx2, avx512)) {
            Attrs s2 = Attrs.of("strides", l(2, 2), "activation", "relu");
            for (NnKernels.Window w : List.of(lower(t, s2, s(1, 3, 224, 224), s(64, 3, 3, 3)),
                    lower(t, s2.with("pads", l(1, 1, 1, 1)), s(1, 3, 224, 224), s(32, 3, 3, 3)),
                    lower(t, s2, s(2, 3, 11, 157), s(21, 3, 3, 3)),
                    lower(t, Attrs.of("strides", l(2, 2), "pads", l(1, 1, 1, 1)), s(1, 3, 10, 142), s(13, 3, 3, 3)))) {
                assertNotNull(w.direct);
                assertNotNull(w.direct.clamp);
                assertTrue(w.direct.rowStores);
            }
            // why: resnet8's 32-wide stem (stride 1, pads 1) keeps the tmp path: half its vectors cross a row end
            assertFalse(lower(t, Attrs.of("pads", l(1, 1, 1, 1), "activation", "relu"), s(1, 3, 32, 32), s(16, 3, 3, 3)).direct.rowStores);
        }
        // why: AVX-512 keeps the 8 x 2 blocks and the 28-register budget
        assertEquals(8, lower(avx512, Attrs.EMPTY, s(1, 16, 28, 28), s(32, 16, 1, 1)).gemm.block.count);
        // why: a one-row gemm (classifier) widens its tile to 8 vectors of columns on AVX-512, 4 within AVX2's 16
        // registers; four rows keep the 4 x 2 tile
        assertEquals(128, lowerGemm(avx512, 1).cb);
        assertEquals(1, lowerGemm(avx512, 1).rb);
        assertEquals(32, lowerGemm(avx2, 1).cb);
        assertEquals(32, lowerGemm(avx512, 4).cb);
        assertEquals(4, lowerGemm(avx512, 4).rb);
    }

    /** The lowering's model of a gemm of {@code m} rows, 64 inner and 1000 columns (trans_b) on target {@code t}. */
    private static NnKernels.Matmul lowerGemm(Target t, int m) {
        Graph g = new Graph("m");
        Value vx = g.addInput("x", NdArray.zeros(DType.F32, Shape.of(m, 64)).type());
        Node n = g.addNode(Ops.GEMM, "n", List.of(vx, g.addConstant("b", NdArray.zeros(DType.F32, Shape.of(1000, 64)))),
                Attrs.of("trans_b", 1L));
        g.addOutput(n.output(0));
        KernelModel k = new KernelModel(0, "m", n);
        Lowerings.lower(k, n, Strategy.of(t, Dialect.C));
        return (NnKernels.Matmul) k.m;
    }

    /** The lowering's model of a conv node on target {@code t}. */
    private static NnKernels.Window lower(Target t, Attrs a, int[] x, int[] w) {
        Graph g = new Graph("m");
        Value vx = g.addInput("x", NdArray.zeros(DType.F32, Shape.of(x)).type());
        Node n = g.addNode(Ops.CONV, "n", List.of(vx, g.addConstant("w", NdArray.zeros(DType.F32, Shape.of(w)))), a);
        g.addOutput(n.output(0));
        KernelModel k = new KernelModel(0, "m", n);
        Lowerings.lower(k, n, Strategy.of(t, Dialect.C));
        return (NnKernels.Window) k.m;
    }

    /** The lowering's model of a max_pool node on target {@code t}. */
    private static NnKernels.Window lowerPool(Target t, Attrs a, int[] x) {
        Graph g = new Graph("m");
        Value vx = g.addInput("x", NdArray.zeros(DType.F32, Shape.of(x)).type());
        Node n = g.addNode(Ops.MAX_POOL, "n", List.of(vx), a);
        g.addOutput(n.output(0));
        KernelModel k = new KernelModel(0, "m", n);
        Lowerings.lower(k, n, Strategy.of(t, Dialect.C));
        return (NnKernels.Window) k.m;
    }

    /** The kernel model of a two-input element-wise op on graph inputs of shapes a and b. */
    private static KernelModel binaryModel(OpDef op, int[] a, int[] b) {
        Graph g = new Graph("m");
        Value va = g.addInput("a", NdArray.zeros(DType.F32, Shape.of(a)).type());
        Value vb = g.addInput("b", NdArray.zeros(DType.F32, Shape.of(b)).type());
        Node n = g.addNode(op, "n", List.of(va, vb), Attrs.of());
        g.addOutput(n.output(0));
        return new KernelModel(0, "m", n);
    }

    /** The lowering's model of a global_average_pool node on target {@code t}. */
    private static NnKernels.Planes lowerGlobalAveragePool(Target t, int[] x) {
        Graph g = new Graph("m");
        Value vx = g.addInput("x", NdArray.zeros(DType.F32, Shape.of(x)).type());
        Node n = g.addNode(Ops.GLOBAL_AVERAGE_POOL, "n", List.of(vx), Attrs.of());
        g.addOutput(n.output(0));
        KernelModel k = new KernelModel(0, "m", n);
        Lowerings.lower(k, n, Strategy.of(t, Dialect.C));
        return (NnKernels.Planes) k.m;
    }

    @Test
    void perChannelOpsWalkRowsAndPlaneSumsTakeLanes() {
        KernelModel scale = binaryModel(Ops.MUL, s(1, 6, 1, 1), s(1, 6, 9, 11));
        assertTrue(scale.rows && scale.x.row && !scale.in1.row, "squeeze-excite's scale walks rows");
        assertEquals(6, scale.rowsOuter);
        assertEquals(99, scale.rowsInner);
        KernelModel second = binaryModel(Ops.MUL, s(1, 5, 7, 7), s(5, 1, 1));
        assertTrue(second.rows && !second.x.row && second.in1.row);
        KernelModel column = binaryModel(Ops.ADD, s(1, 6, 9, 11), s(11));
        assertTrue(column.rows && column.in1.column && !column.x.column && !column.in1.row, "a bias over the last axis walks rows");
        assertEquals(54, column.rowsOuter);
        assertEquals(11, column.rowsInner);
        assertTrue(binaryModel(Ops.MUL, s(7), s(2, 3, 7)).x.column, "the first input per column");
        assertFalse(binaryModel(Ops.ADD, s(2, 6, 9, 11), s(9, 1)).rows, "a middle axis: neither one per row nor one per column");
        assertFalse(binaryModel(Ops.ADD, s(2, 6, 1, 1), s(1, 6, 9, 11)).rows, "both inputs broadcast");
        assertFalse(binaryModel(Ops.ADD, s(1, 6, 9, 11), s(1, 6, 9, 11)).rows, "same shapes keep the flat loop");
        Target avx512 = Target.load("host").with(Map.of("isa", "avx2 fma avx512f"));
        assertEquals(32, lowerGlobalAveragePool(avx512, s(1, 96, 7, 7)).lanes, "two 16-float vectors");
        assertEquals(16, lowerGlobalAveragePool(Target.load("x86-64-v3"), s(1, 96, 7, 7)).lanes, "two 8-float vectors");
        assertEquals(4, lowerGlobalAveragePool(avx512, s(1, 3, 5)).lanes);
        assertEquals(0, lowerGlobalAveragePool(avx512, s(1, 4, 3, 1)).lanes, "too small a plane: one running sum");
        assertEquals(0, lowerGlobalAveragePool(Target.load("cortex-m4f"), s(1, 96, 7, 7)).lanes, "scalar FPUs keep one sum");
    }

    @Test
    void maxPoolRowsOnWideVectorRows() {
        Attrs s2 = Attrs.of("kernel_shape", l(3, 3), "strides", l(2, 2));
        Target avx512 = Target.load("host").with(Map.of("isa", "avx2 fma avx512f"));
        NnKernels.Window wide = lowerPool(avx512, s2, s(1, 64, 111, 111));
        assertTrue(wide.fastPool && wide.poolRows);
        assertEquals(55, wide.poolWidth);
        assertTrue(wide.poolVectors && wide.poolStride2, "stride 2 in whole vectors");
        assertEquals(16, wide.poolLanes);
        assertEquals(48, wide.poolFullEnd);
        assertTrue(wide.poolTail, "the last vector ends the row");
        assertEquals(39, wide.poolTailStart);
        assertEquals("0, 2, 4, 6, 8, 10, 12, 14, 17, 19, 21, 23, 25, 27, 29, 31", wide.poolEven);
        assertTrue(wide.poolRing, "overlapping window rows: each row's maxima once");
        assertFalse(lowerPool(avx512, Attrs.of("kernel_shape", l(2, 2), "strides", l(2, 2)), s(1, 4, 50, 50)).poolRing,
                "windows that do not overlap along the height share no rows");
        assertFalse(lowerPool(avx512, s2, s(1, 2, 9, 3001)).poolRing, "a ring over 8 KB stays off the stack");
        NnKernels.Window narrow = lowerPool(avx512, s2, s(1, 64, 27, 27));
        assertTrue(narrow.poolVectors, "13 outputs: 8-float vectors");
        assertEquals(32, narrow.poolVectorBytes);
        assertTrue(lowerPool(Target.load("x86-64-v3"), s2, s(1, 64, 27, 27)).poolRows, "13 outputs: more than 12 on AVX2");
        assertFalse(lowerPool(avx512, Attrs.of("kernel_shape", l(3, 3), "strides", l(3, 3)), s(1, 4, 50, 50)).poolVectors,
                "stride 3 keeps the row loop");
        NnKernels.Window m4 = lowerPool(Target.load("cortex-m4f"), s2, s(1, 64, 111, 111));
        assertTrue(m4.fastPool && !m4.poolRows && !m4.poolVectors, "scalar FPUs keep the window loop");
    }

    /** The lowering's model of a stride-2 separable_conv (3x3, 16 channels to 24) on target {@code t}. */
    private static SeparableKernels.Separable lowerSeparable(Target t) { return lowerSeparable(t, 14, 2); }

    /** The same over a {@code w} × {@code w} plane at {@code stride}. */
    private static SeparableKernels.Separable lowerSeparable(Target t, int w, long stride) {
        Graph g = new Graph("m");
        Value vx = g.addInput("x", NdArray.zeros(DType.F32, Shape.of(1, 16, w, w)).type());
        Node n = g.addNode(Ops.SEPARABLE_CONV, "n", List.of(vx, g.addConstant("wd", NdArray.zeros(DType.F32, Shape.of(16, 1, 3, 3))),
                g.addConstant("wp", NdArray.zeros(DType.F32, Shape.of(24, 16, 1, 1)))),
                Attrs.of("kernel_shape", l(3, 3), "strides", l(stride, stride), "pads", l(1, 1, 1, 1)));
        g.addOutput(n.output(0));
        KernelModel k = new KernelModel(0, "m", n);
        Lowerings.lower(k, n, Strategy.of(t, Dialect.C));
        return (SeparableKernels.Separable) k.m;
    }

    @Test
    void depthwiseRowsComputeSeveralVectorsAtOnce() {
        Target avx512 = Target.load("host").with(Map.of("isa", "avx2 fma avx512f"));
        // 56-wide rows (4 vectors) one at a time; 28-wide rows (2 vectors) in pairs; rows of one vector in groups
        // of at most 4 that divide the block's rows: 14 wide (no row count makes whole tiles) the whole plane of 14
        // rows, 2 at a time; 7 wide the whole plane of 7, one at a time (7 rows at a time measured slower on
        // MobileNet's 7x7 planes than one)
        DepthwiseRows r56 = lowerSeparable(avx512, 56, 1).rows, r28 = lowerSeparable(avx512, 28, 1).rows,
                r14 = lowerSeparable(avx512, 14, 1).rows, r7 = lowerSeparable(avx512, 7, 1).rows;
        assertTrue(r56.grouped && !r56.hasRowGroups && r56.single.slots.size() == 4);
        assertEquals(8, r56.overrun, "56 = 3.5 vectors: the last vector's upper half runs past the row");
        assertTrue(r28.hasRowGroups && r28.rowGroup == 2 && r28.group.slots.size() == 4);
        assertEquals(28 + 16, r28.group.slots.get(3).out, "the second row's second vector");
        assertEquals(List.of(2L, 14L), List.of(r14.rowGroup, lowerSeparable(avx512, 14, 1).rowsPer));
        assertEquals(List.of(1L, 7L), List.of(r7.rowGroup, lowerSeparable(avx512, 7, 1).rowsPer));
        assertTrue(r14.hasRowGroups && r14.group.slots.size() == 2 && r7.grouped && !r7.hasRowGroups);
        // rows of more than 8 vectors keep the loop over vectors; the separable's scratch leaves the overrun before pad
        SeparableKernels.Separable wide = lowerSeparable(avx512, 300, 1);
        assertFalse(wide.rows.grouped);
        assertEquals(wide.scratchFloats + wide.rows.overrun, wide.padAt);
    }

    @Test
    void winogradTakesThreeByThreeConvsOfWidePlanes() {
        Target host = Target.load("host").with(Map.of("isa", "avx2 fma avx512f"));
        Attrs pad1 = Attrs.of("pads", l(1, 1, 1, 1), "activation", "relu");
        // squeezenet's expand3x3: 16 -> 64 over 55x55 and 32 -> 128 over 27x27 take Winograd F(2,3); 48 -> 192 and
        // 64 -> 256 over 13x13 (7 tiles a row, under half a vector) take F(4,3): 16 tiles, one vector
        NnKernels.Window e55 = lower(host, pad1, s(1, 16, 55, 55), s(64, 16, 3, 3)), e27 = lower(host, pad1, s(1, 32, 27, 27), s(128, 32, 3, 3));
        for (NnKernels.Window w : List.of(e55, e27)) assertTrue(w.winograd != null && w.direct == null && w.pointwise == null);
        assertEquals(28, e55.winograd.tileCols);
        assertEquals(4, e55.winograd.chunkRows, "chunks of 4 tile rows: 112 tiles, 128 KB of transforms");
        assertEquals(128, e55.winograd.chunkRound);
        assertEquals(8, e55.winograd.block.count);
        for (int[][] sh : new int[][][] {{s(1, 48, 13, 13), s(192, 48, 3, 3)}, {s(1, 64, 13, 13), s(256, 64, 3, 3)}}) {
            NnKernels.Window w = lower(host, pad1, sh[0], sh[1]);
            assertTrue(w.winograd == null && w.winograd4 != null && w.pointwise == null && w.direct == null, "13x13: F(4,3)");
            assertTrue(w.winograd4.tiles == 16 && w.winograd4.vectors == 1 && w.winograd4.block.count == (sh[1][0] == 192 ? 24 : 16));
            assertFalse(w.winograd4.hasTail, "blocks that divide the channels: a tail channel is one dependent chain");
        }
        // F(4,3) on AVX2: the 16 tiles take two 8-float vectors, blocks fit 16 registers
        NnKernels.Window a13 = lower(Target.load("x86-64-v3"), pad1, s(1, 64, 13, 13), s(256, 64, 3, 3));
        assertTrue(a13.winograd4 != null && a13.winograd4.vectors == 2 && a13.winograd4.lanes == 8);
        assertTrue(Strategy.of(Target.load("x86-64-v3"), Dialect.C).fits(a13.winograd4.block.count, 2));
        // resnet8: the 3x3 stride-1 convs over 32x32 (16 -> 16) take F(2,3), over 16x16 (32 -> 32) F(4,3); 8x8
        // (64 -> 64: 4 tiles a row for F(2,3), 4 tiles of 16 lanes for F(4,3)) and the 3-channel stem (too few products
        // per transform) neither; stride 2 never
        assertNotNull(lower(host, pad1, s(1, 16, 32, 32), s(16, 16, 3, 3)).winograd);
        assertNotNull(lower(host, pad1, s(1, 32, 16, 16), s(32, 32, 3, 3)).winograd4);
        NnKernels.Window r8 = lower(host, pad1, s(1, 64, 8, 8), s(64, 64, 3, 3));
        assertTrue(r8.winograd == null && r8.winograd4 == null);
        assertNull(lower(host, pad1, s(1, 3, 32, 32), s(16, 3, 3, 3)).winograd4);
        assertNull(lower(host, pad1, s(1, 3, 32, 32), s(16, 3, 3, 3)).winograd);
        assertNull(lower(host, pad1.with("strides", l(2, 2)), s(1, 16, 32, 32), s(32, 16, 3, 3)).winograd);
        // neither dilated, grouped nor other windows
        assertNull(lower(host, pad1.with("dilations", l(2, 2)).with("pads", l(2, 2, 2, 2)), s(1, 16, 55, 55), s(64, 16, 3, 3)).winograd);
        assertNull(lower(host, pad1.with("group", 2L), s(1, 16, 55, 55), s(64, 8, 3, 3)).winograd);
        assertNull(lower(host, Attrs.of("pads", l(2, 2, 2, 2)), s(1, 16, 55, 55), s(64, 16, 5, 5)).winograd);
        // the test program's cases named wino_* take it (their tolerance is Winograd's), in the chunks they say
        NnKernels.Window odd = lower(host, pad1, s(1, 32, 17, 19), s(20, 32, 3, 3));
        assertTrue(odd.winograd.chunkRows == 6 && odd.winograd.tileRows == 9 && odd.winograd.hasTail, "chunks of 6 of 9 rows, a tail");
        assertEquals(1, lower(host, Attrs.EMPTY, s(1, 24, 18, 20), s(16, 24, 3, 3)).winograd.tileRows / 8);
        NnKernels.Window bz = lower(host, pad1, s(2, 32, 16, 33), s(17, 32, 3, 3));
        assertTrue(bz.winograd.chunkRows == 3 && bz.winograd.tileCols == 17 && bz.winograd.tailStart == 16);
        assertNotNull(lower(host, Attrs.of("pads", l(1, 0, 0, 2)), s(1, 24, 15, 31), s(19, 24, 3, 3)).winograd);
        NnKernels.Window f13 = lower(host, pad1, s(1, 48, 13, 13), s(41, 48, 3, 3));
        assertTrue(f13.winograd4 != null && f13.winograd4.hasBlocks && f13.winograd4.hasTail, "wino_f4_13: blocks and a tail");
        NnKernels.Window f16 = lower(host, pad1, s(2, 32, 16, 16), s(37, 32, 3, 3));
        assertTrue(f16.winograd4 != null && f16.winograd4.tiles == 16 && f16.winograd4.hasTail);
        NnKernels.Window fa = lower(host, Attrs.of("pads", l(1, 0, 0, 2)), s(1, 40, 12, 14), s(48, 40, 3, 3));
        assertTrue(fa.winograd4 != null && fa.winograd4.tiles == 12 && fa.winograd4.tileRows == 3, "wino_f4_asym: 3 x 4 tiles");
        // conv.winograd=off keeps the exact forms (the direct kernel here); MCUs and size targets never take it
        NnKernels.Window off = lower(host.with(Map.of("conv.winograd", "off")), pad1, s(1, 16, 55, 55), s(64, 16, 3, 3));
        assertTrue(off.winograd == null && off.direct != null);
        // the same from the command line's target spec (-t host,conv.winograd=off)
        NnKernels.Window offSpec = lower(Target.load("host,conv.winograd=off"), pad1, s(1, 16, 55, 55), s(64, 16, 3, 3));
        assertTrue(offSpec.winograd == null && offSpec.direct != null);
        assertNotNull(lower(Target.load("host,conv.winograd=on"), pad1, s(1, 16, 55, 55), s(64, 16, 3, 3)).winograd);
        NnKernels.Window off13 = lower(host.with(Map.of("conv.winograd", "off")), pad1, s(1, 64, 13, 13), s(256, 64, 3, 3));
        assertTrue(off13.winograd4 == null && off13.pointwise != null, "off: 13x13 keeps the tapped product");
        dev.kiln.diag.KilnException bad = org.junit.jupiter.api.Assertions.assertThrows(dev.kiln.diag.KilnException.class,
                () -> host.with(Map.of("conv.winograd", "no")));
        assertTrue(bad.getMessage().contains("conv.winograd=no: use on or off"), bad.getMessage());
        assertNull(lower(Target.load("cortex-m7"), pad1, s(1, 16, 55, 55), s(64, 16, 3, 3)).winograd);
        assertNull(lower(Target.load("cortex-m7"), pad1, s(1, 64, 13, 13), s(256, 64, 3, 3)).winograd4);
        assertNull(lower(host.with(Map.of("optimize", "size")), pad1, s(1, 16, 55, 55), s(64, 16, 3, 3)).winograd);
        // AVX2: 8-float vectors, blocks sized for 16 registers
        NnKernels.Window avx2 = lower(Target.load("x86-64-v3"), pad1, s(1, 16, 55, 55), s(64, 16, 3, 3));
        assertNotNull(avx2.winograd);
        assertEquals(8, avx2.winograd.lanes);
        assertTrue(Strategy.of(Target.load("x86-64-v3"), Dialect.C).fits(avx2.winograd.block.count, avx2.winograd.vectors));
    }

    @Test
    void costModelPicksThePathPerLayer() {
        Target host = Target.load("host"), m4 = Target.load("cortex-m4f"), m0 = Target.load("cortex-m0plus");
        NnKernels.Window pw = lower(host, Attrs.EMPTY, s(1, 16, 10, 10), s(32, 16, 1, 1));
        assertTrue(pw.blocked && pw.gemm.direct && pw.gemm.vector);
        assertEquals(16, pw.gemm.lanes);
        NnKernels.Window k3 = lower(host, Attrs.of("pads", l(1, 1, 1, 1)), s(1, 16, 10, 10), s(32, 16, 3, 3));
        assertTrue(k3.direct != null && !k3.blocked, "3x3 on a vector host: the direct kernel over padded planes");
        assertEquals(2, lower(host, Attrs.of("strides", l(2, 2)), s(1, 3, 32, 32), s(16, 3, 3, 3)).direct.sh, "the stem: 2x2 phase planes");
        NnKernels.Window dsStem = lower(host, Attrs.of("strides", l(2, 2), "pads", l(4, 1, 5, 1)), s(1, 1, 49, 10), s(64, 1, 10, 4));
        assertTrue(dsStem.direct != null && !dsStem.blocked, "DS-CNN's 10x4 stem (40 taps): the direct kernel, no gather");
        NnKernels.Window k7 = lower(host, Attrs.of("pads", l(3, 3, 3, 3)), s(1, 16, 10, 10), s(32, 16, 7, 7));
        assertTrue(k7.blocked && !k7.gemm.direct && k7.gemm.rowGather && k7.direct == null, "more than 40 taps: gathered product");
        // why: on a 7x7 plane spatial tiles waste most of a vector; output channels fill them (PointwiseGemm)
        NnKernels.Window pw7 = lower(host, Attrs.EMPTY, s(1, 320, 7, 7), s(1280, 320, 1, 1));
        assertTrue(pw7.pointwise != null && !pw7.blocked, "320 -> 1280 over 7x7: the channel-vectorised product");
        assertEquals(0, pw7.pointwise.full.mr % 16);
        // why: 1.6 MB of weights come from memory: each channel block fetches the next one's over its position blocks,
        // every prefetch inside that panel
        PointwiseGemm p7 = pw7.pointwise;
        long passes = (p7.positions + p7.full.positions - 1) / p7.full.positions;
        assertTrue(p7.prefetch && passes > 1 && p7.blocks > 1, "320 -> 1280 over 7x7 prefetches the next panel");
        assertTrue((passes - 1) * p7.prefetchChunk + (p7.steps - 1) * p7.prefetchStep < p7.blockFloats);
        assertTrue(p7.prefetchStep * p7.steps * passes >= p7.blockFloats / 2, "most of the panel is prefetched");
        assertTrue(lower(host, Attrs.EMPTY, s(1, 64, 7, 7), s(96, 64, 1, 1)).pointwise.prefetch, "the batched case pwgemm_prefetch prefetches");
        // why: on 13x13 the direct kernel's junk columns and partial tiles cost more than the tapped product's copy
        // (with Winograd off: on, these take F(4,3))
        Target exact = host.with(Map.of("conv.winograd", "off"));
        NnKernels.Window sq = lower(exact, TAPPED_13, s(1, 64, 13, 13), s(256, 64, 3, 3));
        NnKernels.Window t13 = lower(exact, TAPPED_13, s(1, 24, 13, 13), s(83, 24, 3, 3));
        assertNotNull(lower(host, TAPPED_13, s(1, 24, 13, 13), s(83, 24, 3, 3)).winograd4);
        NnKernels.Window tdil = lower(host, Attrs.of("pads", l(2, 1, 2, 3), "dilations", l(2, 2)), s(2, 32, 8, 8), s(64, 32, 3, 3));
        NnKernels.Window t5 = lower(host, TAPPED_5, s(1, 32, 9, 9), s(48, 32, 5, 5));
        for (NnKernels.Window tw : List.of(sq, t13, tdil, t5))
            assertTrue(tw.pointwise != null && tw.pointwise.window != null && tw.direct == null, "3x3 and 5x5 over small planes: the tapped product");
        assertEquals(15, sq.pointwise.window.pitch);
        assertNull(lower(host, TAPPED_13, s(1, 16, 55, 55), s(64, 16, 3, 3)).pointwise, "55x55 keeps the direct kernel");
        assertNull(lower(host, Attrs.of("strides", l(2, 2)), s(1, 16, 13, 13), s(64, 16, 3, 3)).pointwise, "strided: not tapped");
        // why: a one-vector block of many positions waits on its broadcasts; squeezenet's classifier takes whole rows
        NnKernels.Window cls = lower(host, Attrs.EMPTY, s(1, 512, 13, 13), s(1000, 512, 1, 1));
        if (cls.pointwise.lanes == 16) {
            assertEquals(2, cls.pointwise.full.vectors, "512 -> 1000 over 13x13: two channel vectors");
            assertEquals(13, cls.pointwise.full.positions, "... by one row of 13 positions");
        }
        assertNull(lower(host, Attrs.EMPTY, s(1, 32, 28, 28), s(192, 32, 1, 1)).pointwise, "a short reduction over 28x28 stays spatial");
        assertNull(lower(m4, Attrs.EMPTY, s(1, 320, 7, 7), s(64, 320, 1, 1)).pointwise, "no vectors, no channel vectors");
        NnKernels.Window se = lower(host, Attrs.EMPTY, s(1, 64, 1, 1), s(16, 64, 1, 1));
        assertTrue(se.gemv && !se.blocked);
        assertTrue(se.gemvBlocked && !se.gemvTail && se.gemvFull == 16, "sums of whole vectors of channels");
        NnKernels.Window px9 = lower(host, Attrs.EMPTY, s(1, 40, 3, 3), s(37, 40, 1, 1));
        assertTrue(px9.gemv && px9.gemvBlocked && px9.gemvTail && px9.gemvFull == 37 / px9.gemvLanes * px9.gemvLanes);
        NnKernels.Window dw = lower(host, Attrs.of("group", 16L, "pads", l(1, 1, 1, 1)), s(1, 16, 10, 10), s(16, 1, 3, 3));
        assertTrue(dw.paddedDw && dw.flatDw && dw.dwVector && !dw.blocked && dw.dwRows == null);
        // why: planes of a few vectors take several channels a turn (MobileNet-v1's 6x6: 3 vectors, 2 channels; 3x3:
        // one vector, 8 channels), up to 8 accumulators
        Attrs dw1 = Attrs.of("group", 128L, "pads", l(1, 1, 1, 1));
        NnKernels.Window dw6 = lower(host, dw1, s(1, 128, 6, 6), s(128, 1, 3, 3)), dw3x3 = lower(host, dw1, s(1, 128, 3, 3), s(128, 1, 3, 3));
        if (dw6.dwVectorBytes == 64) {
            assertEquals(2, dw6.dwChannels.count);
            assertEquals(8, dw3x3.dwChannels.count);
        }
        assertTrue(dw6.paddedDw && dw6.dwChannels.count * dw6.flatLen / (dw6.dwVectorBytes / 4) <= 8);
        assertNull(lower(m4, dw1, s(1, 128, 6, 6), s(128, 1, 3, 3)).dwChannels, "MCUs: no vectors");
        // why: strided rows of a few vectors too (VWW's 3x3 stride 2 into rows of 24, 12, 6 and 3), stride 2 through
        // the even-lane shuffle
        NnKernels.Window dwS2v = lower(host, dw1.with("strides", l(2, 2)), s(1, 128, 12, 12), s(128, 1, 3, 3));
        assertTrue(dwS2v.paddedDw && !dwS2v.flatDw && dwS2v.dwChannels.pairs && dwS2v.dwChannels.units == 6);
        // why: strided 5x5 depthwise takes the padded phase rows on vector hosts; at stride 1 where they need 10 % fewer
        // vector steps than the flat plane (14x14 under 5x5: 14 vs 16), not on 7x7 (7 vs 5) or DS-CNN's 25x5 (25 vs 11)
        Attrs dw5 = Attrs.of("group", 16L, "pads", l(2, 2, 2, 2));
        NnKernels.Window dwS2 = lower(host, dw5.with("strides", l(2, 2)), s(1, 16, 28, 28), s(16, 1, 5, 5));
        assertTrue(dwS2.dwRows != null && dwS2.dwRows.phases == 2 && !dwS2.paddedDw);
        assertNotNull(lower(host, dw5, s(1, 16, 14, 14), s(16, 1, 5, 5)).dwRows);
        assertNull(lower(host, dw5, s(1, 16, 7, 7), s(16, 1, 5, 5)).dwRows);
        assertNull(lower(host, Attrs.of("group", 16L, "pads", l(1, 1, 1, 1)), s(1, 16, 25, 5), s(16, 1, 3, 3)).dwRows);
        assertNull(lower(m4, dw5.with("strides", l(2, 2)), s(1, 16, 28, 28), s(16, 1, 5, 5)).dwRows, "MCUs: no phase rows");
        // why: 3x3 at stride 2 pays the phase copies only on rows of 28 or more (ShuffleNet's 14-wide rows: scalar loop);
        // 3x3 at stride 1 over 14x14 takes as many vector steps as the flat plane
        Attrs dw3 = Attrs.of("group", 16L, "pads", l(1, 1, 1, 1));
        assertNull(lower(host, dw3.with("strides", l(2, 2)), s(1, 16, 28, 28), s(16, 1, 3, 3)).dwRows);
        assertNotNull(lower(host, dw3.with("strides", l(2, 2)), s(1, 16, 56, 56), s(16, 1, 3, 3)).dwRows);
        assertNull(lower(host, dw3, s(1, 16, 14, 14), s(16, 1, 3, 3)).dwRows);
        // why: the phase copies split even and odd columns with shuffles where two blocks of two vectors or more fit a
        // row (MobileNet-v2's 112 columns; at 56, one block and a scalar tail measured slower than GCC's own loop)
        assertEquals(4, lower(host, Attrs.of("group", 2L, "strides", l(2, 2), "pads", l(1, 1, 1, 1)), s(1, 2, 5, 151), s(2, 1, 3, 3))
                .dwRows.pairBlocks, "the test program's dw_rows_s2_deinterleave");
        assertFalse(lower(host, dw3.with("strides", l(2, 2)), s(1, 16, 56, 56), s(16, 1, 3, 3)).dwRows.deinterleave);
        NnKernels.Window scalar = lower(m4, Attrs.EMPTY, s(1, 16, 10, 10), s(32, 16, 1, 1));
        assertTrue(scalar.blocked && !scalar.gemm.vector && !scalar.gemm.scratch);
        assertEquals(1, scalar.gemm.lanes);
        assertEquals(0, 100 % scalar.gemm.tile, "MCU tiles divide the plane (no partial tile in scratch)");
        // why: MCU arenas must not grow, so convs that would gather columns into scratch take the row blocks (no scratch)
        NnKernels.Window rows = lower(m4, Attrs.of("pads", l(1, 1, 1, 1)), s(1, 16, 10, 10), s(32, 16, 3, 3));
        assertTrue(!rows.blocked && rows.rowConv != null && rows.direct == null);
        assertEquals(2, rows.rowConv.cols, "10 columns: blocks of 2 (the widest of 4, 3, 2 dividing them)");
        // why: the row blocks are packed for whole blocks of 4 channels; 10 output channels keep the generic kernel
        assertNull(lower(m4, Attrs.of("pads", l(1, 1, 1, 1)), s(1, 16, 10, 10), s(10, 16, 3, 3)).rowConv);
        // why: MCUs take the depthwise interior fast path, which needs no scratch
        NnKernels.Window big = lower(m4, Attrs.of("group", 8L, "pads", l(1, 1, 1, 1)), s(1, 8, 64, 64), s(8, 1, 3, 3));
        assertTrue(!big.paddedDw && big.fastDw);
        // why: the padded phase rows feed vectors; MCUs keep the separable form's interior and edge loops
        assertNotNull(lowerSeparable(host).rows);
        assertEquals(2, lowerSeparable(host).rows.phases);
        assertNull(lowerSeparable(m4).rows);
        NnKernels.Window small = lower(m0, Attrs.EMPTY, s(1, 16, 10, 10), s(32, 16, 1, 1));
        assertFalse(small.blocked || small.paddedDw || small.fastDw, "optimize=size keeps the generic kernel");
    }
}
