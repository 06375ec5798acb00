package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Resizes a tensor along every axis with ONNX Resize semantics: {@code nearest}, {@code linear} (N-linear) or
 * {@code cubic} interpolation, a coordinate transformation mode, optional antialiasing for downscaling, and
 * the per-axis output {@code sizes} and the {@code scales} the coordinate transformation uses (both fixed at
 * import; {@code roi} only for {@code tf_crop_and_resize}).
 *
 * <p>For each output index {@code x} of an axis the source coordinate {@code x_ori} is found by the coordinate
 * mode; the filter taps are the integers nearest to {@code x_ori} in the input padded by edge replication (so
 * far outside the input they stay at the border), weighted by the mode's coefficients of the fraction
 * {@code x_ori - floor(x_ori)} (taken as 1 when {@code x_ori} is an integer). Interpolation is separable and
 * done in double precision, last axis first; integer outputs are truncated toward zero and saturated. Nearest
 * mode copies elements exactly. Nearest mode {@code simple} (ONNX opset 10 and Upsample) rounds up when the
 * axis is downscaled and toward zero otherwise.
 *
 * <p>This follows the ONNX Python reference, the conformance data's source, including its use of the unrounded
 * output length {@code scale * in} in the coordinate formulas, except in two places where it departs from the
 * ONNX text and ONNX Runtime: {@code pytorch_half_pixel} maps a single output to 0 (the reference: -0.5), and an
 * axis that keeps its size with scale 1 and the whole roi is copied unchanged (which only matters for
 * {@code tf_half_pixel_for_nn}, whose formula would shift it by half a pixel).
 */
public final class Resize extends OpDef {
    private static final List<String> MODES = List.of("nearest", "linear", "cubic");
    private static final List<String> COORDINATE_MODES = List.of("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
            "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize");
    private static final List<String> NEAREST_MODES = List.of("round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple");

    public Resize() {
        super("resize", Signature.builder()
                .input("X").output("Y")
                .attr("mode", AttrType.STRING, "nearest")
                .attr("coordinate_transformation_mode", AttrType.STRING, "half_pixel")
                .attr("nearest_mode", AttrType.STRING, "round_prefer_floor")
                .attr("cubic_coeff_a", AttrType.FLOAT, -0.75)
                .attr("exclude_outside", AttrType.INT, 0L)
                .attr("extrapolation_value", AttrType.FLOAT, 0.0)
                .attr("antialias", AttrType.INT, 0L)
                .requiredAttr("sizes", AttrType.INTS)
                .requiredAttr("scales", AttrType.FLOATS)
                .optionalAttr("roi", AttrType.FLOATS)
                .build());
    }

