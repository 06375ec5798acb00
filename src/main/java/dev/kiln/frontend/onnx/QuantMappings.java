package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.Arrays;
import java.util.List;

/** ONNX mappings of the resize and quantization ops: one method per ONNX op, named like it. */
public final class QuantMappings {
    private QuantMappings() {}

    /**
     * Resize (opsets 10, 11, 13, 18, 19): the constant roi, scales and sizes inputs and the axes and
     * keep_aspect_ratio_policy attributes are resolved into per-axis output sizes and scales. Opset 10 has
     * neither coordinate nor nearest mode; it resizes like Upsample (asymmetric, nearest mode simple).
     */
    public static void Resize(OnnxNode n) {
        String mode = n.attrString("mode", "nearest");
        if (n.opset() < 11) {
            emitResize(n, mode, "asymmetric", "simple", scalesInput(n, 1), null, null, "stretch", null);
            return;
        }
        String coord = n.attrString("coordinate_transformation_mode", "half_pixel");
        String nearest = n.attrString("nearest_mode", "round_prefer_floor");
        double[] scales = scalesInput(n, 2);
        long[] sizes = null;
        if (n.hasInput(3)) {
            sizes = n.constInts(3, "sizes");
            if (sizes.length == 0) sizes = null;
        }
        double[] roi = null;
        if (coord.equals("tf_crop_and_resize")) {
            NdArray r = n.hasInput(1) ? n.constInput(1, "roi") : null;
            if (r == null || r.size() == 0) throw n.error("coordinate_transformation_mode tf_crop_and_resize needs the roi input");
            roi = r.toDoubleArray();
        }
        Attrs extra = n.attrs("cubic_coeff_a", "exclude_outside", "extrapolation_value", "antialias");
        emitResize(n, mode, coord, nearest, scales, sizes, n.attrInts("axes"),
                n.attrString("keep_aspect_ratio_policy", "stretch"), roi == null ? extra : extra.with("roi", roi));
    }

    /** Upsample (opsets 7 to 9, deprecated): nearest or (bi)linear resize by scales, asymmetric coordinates. */
    public static void Upsample(OnnxNode n) {
        String mode = n.attrString("mode", "nearest");
        if (mode.equals("bilinear")) mode = "linear";
        double[] scales = n.opset() < 9 ? n.attrFloats("scales") : scalesInput(n, 1);
        if (scales == null) throw n.error("the scales are missing");
        emitResize(n, mode, "asymmetric", "simple", scales, null, null, "stretch", null);
    }

    /** The scales input {@code i} as doubles, or null when absent or empty (opset 11 passes an empty one with sizes). */
    private static double[] scalesInput(OnnxNode n, int i) {
        if (!n.hasInput(i)) return null;
        NdArray s = n.constInput(i, "scales");
        return s.size() == 0 ? null : s.toDoubleArray();
    }

