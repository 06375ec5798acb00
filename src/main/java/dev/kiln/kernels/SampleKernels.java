package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ops.ConvGeometry;
import java.util.ArrayList;
import java.util.List;

/**
 * The geometry of the sampling kernels written once in {@code templates/kernels/sample.stg}: GridSample (and, with
 * the same interpolation, RoiAlign and DeformConv). Coordinates are computed in the dialect's widest float.
 */
public final class SampleKernels {
    private SampleKernels() {}

    /** One spatial axis of X: its size, the grid component that addresses it and the in-range bounds lo..hi. */
    public static final class Axis {
        public final int index;
        public final long dim, comp;
        public final String dimLit, dimMinus1, lo, hi, low, high;

        Axis(int index, long dim, long comp, boolean align) {
            this.index = index;
            this.dim = dim;
            this.comp = comp;
            dimLit = lit(dim);
            dimMinus1 = lit(dim - 1);
            lo = lit(align ? 0 : -0.5);
            hi = lit(align ? dim - 1 : dim - 0.5);
            low = lit(-4);
            high = lit(dim + 3);
        }
    }

    static String lit(double v) { return ScalarTypes.literal(DType.F64, v); }

    /** grid_sample: one parallel iteration per output element (batch, channel, output position). */
    public static final class Grid {
        public final long rank, channels, plane, outPlane, taps, total;
        public final boolean align, nearest, cubic, zeros, border, reflection;
        public final List<Axis> axes = new ArrayList<>();

        Grid(Node n) {
            Shape x = n.input(0).shape(), y = n.output(0).shape();
            int r = x.rank() - 2;
            rank = r;
            channels = x.dim(1);
            plane = x.prod(2, x.rank());
            outPlane = y.prod(2, y.rank());
            String mode = n.attrs().getString("mode"), pad = n.attrs().getString("padding_mode");
            nearest = mode.equals("nearest");
            cubic = mode.equals("cubic");
            taps = cubic ? 4 : nearest ? 1 : 2;
            long t = 1;
            for (int i = 0; i < r; i++) t *= taps;
            total = t;
            zeros = pad.equals("zeros");
            border = pad.equals("border");
            reflection = pad.equals("reflection");
            align = n.attrs().getInt("align_corners") != 0;
            for (int i = 0; i < r; i++) axes.add(new Axis(i, x.dim(i + 2), r - 1 - i, align));
        }
    }

    /** grid_sample: one parallel iteration per output element. */
    public static Object gridSample(KernelModel k, Node n, Strategy t) { return new Grid(n); }

    /** roi_align: output element (roi, channel, i, j) averages (or takes the max of) a grid of bilinear samples. */
    public static final class Roi {
        public final long batches, channels, height, width, ph, pw, ratio;
        /** Elements of one input channel plane (height * width). */
        public final long plane;
        public final boolean half, max;
        public final String scale, phLit, pwLit;

        Roi(Node n) {
            Shape x = n.input(0).shape(), y = n.output(0).shape();
            batches = x.dim(0);
            channels = x.dim(1);
            height = x.dim(2);
            width = x.dim(3);
            plane = height * width;
            ph = y.dim(2);
            pw = y.dim(3);
            ratio = n.attrs().getInt("sampling_ratio");
            half = n.attrs().getString("coordinate_transformation_mode").equals("half_pixel");
            max = n.attrs().getString("mode").equals("max");
            scale = lit(n.attrs().getFloat("spatial_scale"));
            phLit = lit(ph);
            pwLit = lit(pw);
        }
    }

    /** roi_align: one parallel iteration per output element. */
    public static Object roiAlign(KernelModel k, Node n, Strategy t) { return new Roi(n); }

    /**
     * deform_conv: output element (b, o, i, j) sums, over its group's input channels and the kernel taps, the
     * bilinear sample of X at the tap's position moved by its offset (times the mask) times the weight.
     */
    public static final class Deform {
        public final long channels, height, width, outChannels, groupIn, outPerGroup, inPerOffsetGroup, offsetGroups;
        public final long kh, kw, oh, ow, strideH, strideW, padH, padW, dilH, dilW;
        /** Elements of one input channel plane (height * width); taps of the window (kh * kw). */
        public final long plane, taps;
        public final boolean bias, mask;
        public final String hLo, hHi, wLo, wHi;
        /** The B and mask parameter names (null when absent). */
        public final String biasName, maskName;

        Deform(KernelModel k, Node n) {
            Shape xs = n.input(0).shape(), ws = n.input(1).shape();
            ConvGeometry g = ConvGeometry.forConv(n.attrs(), xs, ws);
            channels = xs.dim(1);
            height = xs.dim(2);
            width = xs.dim(3);
            outChannels = ws.dim(0);
            groupIn = ws.dim(1);
            outPerGroup = outChannels / n.attrs().getInt("group");
            offsetGroups = n.attrs().getInt("offset_group");
            inPerOffsetGroup = channels / offsetGroups;
            kh = g.kernel[0];
            kw = g.kernel[1];
            plane = height * width;
            taps = kh * kw;
            oh = g.out[0];
            ow = g.out[1];
            strideH = g.strides[0];
            strideW = g.strides[1];
            padH = g.padsBegin[0];
            padW = g.padsBegin[1];
            dilH = g.dilations[0];
            dilW = g.dilations[1];
            bias = n.numInputs() > 3 && n.input(3) != null;
            mask = n.numInputs() > 4 && n.input(4) != null;
            hLo = lit(-2);
            hHi = lit(height + 1);
            wLo = lit(-2);
            wHi = lit(width + 1);
            biasName = bias ? k.ins.get(3).name : null;
            maskName = mask ? k.ins.get(4).name : null;
        }
    }

    /** deform_conv: one parallel iteration per output element. */
    public static Object deformConv(KernelModel k, Node n, Strategy t) {
        k.fpContract = true;
        return new Deform(k, n);
    }
}