    @Override
    public String summary() { return "nearest/linear/cubic resize to fixed sizes with ONNX coordinate modes and antialiasing"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        DType t = cx.dtype(0);
        cx.check(t != DType.BOOL, "does not take bool tensors");
        Attrs a = cx.attrs();
        String mode = a.getString("mode"), coord = a.getString("coordinate_transformation_mode"), nearest = a.getString("nearest_mode");
        cx.check(MODES.contains(mode), "mode must be one of %s, got '%s'", MODES, mode);
        cx.check(COORDINATE_MODES.contains(coord), "coordinate_transformation_mode must be one of %s, got '%s'", COORDINATE_MODES, coord);
        cx.check(NEAREST_MODES.contains(nearest), "nearest_mode must be one of %s, got '%s'", NEAREST_MODES, nearest);
        cx.check(a.getInt("exclude_outside") == 0 || a.getInt("exclude_outside") == 1, "exclude_outside must be 0 or 1, got %d", a.getInt("exclude_outside"));
        cx.check(a.getInt("antialias") == 0 || a.getInt("antialias") == 1, "antialias must be 0 or 1, got %d", a.getInt("antialias"));
        Shape in = cx.shape(0);
        int r = in.rank();
        long[] sizes = a.getInts("sizes");
        double[] scales = a.getFloats("scales");
        cx.check(sizes.length == r, "sizes has %d values, the input has rank %d", sizes.length, r);
        cx.check(scales.length == r, "scales has %d values, the input has rank %d", scales.length, r);
        for (int d = 0; d < r; d++) {
            cx.check(sizes[d] >= 0 && sizes[d] <= Integer.MAX_VALUE, "sizes[%d] = %d is out of range", d, sizes[d]);
            cx.check(scales[d] > 0 && Double.isFinite(scales[d]), "scales[%d] = %s must be positive and finite", d, scales[d]);
            cx.check(in.dim(d) > 0 || sizes[d] == 0, "axis %d of the input is empty, it cannot be resized to %d", d, sizes[d]);
        }
        double[] roi = a.getFloatsOrNull("roi");
        if (coord.equals("tf_crop_and_resize")) {
            cx.check(roi != null, "coordinate mode tf_crop_and_resize needs the roi attribute");
            cx.check(roi.length == 2 * r, "roi has %d values, the input of rank %d needs %d (starts then ends)", roi.length, r, 2 * r);
        } else {
            cx.check(roi == null, "roi is only used with coordinate mode tf_crop_and_resize, not %s", coord);
        }
        return List.of(new TensorType(t, Shape.of(sizes)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        if (y.size() == 0) return List.of(y);
        Attrs a = cx.attrs();
        Shape in = x.shape();
        int r = in.rank();
        Taps[] taps = new Taps[r];
        for (int d = 0; d < r; d++) taps[d] = taps(a, in, d);
        if (a.getString("mode").equals("nearest")) gather(x, y, taps, a.getFloat("extrapolation_value"));
        else interpolate(x, y, taps);
        return List.of(y);
    }

    /** The filter of one axis: for each output index, {@code n} input indices and weights, or extrapolation. */
    public record Taps(int in, int out, int n, int[] index, double[] weight, boolean[] extrapolate, double extrapolation) {
        /** True if the axis keeps its size and every output element is exactly its input element. */
        public boolean isIdentity() {
            if (in != out) return false;
            for (int o = 0; o < out; o++) {
                if (extrapolate[o]) return false;
                for (int j = 0; j < n; j++) {
                    double w = weight[o * n + j];
                    if (index[o * n + j] == o ? w != 1.0 : w != 0.0) return false;
                }
            }
            return true;
        }
    }

    /**
     * The filter of axis {@code d} of an input of shape {@code inShape} under a node's attributes {@code a}
     * (public so that backends bake the same taps into their kernels).
     */
    public static Taps taps(Attrs a, Shape inShape, int d) {
        String mode = a.getString("mode"), coord = a.getString("coordinate_transformation_mode");
        String nearestMode = a.getString("nearest_mode");
        boolean antialias = a.getInt("antialias") == 1, excludeOutside = a.getInt("exclude_outside") == 1;
        double cubicA = a.getFloat("cubic_coeff_a");
        int in = inShape.dim(d), r = inShape.rank();
        int out = (int) a.getInts("sizes")[d];
        double scale = a.getFloats("scales")[d];
        double[] roi = a.getFloatsOrNull("roi");
        boolean nearest = mode.equals("nearest");
        int n = nearest ? 1 : 0;
        int[] index = null;
        double[] weight = null;
        boolean[] extrapolate = new boolean[out];
        if (in == out && scale == 1.0 && (roi == null || (roi[d] == 0 && roi[r + d] == 1))) {
            // why: an unchanged axis is copied (only tf_half_pixel_for_nn would otherwise shift it; ORT copies too)
            int[] same = new int[out];
            double[] one = new double[out];
            for (int o = 0; o < out; o++) {
                same[o] = o;
                one[o] = 1;
            }
            return new Taps(in, out, 1, same, one, extrapolate, a.getFloat("extrapolation_value"));
        }
        for (int o = 0; o < out; o++) {
            double xOri = sourceCoordinate(coord, o, in, out, scale, roi == null ? 0 : roi[d], roi == null ? 1 : roi[r + d]);
            if (coord.equals("tf_crop_and_resize") && (xOri < 0 || xOri > in - 1)) {
                // why: TF CropAndResize gives the extrapolation value for samples outside the input
                extrapolate[o] = true;
                continue;
            }
            double fl = Math.floor(xOri);
            double ratio = xOri == fl ? 1.0 : xOri - fl;
            double[] c;
            if (nearest) c = nearestPicksUpper(nearestMode, ratio, xOri, scale) ? new double[] {0, 1} : new double[] {1, 0};
            else if (mode.equals("linear")) c = antialias ? linearAntialias(ratio, scale) : new double[] {1 - ratio, ratio};
            else c = antialias ? cubicAntialias(ratio, scale, cubicA) : cubic(ratio, cubicA);
            int taps = c.length;
            if (index == null) {
                n = nearest ? 1 : taps;
                index = new int[out * n];
                weight = new double[out * n];
            }
            // why: the reference takes the taps nearest to x_ori in the edge-padded input, ties to the lower index
            int pad = (taps + 1) / 2;
            double xp = xOri + pad;
            double fp = Math.floor(xp);
            long below = xp == fp ? (long) fp - 1 : (long) fp;
            long start = Math.max(0, Math.min((long) in + 2L * pad - taps, below - taps / 2 + 1)) - pad;
            if (nearest) {
                index[o] = (int) Math.max(0, Math.min(in - 1, start + (c[0] == 1 ? 0 : 1)));
                weight[o] = 1;
                continue;
            }
            if (excludeOutside) {
                double sum = 0;
                for (int j = 0; j < taps; j++) {
                    long idx = start + j;
                    if (idx < 0 || idx >= in) c[j] = 0;
                    sum += c[j];
                }
                for (int j = 0; j < taps; j++) c[j] /= sum;
            }
            for (int j = 0; j < taps; j++) {
                index[o * n + j] = (int) Math.max(0, Math.min(in - 1, start + j));
                weight[o * n + j] = c[j];
            }
        }
        if (index == null) {
            index = new int[0];
            weight = new double[0];
        }
        return new Taps(in, out, n, index, weight, extrapolate, a.getFloat("extrapolation_value"));
    }

    /** The input coordinate of output index {@code x} under a coordinate transformation mode. */
    private static double sourceCoordinate(String coord, int x, int in, int outInt, double scale, double roiStart, double roiEnd) {
        // why: the reference uses the unrounded output length scale * in, not the integer size
        double out = scale * in;
        switch (coord) {
            case "half_pixel":
                return (x + 0.5) / scale - 0.5;
            case "half_pixel_symmetric": {
                double adjustment = outInt / out;
                double center = in / 2.0;
                double offset = center * (1 - adjustment);
                return offset + (x + 0.5) / scale - 0.5;
            }
            case "pytorch_half_pixel":
                // why: the ONNX text (and ONNX Runtime) give 0 for a single output; the Python reference gives -0.5
                return outInt > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
            case "align_corners":
                return out == 1 ? 0.0 : x * (double) (in - 1) / (out - 1);
            case "asymmetric":
                return x / scale;
            case "tf_half_pixel_for_nn":
                return (x + 0.5) / scale;
            case "tf_crop_and_resize": {
                double v = out == 1 ? (roiEnd - roiStart) * (in - 1) / 2 : x * (roiEnd - roiStart) * (in - 1) / (out - 1);
                return v + roiStart * (in - 1);
            }
            default:
                throw new IllegalArgumentException("unknown coordinate_transformation_mode " + coord);
        }
    }

    /** True if nearest mode picks the upper of the two neighbours of {@code xOri} (fraction {@code ratio} in (0, 1]). */
    private static boolean nearestPicksUpper(String mode, double ratio, double xOri, double scale) {
        if (ratio == 1.0) return true;
        switch (mode) {
            case "round_prefer_floor": return ratio > 0.5;
            case "round_prefer_ceil": return ratio >= 0.5;
            case "floor": return false;
            case "ceil": return true;
            case "simple": return scale < 1 || xOri < 0;
            default: throw new IllegalArgumentException("unknown nearest_mode " + mode);
        }
    }

    /** Keys cubic convolution weights of the four taps around a point at fraction {@code r} in (0, 1]. */
    private static double[] cubic(double r, double a) {
        double r1 = r + 1, s = 1 - r, s1 = s + 1;
        return new double[] {
            ((a * r1 - 5 * a) * r1 + 8 * a) * r1 - 4 * a,
            ((a + 2) * r - (a + 3)) * r * r + 1,
            ((a + 2) * s - (a + 3)) * s * s + 1,
            ((a * s1 - 5 * a) * s1 + 8 * a) * s1 - 4 * a,
        };
    }

    /** Cubic weights with the kernel stretched by {@code 1 / min(scale, 1)}, normalised to sum 1. */
    private static double[] cubicAntialias(double r, double scale, double a) {
        double s = Math.min(scale, 1.0);
        int first = (int) (Math.floor(-2 / s) + 1);
        int count = 2 - 2 * first;
        double[] c = new double[count];
        double sum = 0;
        for (int j = 0; j < count; j++) {
            double x = Math.abs(s * (first + j - r));
            double x2 = x * x, x3 = x * x2;
            c[j] = x <= 1 ? (a + 2) * x3 - (a + 3) * x2 + 1 : x < 2 ? a * x3 - 5 * a * x2 + 8 * a * x - 4 * a : 0.0;
            sum += c[j];
        }
        for (int j = 0; j < count; j++) c[j] /= sum;
        return c;
    }

    /** Triangle (linear) weights with the kernel stretched by {@code 1 / min(scale, 1)}, normalised to sum 1. */
    private static double[] linearAntialias(double r, double scale) {
        double s = Math.min(scale, 1.0);
        int first = (int) (Math.floor(-1 / s) + 1);
        int count = 2 - 2 * first;
        double[] c = new double[count];
        double sum = 0;
        for (int j = 0; j < count; j++) {
            c[j] = Math.max(0.0, Math.min(1.0, 1 - Math.abs((first + j - r) * s)));
            sum += c[j];
        }
        for (int j = 0; j < count; j++) c[j] /= sum;
        return c;
    }

    /** Nearest mode: copies each output element from its source element (exact for every type). */
    private static void gather(NdArray x, NdArray y, Taps[] taps, double extrapolation) {
        int r = taps.length;
        int[] inStrides = x.shape().strides();
        int[] outDims = y.shape().dims();
        int[] idx = new int[r];
        boolean integer = !x.dtype().isFloat();
        for (int i = 0, n = y.size(); i < n; i++) {
            int src = 0;
            boolean outside = false;
            for (int d = 0; d < r; d++) {
                if (taps[d].extrapolate()[idx[d]]) outside = true;
                else src += taps[d].index()[idx[d]] * inStrides[d];
            }
            if (outside) store(y, i, extrapolation);
            else if (integer) y.setLong(i, x.getLong(src));
            else y.setDouble(i, x.getDouble(src));
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < outDims[d]) break;
                idx[d] = 0;
            }
        }
    }

