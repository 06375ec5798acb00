package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.Shape;
import java.util.Arrays;

/**
 * The sliding-window geometry shared by convolutions, transposed convolutions and pools: kernel size,
 * strides, dilations, explicit begin and end pads, and the output size they give for each spatial axis.
 *
 * <p>Kiln's canonical form has explicit pads only: {@code pads} lists the begin pads of every spatial axis,
 * then the end pads (ONNX order). ONNX's {@code auto_pad} is resolved into pads when importing
 * ({@link #autoPads}). Absent {@code strides} and {@code dilations} mean 1 on every axis, absent {@code pads}
 * mean 0, an absent {@code kernel_shape} means the weight's spatial dimensions.
 *
 * <p>Geometry errors are {@link IllegalArgumentException}s with a readable message; ops turn them into
 * inference errors.
 */
public final class ConvGeometry {
    /** Input spatial dimensions. */
    public final int[] in;
    /** Kernel spatial dimensions (undilated). */
    public final int[] kernel;
    /** Step between windows on each axis. */
    public final int[] strides;
    /** Step between kernel taps on each axis. */
    public final int[] dilations;
    /** Padding before the first element of each axis. */
    public final int[] padsBegin;
    /** Padding after the last element of each axis (for a transposed convolution: the crop at the end). */
    public final int[] padsEnd;
    /** Output spatial dimensions. */
    public final int[] out;

    private ConvGeometry(int[] in, int[] kernel, int[] strides, int[] dilations, int[] padsBegin, int[] padsEnd, int[] out) {
        this.in = in;
        this.kernel = kernel;
        this.strides = strides;
        this.dilations = dilations;
        this.padsBegin = padsBegin;
        this.padsEnd = padsEnd;
        this.out = out;
    }

    /** Adds the window attributes every windowed op takes: kernel_shape, strides, dilations, pads. */
    public static Signature.Builder windowAttrs(Signature.Builder b) {
        return b.optionalAttr("kernel_shape", AttrType.INTS)
                .optionalAttr("strides", AttrType.INTS)
                .optionalAttr("dilations", AttrType.INTS)
                .optionalAttr("pads", AttrType.INTS);
    }

    /** Number of spatial axes. */
    public int rank() { return in.length; }

    /** Extent of the dilated kernel on axis {@code i}: {@code (k - 1) * d + 1}. */
    public int effectiveKernel(int i) { return (kernel[i] - 1) * dilations[i] + 1; }

    /** Product of the input spatial dimensions. */
    public int inSize() { return prod(in); }

    /** Product of the output spatial dimensions. */
    public int outSize() { return prod(out); }

    /** Number of kernel taps (product of the kernel dimensions). */
    public int kernelSize() { return prod(kernel); }