    /**
     * Emits the Kiln resize: {@code scales} or {@code sizes} (exactly one) give the listed axes (all when
     * {@code axes} is null), roi in {@code extra} is spread over all axes like them; the other axes keep size and
     * scale 1.
     */
    private static void emitResize(OnnxNode n, String mode, String coord, String nearest, double[] scales, long[] sizes,
                                   long[] axesAttr, String policy, Attrs extra) {
        Value x = n.input(0);
        Shape in = x.type().shape();
        int r = in.rank();
        if ((scales == null) == (sizes == null))
            throw n.error(scales == null ? "give either scales or sizes" : "give scales or sizes, not both");
        int[] axes = new int[axesAttr == null ? r : axesAttr.length];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < axes.length; i++) {
            long a = axesAttr == null ? i : axesAttr[i];
            if (a < -r || a >= r) throw n.error("axis %d is out of range for an input of rank %d", a, r);
            axes[i] = (int) (a < 0 ? a + r : a);
            if (seen[axes[i]]) throw n.error("axis %d appears twice in axes %s", a, Arrays.toString(axesAttr));
            seen[axes[i]] = true;
        }
        int given = scales != null ? scales.length : sizes.length;
        if (given != axes.length)
            throw n.error("%s has %d values but %d axes are resized", scales != null ? "scales" : "sizes", given, axes.length);
        double[] fullScales = new double[r];
        long[] fullSizes = in.dimsLong();
        Arrays.fill(fullScales, 1.0);
        if (scales != null) {
            for (int i = 0; i < axes.length; i++) {
                int d = axes[i];
                if (!(scales[i] > 0) || !Double.isFinite(scales[i])) throw n.error("scales[%d] = %s must be positive", i, scales[i]);
                fullScales[d] = scales[i];
                // why: ONNX shape inference and ONNX Runtime form the product in float32 (the Python reference
                // in double); they differ when a float scale lies just below an exact ratio, e.g. 5 * 2.8f
                fullSizes[d] = (long) Math.floor((float) in.dim(d) * (float) scales[i]);
            }
        } else {
            for (int i = 0; i < axes.length; i++) {
                int d = axes[i];
                if (sizes[i] < 0) throw n.error("sizes[%d] = %d is negative", i, sizes[i]);
                if (in.dim(d) == 0) throw n.error("axis %d of the input is empty and cannot be resized", d);
                fullScales[d] = (double) sizes[i] / in.dim(d);
                fullSizes[d] = sizes[i];
            }
            if (!policy.equals("stretch")) {
                if (!policy.equals("not_larger") && !policy.equals("not_smaller"))
                    throw n.error("keep_aspect_ratio_policy must be stretch, not_larger or not_smaller, got '%s'", policy);
                double s = fullScales[axes[0]];
                for (int d : axes) s = policy.equals("not_larger") ? Math.min(s, fullScales[d]) : Math.max(s, fullScales[d]);
                for (int d : axes) {
                    fullScales[d] = s;
                    // why: ONNX rounds half up here: int(scale * in + 0.5)
                    fullSizes[d] = (long) (s * in.dim(d) + 0.5);
                }
            }
        }
        Attrs a = extra == null ? Attrs.EMPTY : extra;
        double[] roi = a.getFloatsOrNull("roi");
        if (roi != null) {
            if (roi.length != 2 * axes.length)
                throw n.error("roi has %d values; %d resized axes need %d (starts then ends)", roi.length, axes.length, 2 * axes.length);
            double[] full = new double[2 * r];
            Arrays.fill(full, r, 2 * r, 1.0);
            for (int i = 0; i < axes.length; i++) {
                full[axes[i]] = roi[i];
                full[r + axes[i]] = roi[axes.length + i];
            }
            a = a.with("roi", full);
        }
        a = a.with("mode", mode).with("coordinate_transformation_mode", coord).with("nearest_mode", nearest)
                .with("scales", fullScales).with("sizes", fullSizes);
        n.emit(Ops.RESIZE, List.of(x), a);
    }

    /**
     * QuantizeLinear (opsets 10, 13, 19, 21, 23, 25): axis, block_size, output_dtype (as a Kiln type name, always
     * set), precision and saturate (float8 outputs).
     */
    public static void QuantizeLinear(OnnxNode n) {
        Attrs a = n.attrs("axis", "block_size", "saturate");
        DType out = n.hasInput(2) ? n.input(2).type().dtype() : DType.U8;
        long code = n.attrInt("output_dtype", 0);
        if (code != 0) {
            DType t = DType.fromOnnx((int) code);
            if (t == null) throw n.error("output_dtype %s is not a type Kiln supports", TensorProtos.onnxTypeName((int) code));
            if (n.hasInput(2) && t != out) throw n.error("output_dtype %s differs from y_zero_point's type %s", t, out);
            out = t;
        }
        a = a.with("output_dtype", out.shortName());
        long precision = n.attrInt("precision", 0);
        if (precision != 0) {
            DType p = DType.fromOnnx((int) precision);
            if (p == null || !p.isFloat()) throw n.error("precision %s is not a float type Kiln supports", TensorProtos.onnxTypeName((int) precision));
            a = a.with("precision", p.shortName());
        }
        n.emit(Ops.QUANTIZE_LINEAR, lenientParams(n, "y_scale", "y_zero_point"), a);
    }

    /** DequantizeLinear (opsets 10, 13, 19, 21, 23, 25): axis, block_size and output_dtype (as a Kiln type name). */
    public static void DequantizeLinear(OnnxNode n) {
        Attrs a = n.attrs("axis", "block_size");
        long code = n.attrInt("output_dtype", 0);
        if (code != 0) {
            DType t = DType.fromOnnx((int) code);
            if (t == null || !t.isFloat()) throw n.error("output_dtype %s is not a float type Kiln supports", TensorProtos.onnxTypeName((int) code));
            a = a.with("output_dtype", t.shortName());
        }
        n.emit(Ops.DEQUANTIZE_LINEAR, lenientParams(n, "x_scale", "x_zero_point"), a);
    }

    /**
     * The inputs of a QuantizeLinear or DequantizeLinear with its constant scale and zero point in the one form Kiln's
     * ops take, accepting what ONNX Runtime accepts where the meaning is unambiguous, each with a {@code -v} note: a
     * one-element scale or zero point of any rank ({@code [1]}, {@code [1, 1]}) is per tensor and becomes a scalar;
     * a one-element zero point beside a per-axis scale (or a one-element scale beside a per-axis zero point) is
     * repeated along the axis; an {@code axis} on a per-tensor scale is ignored. An absent zero point means 0 and
     * needs no change. Anything else that disagrees (two per-axis vectors of different lengths) is left to the op,
     * which refuses it naming the node.
     */
    private static List<Value> lenientParams(OnnxNode n, String scaleName, String zpName) {
        List<Value> ins = new java.util.ArrayList<>(n.inputs());
        if (ins.size() < 2 || ins.get(1) == null) return ins;
        Value sv = ins.get(1), zv = ins.size() > 2 ? ins.get(2) : null;
        Shape ss = sv.type().shape();
        if (ss.numel() == 1 && ss.rank() > 0 && sv.isConstant()) {
            n.note(scaleName + " has shape %s: one value, read as a per-tensor scalar", ss);
            sv = n.constant(scaleName, sv.constant().reshape(Shape.scalar()));
            ins.set(1, sv);
            if (n.hasAttr("axis")) n.note("axis %d ignored: " + scaleName + " is per tensor", n.attrInt("axis", 1));
        } else if (ss.numel() == 1 && n.hasAttr("axis")) {
            n.note("axis %d ignored: " + scaleName + " is a scalar (per tensor)", n.attrInt("axis", 1));
        }
        if (zv == null) return ins;
        Shape zs = zv.type().shape();
        if (zs.numel() == 1 && zs.rank() > 0 && zv.isConstant()) {
            n.note(zpName + " has shape %s: one value, read as a per-tensor scalar", zs);
            zv = n.constant(zpName, zv.constant().reshape(Shape.scalar()));
            ins.set(2, zv);
            zs = Shape.scalar();
        }
        ss = sv.type().shape();
        // why: one zero point for every channel of a per-axis scale means the same as that zero point repeated
        if (zs.numel() == 1 && ss.rank() == 1 && ss.numel() > 1 && zv.isConstant()) {
            n.note(zpName + " holds one value for the %d channels of " + scaleName + ": repeated along the axis", ss.numel());
            ins.set(2, n.constant(zpName, repeated(zv.constant(), ss)));
        } else if (ss.numel() == 1 && zs.rank() == 1 && zs.numel() > 1 && sv.isConstant()) {
            n.note(scaleName + " holds one value for the %d channels of " + zpName + ": repeated along the axis", zs.numel());
            ins.set(1, n.constant(scaleName, repeated(sv.constant(), zs)));
        }
        return ins;
    }

    /** The one value of {@code a} repeated into shape {@code s}, in {@code a}'s type. */
    private static NdArray repeated(NdArray a, Shape s) {
        NdArray r = NdArray.zeros(a.dtype(), s);
        for (int i = 0; i < r.size(); i++) r.setDouble(i, a.getDouble(0));
        return r;
    }

    /** QLinearMatMul (opsets 10, 21). */
    public static void QLinearMatMul(OnnxNode n) { n.emit(Ops.QLINEAR_MATMUL, n.inputs(), Attrs.EMPTY); }

    /** MatMulInteger (opset 10). */
    public static void MatMulInteger(OnnxNode n) { n.emit(Ops.MATMUL_INTEGER, n.inputs(), Attrs.EMPTY); }
}
