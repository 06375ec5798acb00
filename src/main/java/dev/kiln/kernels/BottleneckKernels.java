package dev.kiln.kernels;

import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ops.ConvGeometry;
import dev.kiln.ops.Qbottleneck;
import dev.kiln.ops.Qbottleneck.Stage;
import dev.kiln.quant.FixedPoint;
import java.util.ArrayList;
import java.util.List;

/**
 * C kernel lowering of {@code qbottleneck} (template {@code qbottleneck} in {@code templates/c/ops/int8.stg}): for
 * each output row, the input rows the depthwise window needs and that are not yet expanded are expanded (1×1,
 * requantized to int8) into a rolling buffer of {@code kh} rows of every expanded channel; the depthwise row is
 * computed from it and requantized into a row buffer, then projected (1×1) into the output row. The band lives in
 * the kernel's scratch ({@link Qbottleneck#bandBytes}); each stage requantizes with its own multipliers exactly as
 * the separate qconv kernels do ({@code kiln_requantize_q31_s8}), so the bytes are the interpreter's.
 */
public final class BottleneckKernels {
    private BottleneckKernels() {}

    /** One stage's requantization: per-channel int32 multipliers and shifts, output zero point and clamp. */
    public static final class StageRq {
        public final List<String> mults = new ArrayList<>(), shifts = new ArrayList<>();
        public final long zp, lo, hi;

        StageRq(FixedPoint.Multiplier[] m, Node n, Stage s) {
            for (FixedPoint.Multiplier x : m) {
                mults.add(Integer.toString(x.multiplier()));
                shifts.add(Integer.toString(x.shift()));
            }
            dev.kiln.ir.Attrs a = Qbottleneck.stageAttrs(n.attrs(), s, 1);
            zp = a.getInt(dev.kiln.ops.QuantAttrs.OUT_ZERO_POINT);
            lo = a.getInt(dev.kiln.ops.QuantAttrs.ACT_MIN);
            hi = a.getInt(dev.kiln.ops.QuantAttrs.ACT_MAX);
        }
    }

    /** The model of a qbottleneck: geometry, zero points, the three stages' tables and the parameter names. */
    public static final class Bottleneck {
        /** Batch, input channels, height and width; expanded and output channels; output height and width. */
        public final long batch, c, h, w, e, m, oh, ow;
        /** The depthwise window: rows, columns, taps, strides and begin pads. */
        public final long kh, kw, taps, sh, sw, pt, pl;
        /** Zero points of the input, the expanded tensor and the depthwise output (the stages' inputs). */
        public final long xz, ez, dz;
        /** Scratch: where the rolling rows and the depthwise row begin, and the bytes of one expanded row of every channel. */
        public final long ringAt, dwAt, ringRow;
        /** Elements of an input plane and of an output plane, of one batch item of the input and of the output. */
        public final long plane, outPlane, xBatch, yBatch;
        public final StageRq expand, dw, project;
        /** Parameter names of the weights and the (optional) biases. */
        public final String we, wd, wp, be, bd, bp;
        public final boolean hasBe, hasBd, hasBp;

        Bottleneck(KernelModel k, Node n) {
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
            xz = n.input(0).type().quant().zeroPoint(0);
            ez = Qbottleneck.stageParams(n.attrs(), Stage.EXPAND).zeroPoint(0);
            dz = Qbottleneck.stageParams(n.attrs(), Stage.DEPTHWISE).zeroPoint(0);
            ringRow = e * w;
            ringAt = c * w;
            dwAt = ringAt + kh * ringRow;
            plane = h * w;
            outPlane = oh * ow;
            xBatch = c * plane;
            yBatch = m * outPlane;
            expand = new StageRq(Qbottleneck.multipliers(n, Stage.EXPAND), n, Stage.EXPAND);
            dw = new StageRq(Qbottleneck.multipliers(n, Stage.DEPTHWISE), n, Stage.DEPTHWISE);
            project = new StageRq(Qbottleneck.multipliers(n, Stage.PROJECT), n, Stage.PROJECT);
            we = k.ins.get(1).name;
            wd = k.ins.get(2).name;
            wp = k.ins.get(3).name;
            hasBe = n.input(4) != null;
            hasBd = n.input(5) != null;
            hasBp = n.input(6) != null;
            be = hasBe ? k.ins.get(4).name : null;
            bd = hasBd ? k.ins.get(5).name : null;
            bp = hasBp ? k.ins.get(6).name : null;
        }
    }

    /** qbottleneck: the row-streaming kernel over its band in scratch. */
    public static Object qbottleneck(KernelModel k, Node n, Strategy t) {
        k.scratchBytes = Qbottleneck.bandBytes(n.input(0).shape(), n.input(2).shape(), n.output(0).shape());
        k.outOfLine = true;
        k.tableBytes += 8L * (n.input(1).shape().dim(0) * 2 + n.output(0).shape().dim(1));
        return new Bottleneck(k, n);
    }
}