    /**
     * The geometry of a convolution or pool over {@code in} (spatial dims) from the node's attributes.
     * {@code weightKernel} is the kernel given by a weight tensor (null for pools, which need kernel_shape).
     * With {@code ceilMode} output sizes round up, but a window that would start in the end padding is dropped.
     */
    public static ConvGeometry of(Attrs a, int[] in, int[] weightKernel, boolean ceilMode) {
        int r = in.length;
        int[] kernel = kernelOf(a, r, weightKernel);
        int[] strides = ints(a, "strides", r, 1, 1);
        int[] dilations = ints(a, "dilations", r, 1, 1);
        int[][] pads = pads(a, r);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            out[i] = outputSize(in[i], kernel[i], strides[i], dilations[i], pads[0][i], pads[1][i], ceilMode);
            if (out[i] <= 0)
                throw new IllegalArgumentException("spatial axis " + i + ": input size " + in[i] + " with pads " + pads[0][i] + "+" + pads[1][i]
                        + " is smaller than the dilated kernel (" + ((kernel[i] - 1) * dilations[i] + 1) + ")");
        }
        return new ConvGeometry(in.clone(), kernel, strides, dilations, pads[0], pads[1], out);
    }

    /**
     * The geometry of a convolution of {@code x} [N, C, in...] with weights {@code w} [M, C / group, k...]
     * (attribute {@code group}, default 1), after checking ranks and channel counts.
     */
    public static ConvGeometry forConv(Attrs a, Shape x, Shape w) {
        long group = a.getInt("group", 1);
        if (x.rank() < 3) throw new IllegalArgumentException("input must have rank 3 or more (N, C, spatial...), got " + x);
        if (w.rank() != x.rank()) throw new IllegalArgumentException("weight " + w + " must have the input's rank " + x.rank());
        if (group < 1) throw new IllegalArgumentException("group " + group + " must be at least 1");
        if ((long) w.dim(1) * group != x.dim(1))
            throw new IllegalArgumentException("input has " + x.dim(1) + " channels but weight " + w + " with group " + group + " takes " + (long) w.dim(1) * group);
        if (w.dim(0) % group != 0)
            throw new IllegalArgumentException("weight's " + w.dim(0) + " output channels are not divisible by group " + group);
        return of(a, spatial(x), spatial(w), false);
    }

    /** The output shape [N, channels, out...] for an input [N, ...]. */
    public Shape outputShape(int batch, int channels) {
        int[] d = new int[out.length + 2];
        d[0] = batch;
        d[1] = channels;
        System.arraycopy(out, 0, d, 2, out.length);
        return Shape.of(d);
    }

    /**
     * The geometry of a transposed convolution: {@code out = s * (in - 1) + output_padding + (k - 1) * d + 1 - pads}.
     * Here {@link #in} is the input and {@link #out} the (larger) output; pads crop the full result.
     */
    public static ConvGeometry transposed(Attrs a, int[] in, int[] weightKernel) {
        int r = in.length;
        int[] kernel = kernelOf(a, r, weightKernel);
        int[] strides = ints(a, "strides", r, 1, 1);
        int[] dilations = ints(a, "dilations", r, 1, 1);
        int[] outPad = ints(a, "output_padding", r, 0, 0);
        int[][] pads = pads(a, r);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            long o = (long) strides[i] * (in[i] - 1) + outPad[i] + (long) (kernel[i] - 1) * dilations[i] + 1 - pads[0][i] - pads[1][i];
            if (o <= 0 || o > Integer.MAX_VALUE)
                throw new IllegalArgumentException("spatial axis " + i + ": pads " + pads[0][i] + "+" + pads[1][i] + " leave an output size of " + o);
            out[i] = (int) o;
        }
        return new ConvGeometry(in.clone(), kernel, strides, dilations, pads[0], pads[1], out);
    }

    /**
     * Output size of one axis: {@code floor((in + pb + pe - dk) / s) + 1}, or with {@code ceil} rounded up,
     * minus one if the last window would then start in the end padding (it must start in the input or the begin padding).
     */
    public static int outputSize(int in, int k, int s, int d, int pb, int pe, boolean ceil) {
        long span = (long) in + pb + pe - ((long) (k - 1) * d + 1);
        if (span < 0) return 0;
        long o = (ceil ? (span + s - 1) / s : span / s) + 1;
        if (ceil && (o - 1) * s >= (long) in + pb) o--;
        return (int) Math.min(o, Integer.MAX_VALUE);
    }

    /**
     * Explicit pads (begins then ends) for an ONNX {@code auto_pad} of a convolution or pool, or null for NOTSET.
     * SAME_UPPER and SAME_LOWER give {@code ceil(in / s)} outputs, the odd pad going to the end (UPPER) or the
     * beginning (LOWER); VALID pads nothing.
     */
    public static long[] autoPads(String autoPad, int[] in, int[] kernel, int[] strides, int[] dilations) {
        int r = in.length;
        long[] pads = new long[2 * r];
        switch (autoPad) {
            case "NOTSET":
                return null;
            case "VALID":
                return pads;
            case "SAME_UPPER":
            case "SAME_LOWER":
                for (int i = 0; i < r; i++) {
                    long out = (in[i] + (long) strides[i] - 1) / strides[i];
                    long total = Math.max(0, (out - 1) * strides[i] + (long) (kernel[i] - 1) * dilations[i] + 1 - in[i]);
                    long small = total / 2, large = total - small;
                    pads[i] = autoPad.equals("SAME_UPPER") ? small : large;
                    pads[i + r] = autoPad.equals("SAME_UPPER") ? large : small;
                }
                return pads;
            default:
                throw new IllegalArgumentException("auto_pad '" + autoPad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
        }
    }

    /**
     * Canonical pads and output padding of an ONNX ConvTranspose whose output size is fixed, by {@code output_shape}
     * or by {@code auto_pad} SAME (then {@code in * s}): returns {pads (begins then ends), output_padding}. The
     * total crop {@code s * (in - 1) + output_padding + dk - out} is split evenly, the odd unit going to the end for
     * SAME_UPPER and to the beginning otherwise; an output larger than the full result grows the output padding.
     */
    public static long[][] transposePadsFor(int[] outShape, String autoPad, int[] in, int[] kernel, int[] strides, int[] dilations, int[] outPad) {
        int r = in.length;
        long[] pads = new long[2 * r];
        long[] op = new long[r];
        for (int i = 0; i < r; i++) {
            long total = (long) strides[i] * (in[i] - 1) + outPad[i] + (long) (kernel[i] - 1) * dilations[i] + 1 - outShape[i];
            op[i] = outPad[i];
            if (total < 0) {
                op[i] -= total;
                continue;
            }
            long small = total / 2, large = total - small;
            pads[i] = autoPad.equals("SAME_UPPER") ? small : large;
            pads[i + r] = autoPad.equals("SAME_UPPER") ? large : small;
        }
        return new long[][] {pads, op};
    }

    private static int[] kernelOf(Attrs a, int r, int[] weightKernel) {
        if (weightKernel != null)
            for (int k : weightKernel)
                if (k < 1) throw new IllegalArgumentException("weight has an empty spatial dimension: kernel " + Arrays.toString(weightKernel));
        if (!a.has("kernel_shape")) {
            if (weightKernel == null) throw new IllegalArgumentException("attribute 'kernel_shape' is required");
            return weightKernel.clone();
        }
        int[] k = ints(a, "kernel_shape", r, 1, 1);
        if (weightKernel != null && !Arrays.equals(k, weightKernel))
            throw new IllegalArgumentException("kernel_shape " + Arrays.toString(k) + " does not match the weight's spatial dimensions " + Arrays.toString(weightKernel));
        return k;
    }

    /** An INTS attribute of {@code r} values each at least {@code min}, or {@code dflt} repeated when absent. */
    private static int[] ints(Attrs a, String name, int r, int dflt, int min) {
        int[] v = new int[r];
        if (!a.has(name)) {
            Arrays.fill(v, dflt);
            return v;
        }
        long[] given = a.getInts(name);
        if (given.length != r)
            throw new IllegalArgumentException("attribute '" + name + "' has " + given.length + " values, expected one per spatial axis (" + r + ")");
        for (int i = 0; i < r; i++) {
            if (given[i] < min || given[i] > Integer.MAX_VALUE)
                throw new IllegalArgumentException("attribute '" + name + "' " + Arrays.toString(given) + " must hold values from " + min + " to " + Integer.MAX_VALUE);
            v[i] = (int) given[i];
        }
        return v;
    }

    private static int[][] pads(Attrs a, int r) {
        int[][] p = new int[2][r];
        if (!a.has("pads")) return p;
        long[] given = a.getInts("pads");
        if (given.length != 2 * r)
            throw new IllegalArgumentException("attribute 'pads' has " + given.length + " values, expected " + 2 * r + " (begin pads, then end pads)");
        for (int i = 0; i < 2 * r; i++) {
            if (given[i] < 0 || given[i] > Integer.MAX_VALUE)
                throw new IllegalArgumentException("attribute 'pads' " + Arrays.toString(given) + " must hold values from 0 to " + Integer.MAX_VALUE);
            p[i / r][i % r] = (int) given[i];
        }
        return p;
    }

    /** The spatial dimensions of a shape {@code [N, C, spatial...]}. */
    public static int[] spatial(Shape s) {
        return Arrays.copyOfRange(s.dims(), 2, s.rank());
    }

    static int prod(int[] v) {
        long p = 1;
        for (int x : v) p *= x;
        if (p > Integer.MAX_VALUE) throw new IllegalArgumentException("window of " + Arrays.toString(v) + " is too large");
        return (int) p;
    }

    /** Row-major strides of {@code dims}. */
    static int[] stridesOf(int[] dims) {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    @Override
    public String toString() {
        return "in=" + Arrays.toString(in) + " kernel=" + Arrays.toString(kernel) + " strides=" + Arrays.toString(strides) + " dilations="
                + Arrays.toString(dilations) + " pads=" + Arrays.toString(padsBegin) + "/" + Arrays.toString(padsEnd) + " out=" + Arrays.toString(out);
    }
}