    /** Linear and cubic modes: one weighted pass per axis that changes, last axis first, in double precision. */
    private static void interpolate(NdArray x, NdArray y, Taps[] taps) {
        int r = taps.length;
        double[] cur = x.toDoubleArray();
        int[] dims = x.shape().dims();
        for (int d = r - 1; d >= 0; d--) {
            Taps t = taps[d];
            if (t.isIdentity()) continue;
            int outer = 1, inner = 1;
            for (int i = 0; i < d; i++) outer *= dims[i];
            for (int i = d + 1; i < r; i++) inner *= dims[i];
            int in = dims[d], out = t.out(), n = t.n();
            double[] next = new double[outer * out * inner];
            for (int o = 0; o < outer; o++) {
                int inBase = o * in * inner, outBase = o * out * inner;
                for (int q = 0; q < out; q++) {
                    int dst = outBase + q * inner;
                    if (t.extrapolate()[q]) {
                        Arrays.fill(next, dst, dst + inner, t.extrapolation());
                        continue;
                    }
                    for (int j = 0; j < n; j++) {
                        double w = t.weight()[q * n + j];
                        int src = inBase + t.index()[q * n + j] * inner;
                        for (int k = 0; k < inner; k++) next[dst + k] += w * cur[src + k];
                    }
                }
            }
            cur = next;
            dims[d] = out;
        }
        for (int i = 0; i < cur.length; i++) store(y, i, cur[i]);
    }

    /** Stores a computed value: rounded for float types, truncated toward zero and saturated for integers. */
    private static void store(NdArray y, int i, double v) {
        if (y.dtype().isFloat()) y.setDouble(i, v);
        else y.setLong(i, y.dtype().saturate(Double.isNaN(v) ? 0 : (long) v));
    }
}
