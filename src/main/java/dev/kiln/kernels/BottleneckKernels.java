package dev.kiln.kernels;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.ConvGeometry;
import dev.kiln.ops.Qbottleneck;
import dev.kiln.ops.Qbottleneck.Stage;
import dev.kiln.ops.QuantAttrs;
import dev.kiln.quant.FixedPoint;
import java.util.ArrayList;
import java.util.List;

/**
 * C kernel lowering of {@code qbottleneck} (template {@code qbottleneck} in {@code templates/c/ops/int8.stg}): for
 * each output row, the input rows the depthwise window needs and that are not yet expanded are expanded (1×1,
 * requantized to int8) into a rolling buffer of {@code kh} rows of every expanded channel, each row padded with the
 * expanded zero point on both sides; the depthwise row is computed from it into a row buffer, then projected (1×1)
 * into the output row. The band lives in the kernel's scratch ({@link Qbottleneck#bandBytes}).
 *
 * <p>The 1×1 stages fold the input zero point into the bias ({@code B[o] - z * sum W[o]}, exact in int32), the
 * depthwise stage subtracts {@code z * (the weights of the window's rows inside the input)} (its padding columns hold
 * z), so each stage's accumulator equals the separate qconv's and is requantized with its own multipliers by
 * {@code kiln_requantize_q31} (its branch-free {@code _r32} form where the shifts allow): the bytes are the interpreter's. On DSP targets the 1×1 dot products take four
 * channels per two SMLADs where the channel counts are multiples of 4.
 */
public final class BottleneckKernels {
    private BottleneckKernels() {}

    /** One stage's requantization and bias: per-channel int32 multipliers, shifts and folded biases, output zero point and clamp. */
    public static final class StageRq {
        public final List<String> mults = new ArrayList<>(), shifts = new ArrayList<>(), biases = new ArrayList<>();
        public final long zp, lo, hi;
        /** Every multiplier >= 0 with a right shift of 32 to 62 bits: the branch-free {@code kiln_requantize_q31_r32} gives the same values. */
        public final boolean fast;

        StageRq(FixedPoint.Multiplier[] m, long[] bias, Node n, Stage s) {
            for (FixedPoint.Multiplier x : m) {
                mults.add(Integer.toString(x.multiplier()));
                shifts.add(Integer.toString(x.shift()));
            }
            for (long b : bias) biases.add(Long.toString(b));
            fast = Int8Kernels.rightShiftsOf32AndMore(m);
            dev.kiln.ir.Attrs a = Qbottleneck.stageAttrs(n.attrs(), s, 1);
            zp = a.getInt(QuantAttrs.OUT_ZERO_POINT);
            lo = a.getInt(QuantAttrs.ACT_MIN);
            hi = a.getInt(QuantAttrs.ACT_MAX);
        }
    }

    /** The model of a qbottleneck: geometry, zero points, the three stages' tables and the parameter names. */
    public static final class Bottleneck {
        /** Batch, input channels, height and width; expanded and output channels; output height and width. */
        public final long batch, c, h, w, e, m, oh, ow;
        /** The depthwise window: rows, columns, taps, strides and begin pads. */
        public final long kh, kw, taps, sh, sw, pt, pl;
        /** The expanded tensor's zero point (the padding columns' value). */
        public final long ez;
        /** Padded columns of a rolling row, the bytes of one rolling row of every channel, and the padding columns after the input's. */
        public final long cols, ringRow, padAfter, padAt;
        /** The rolling rows of all channels (kh * e), each {@code cols} bytes. */
        public final long ringRows;
        public final boolean padBefore, hasPadAfter;
        /** Scratch: where the rolling rows and the depthwise row begin. */
        public final long ringAt, dwAt;
        /** Elements of an input plane and of an output plane, of one batch item of the input and of the output. */
        public final long plane, outPlane, xBatch, yBatch;
        public final StageRq expand, dw, project;
        /** Per expanded channel and window row: the sum of that row's depthwise weights ({@code qd_r}). */
        public final List<String> rowSums = new ArrayList<>();
        /** Parameter names of the weights. */
        public final String we, wd, wp;
        /** DSP: the expand's and the project's dot products four channels at a time. */
        public final boolean dspExpand, dspProject;

