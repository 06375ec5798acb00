package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.ConvGeometry;
import dev.kiln.ops.Ops;
import java.util.Arrays;

/**
 * ONNX mappings of the convolution, pooling, normalization and matrix-product ops: one method per ONNX op, named like it.
 * Window geometry goes to Kiln's canonical form: explicit kernel_shape, strides, dilations and pads, with
 * {@code auto_pad} (and ConvTranspose's {@code output_shape}) resolved into pads here.
 */
public final class NnMappings {
    private NnMappings() {}

    public static void Conv(OnnxNode n) {
        Value w = n.input(1);
        n.emit(Ops.CONV, n.inputs(), windowAttrs(n, n.input(0), kernelOf(w)).with("group", n.attrInt("group", 1)));
    }

    public static void ConvInteger(OnnxNode n) {
        n.emit(Ops.CONV_INTEGER, n.inputs(), windowAttrs(n, n.input(0), kernelOf(n.input(1))).with("group", n.attrInt("group", 1)));
    }

    public static void QLinearConv(OnnxNode n) {
        n.emit(Ops.QLINEAR_CONV, n.inputs(), windowAttrs(n, n.input(0), kernelOf(n.input(3))).with("group", n.attrInt("group", 1)));
    }

    public static void ConvTranspose(OnnxNode n) {
        Value x = n.input(0);
        int[] in = spatialOf(n, x);
        int r = in.length;
        // why: without kernel_shape the kernel size comes from W, which a malformed node may lack
        if (n.input(1) == null) throw n.error("the weight input W is missing");
        int[] kernel = n.hasAttr("kernel_shape") ? ints(n, "kernel_shape", r, 1) : kernelOf(n.input(1));
        // why: without kernel_shape the kernel size comes from W's spatial dimensions, which a rank below 3 lacks
        if (kernel == null) throw n.error("W has shape %s; without kernel_shape it must have rank 3 or more", n.input(1).shape());
        int[] strides = ints(n, "strides", r, 1), dilations = ints(n, "dilations", r, 1), outPad = ints(n, "output_padding", r, 0);
        String autoPad = autoPad(n);
        long[] outShape = n.attrInts("output_shape");
        long[] pads;
        long[] outputPadding = toLongs(outPad);
        int[] target = null;
        if (outShape != null && outShape.length > 0) {
            if (outShape.length == r + 2) outShape = Arrays.copyOfRange(outShape, 2, r + 2);
            if (outShape.length != r) throw n.error("output_shape %s must give one size per spatial axis (%d)", Arrays.toString(outShape), r);
            target = new int[r];
            for (int i = 0; i < r; i++) target[i] = Math.toIntExact(outShape[i]);
        } else if (autoPad.startsWith("SAME_")) {
            target = new int[r];
            for (int i = 0; i < r; i++) target[i] = Math.multiplyExact(in[i], strides[i]);
        }
        if (target != null) {
            long[][] p = ConvGeometry.transposePadsFor(target, autoPad, in, kernel, strides, dilations, outPad);
            pads = p[0];
            outputPadding = p[1];
        } else if (autoPad.equals("VALID")) {
            pads = new long[2 * r];
        } else {
            pads = n.hasAttr("pads") ? n.attrInts("pads") : new long[2 * r];
        }
        Attrs a = Attrs.of("kernel_shape", toLongs(kernel), "strides", toLongs(strides), "dilations", toLongs(dilations),
                "pads", pads, "output_padding", outputPadding, "group", n.attrInt("group", 1));
        n.emit(Ops.CONV_TRANSPOSE, n.inputs(), a);
    }

    public static void Gemm(OnnxNode n) {
        n.emit(Ops.GEMM, n.inputs(), Attrs.of("alpha", n.attrFloat("alpha", 1.0), "beta", n.attrFloat("beta", 1.0),
                "trans_a", n.attrInt("transA", 0), "trans_b", n.attrInt("transB", 0)));
    }

    public static void MatMul(OnnxNode n) { n.emit(Ops.MATMUL, n.inputs(), Attrs.EMPTY); }

    /** MaxPool; its optional Indices output is a max_pool_indices node over the same window. */
    public static void MaxPool(OnnxNode n) {
        if (!n.hasOutput(1)) {
            n.emit(Ops.MAX_POOL, n.inputs(), poolAttrs(n));
            return;
        }
        Attrs a = poolAttrs(n);
        if (n.hasOutput(0)) n.bindOutput(0, n.emitNode(Ops.MAX_POOL, n.inputs(), a, 1, n.name()).get(0));
        n.bindOutput(1, n.emitNode(Ops.MAX_POOL_INDICES, n.inputs(), a.with("storage_order", n.attrInt("storage_order", 0)), 1, n.name() + "/indices").get(0));
    }

    public static void AveragePool(OnnxNode n) {
        n.emit(Ops.AVERAGE_POOL, n.inputs(), poolAttrs(n).with("count_include_pad", n.attrInt("count_include_pad", 0)));
    }

    public static void GlobalAveragePool(OnnxNode n) { n.emit(Ops.GLOBAL_AVERAGE_POOL, n.inputs(), Attrs.EMPTY); }

    public static void GlobalMaxPool(OnnxNode n) { n.emit(Ops.GLOBAL_MAX_POOL, n.inputs(), Attrs.EMPTY); }