        Bottleneck(KernelModel k, Node n, Strategy t) {
            Shape x = n.input(0).shape(), wds = n.input(2).shape(), y = n.output(0).shape();
            batch = x.dim(0);
            c = x.dim(1);
            h = x.dim(2);
            w = x.dim(3);
            e = wds.dim(0);
            m = y.dim(1);
            oh = y.dim(2);
            ow = y.dim(3);
            ConvGeometry g = ConvGeometry.forConv(Qbottleneck.stageAttrs(n.attrs(), Stage.DEPTHWISE, (int) e), Shape.of(x.dim(0), (int) e, x.dim(2), x.dim(3)), wds);
            kh = g.kernel[0];
            kw = g.kernel[1];
            taps = kh * kw;
            sh = g.strides[0];
            sw = g.strides[1];
            pt = g.padsBegin[0];
            pl = g.padsBegin[1];
            long xz = n.input(0).type().quant().zeroPoint(0);
            ez = Qbottleneck.stageParams(n.attrs(), Stage.EXPAND).zeroPoint(0);
            long dz = Qbottleneck.stageParams(n.attrs(), Stage.DEPTHWISE).zeroPoint(0);
            cols = Qbottleneck.bandColumns(g);
            ringRow = e * cols;
            ringRows = kh * e;
            padAt = pl + w;
            padAfter = cols - padAt;
            padBefore = pl > 0;
            hasPadAfter = padAfter > 0;
            ringAt = c * w;
            dwAt = ringAt + kh * ringRow;
            plane = h * w;
            outPlane = oh * ow;
            xBatch = c * plane;
            yBatch = m * outPlane;
            long[] wE = weights(n.input(1)), wD = weights(n.input(2)), wP = weights(n.input(3));
            expand = new StageRq(Qbottleneck.multipliers(n, Stage.EXPAND), folded(n.input(4), wE, (int) e, (int) c, xz), n, Stage.EXPAND);
            dw = new StageRq(Qbottleneck.multipliers(n, Stage.DEPTHWISE), folded(n.input(5), wD, (int) e, (int) taps, 0), n, Stage.DEPTHWISE);
            project = new StageRq(Qbottleneck.multipliers(n, Stage.PROJECT), folded(n.input(6), wP, (int) m, (int) e, dz), n, Stage.PROJECT);
            for (int ce = 0; ce < e; ce++) {
                for (int ky = 0; ky < kh; ky++) {
                    long sum = 0;
                    for (int kx = 0; kx < kw; kx++) sum += wD[(int) (ce * taps + ky * kw + kx)];
                    rowSums.add(Long.toString(sum));
                }
            }
            we = k.ins.get(1).name;
            wd = k.ins.get(2).name;
            wp = k.ins.get(3).name;
            dspExpand = t.hasDsp() && c % 4 == 0;
            dspProject = t.hasDsp() && e % 4 == 0;
        }
    }

    private static long[] weights(Value v) {
        NdArray d = PackedConstants.data(v);
        if (d == null) throw new Unsupported("qbottleneck reads constant weights only; " + v.name() + " is computed");
        return d.longs();
    }

    /** Each output channel's bias (0 without) minus the input zero point times the sum of its {@code len} weights. */
    private static long[] folded(Value bias, long[] w, int channels, int len, long zp) {
        long[] b = bias == null ? new long[channels] : PackedConstants.data(bias).longs().clone();
        for (int o = 0; o < channels; o++) {
            long s = 0;
            for (int j = 0; j < len; j++) s += w[o * len + j];
            b[o] -= zp * s;
        }
        return b;
    }

    /** qbottleneck: the row-streaming kernel over its band in scratch. */
    public static Object qbottleneck(KernelModel k, Node n, Strategy t) {
        if (n.input(5) != null && PackedConstants.data(n.input(5)) == null || n.input(4) != null && PackedConstants.data(n.input(4)) == null
                || n.input(6) != null && PackedConstants.data(n.input(6)) == null)
            throw new Unsupported("qbottleneck reads constant biases only");
        k.scratchBytes = Qbottleneck.bandBytes(n.input(0).shape(), n.input(2).shape(), n.output(0).shape(),
                Qbottleneck.stageAttrs(n.attrs(), Stage.DEPTHWISE, n.input(2).shape().dim(0)));
        k.outOfLine = true;
        // why: the biases are folded into the stages' literals (Bottleneck's StageRq), so their constants need no flash
        k.unreadInputs.addAll(List.of(4, 5, 6));
        Bottleneck b = new Bottleneck(k, n, t);
        k.tableBytes += 12L * (b.e * 2 + b.m) + 4L * b.rowSums.size();
        if (b.dspExpand || b.dspProject) {
            k.systemHeaders.add("<arm_acle.h>");
        }
        return b;
    }
}