    public static void LRN(OnnxNode n) {
        if (!n.hasAttr("size")) throw n.error("attribute 'size' is required");
        n.emit(Ops.LRN, n.inputs(), Attrs.of("size", n.attrInt("size", 0), "alpha", n.attrFloat("alpha", 1e-4),
                "beta", n.attrFloat("beta", 0.75), "bias", n.attrFloat("bias", 1.0)));
    }

    /** Opset 17's LayerNormalization; stash_type 1 (float statistics) only, which is what Kiln computes. */
    public static void LayerNormalization(OnnxNode n) {
        if (n.attrInt("stash_type", 1) != 1) throw n.error("stash_type %d is not supported; only 1 (statistics in float)", n.attrInt("stash_type", 1));
        n.emit(Ops.LAYER_NORMALIZATION, n.inputs(), Attrs.of("axis", n.attrInt("axis", -1), "epsilon", n.attrFloat("epsilon", 1e-5)));
    }

    /** Opset 7's spatial must be 1; training_mode=1 (opset 14) uses the batch's statistics; otherwise only output Y may be used. */
    public static void BatchNormalization(OnnxNode n) {
        if (n.opset() < 9 && n.attrInt("spatial", 1) != 1)
            throw n.error("spatial=0 (per-activation statistics) is not supported; only spatial=1");
        if (n.attrInt("training_mode", 0) != 0) {
            LossMappings.batchNormTraining(n); // batch statistics: deterministic, so Kiln runs it (issue 18)
            return;
        }
        for (int i = 1; i < n.numOutputs(); i++)
            if (n.hasOutput(i)) throw n.error("output %d (running or saved statistics) exists only in training mode, which Kiln does not support", i);
        n.emit(Ops.BATCH_NORM, n.inputs(), Attrs.of("epsilon", n.attrFloat("epsilon", 1e-5)));
    }

    // ---- helpers ----

    private static Attrs poolAttrs(OnnxNode n) {
        if (!n.hasAttr("kernel_shape")) throw n.error("attribute 'kernel_shape' is required");
        return windowAttrs(n, n.input(0), null).with("ceil_mode", n.attrInt("ceil_mode", 0));
    }

    /** Explicit kernel_shape, strides, dilations and pads of a convolution or pool over {@code x}, auto_pad resolved. */
    static Attrs windowAttrs(OnnxNode n, Value x, int[] weightKernel) {
        int[] in = spatialOf(n, x);
        int r = in.length;
        int[] kernel = n.hasAttr("kernel_shape") || weightKernel == null ? ints(n, "kernel_shape", r, 1) : weightKernel;
        int[] strides = ints(n, "strides", r, 1), dilations = ints(n, "dilations", r, 1);
        long[] pads;
        try {
            pads = ConvGeometry.autoPads(autoPad(n), in, kernel, strides, dilations);
        } catch (IllegalArgumentException e) {
            throw n.error("%s", e.getMessage());
        }
        if (pads == null) pads = n.hasAttr("pads") && n.attrInts("pads").length > 0 ? n.attrInts("pads") : new long[2 * r];
        return Attrs.of("kernel_shape", toLongs(kernel), "strides", toLongs(strides), "dilations", toLongs(dilations), "pads", pads);
    }

    private static String autoPad(OnnxNode n) {
        String a = n.attrString("auto_pad", "NOTSET");
        if (a.isEmpty()) return "NOTSET";
        if (!a.equals("NOTSET") && !a.equals("VALID") && !a.equals("SAME_UPPER") && !a.equals("SAME_LOWER"))
            throw n.error("auto_pad '%s' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", a);
        return a;
    }

    private static int[] spatialOf(OnnxNode n, Value x) {
        // why: a malformed node may leave its data input empty; say so instead of failing on a null value
        if (x == null) throw n.error("the data input X is missing");
        Shape s = x.shape();
        if (s.rank() < 3) throw n.error("input '%s' has shape %s; expected rank 3 or more (N, C, spatial...)", x.name(), s);
        return ConvGeometry.spatial(s);
    }

    private static int[] kernelOf(Value w) {
        // why: an absent W is reported by the op's signature check when the node is emitted
        return w == null || w.shape().rank() < 3 ? null : ConvGeometry.spatial(w.shape());
    }

    /** An INTS attribute with one value per spatial axis, each at least 1 (0 for output_padding), or {@code dflt} repeated. */
    private static int[] ints(OnnxNode n, String name, int r, int dflt) {
        long[] v = n.attrInts(name);
        int[] res = new int[r];
        if (v == null || v.length == 0) {
            if (name.equals("kernel_shape")) throw n.error("attribute 'kernel_shape' is required");
            Arrays.fill(res, dflt);
            return res;
        }
        if (v.length != r) throw n.error("attribute '%s' %s must have one value per spatial axis (%d)", name, Arrays.toString(v), r);
        long min = name.equals("output_padding") ? 0 : 1;
        for (int i = 0; i < r; i++) {
            if (v[i] < min || v[i] > Integer.MAX_VALUE) throw n.error("attribute '%s' %s must hold values from %d to %d", name, Arrays.toString(v), min, Integer.MAX_VALUE);
            res[i] = (int) v[i];
        }
        return res;
    }

    private static long[] toLongs(int[] v) {
        long[] r = new long[v.length];
        for (int i = 0; i < v.length; i++) r[i] = v[i];
        return r;
    }
}
