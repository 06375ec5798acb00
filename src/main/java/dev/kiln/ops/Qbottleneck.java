package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.quant.FixedPoint;
import java.util.Arrays;
import java.util.List;

/**
 * An int8 inverted-residual body as one op: a 1×1 {@link Qconv} expand, a depthwise qconv and a 1×1 qconv project,
 * {@code Y = qconv1x1(qconv_dw(qconv1x1(X, We, Be), Wd, Bd), Wp, Bp)}. X i8 [N, C, H, W]; We [E, C, 1, 1],
 * Wd [E, 1, kh, kw], Wp [M, E, 1, 1] (int8, quantized per tensor or per output channel); optional int32 biases
 * Be [E], Bd [E], Bp [M]. Y i8 [N, M, oh, ow].
 *
 * <p>Attributes: the depthwise window ({@code kernel_shape}, {@code strides}, {@code dilations}, {@code pads}); each
 * stage's requantization: {@code expand_scale}, {@code expand_zero_point}, {@code expand_act_min/max} (the expanded
 * tensor's type and clamp), {@code dw_scale}, {@code dw_zero_point}, {@code dw_act_min/max} (the depthwise output's),
 * and the project's {@code out_*}/{@code act_*}; {@code compact_multipliers} for all three.
 *
 * <p>The reference evaluation is the exact composition of the three qconv evaluations (each intermediate rounded
 * and clamped to int8 on its own grid as the separate nodes did); a backend may compute it a band of rows at a time
 * without storing the expanded tensor.
 */
@NoKernel(backend = "opencl", why = "made only for targets whose RAM is tight (FuseInt8Bottlenecks), which OpenCL devices are not")
public final class Qbottleneck extends OpDef {
    /** The expanded tensor's scale, zero point and clamp. */
    public static final String EXPAND_SCALE = "expand_scale", EXPAND_ZERO_POINT = "expand_zero_point", EXPAND_ACT_MIN = "expand_act_min", EXPAND_ACT_MAX = "expand_act_max";
    /** The depthwise output's scale, zero point and clamp. */
    public static final String DW_SCALE = "dw_scale", DW_ZERO_POINT = "dw_zero_point", DW_ACT_MIN = "dw_act_min", DW_ACT_MAX = "dw_act_max";
    private static final List<String> WINDOW = List.of("kernel_shape", "strides", "dilations", "pads");

    public Qbottleneck() {
        super("qbottleneck", QuantAttrs.addCompact(QuantAttrs.addOut(ConvGeometry.windowAttrs(
                Signature.builder().input("X", "We", "Wd", "Wp").optionalInput("Be", "Bd", "Bp").output("Y"))
                .requiredAttr(EXPAND_SCALE, AttrType.FLOAT).attr(EXPAND_ZERO_POINT, AttrType.INT, 0L)
                .attr(EXPAND_ACT_MIN, AttrType.INT, -128L).attr(EXPAND_ACT_MAX, AttrType.INT, 127L)
                .requiredAttr(DW_SCALE, AttrType.FLOAT).attr(DW_ZERO_POINT, AttrType.INT, 0L)
                .attr(DW_ACT_MIN, AttrType.INT, -128L).attr(DW_ACT_MAX, AttrType.INT, 127L))).build(), Trait.MAC, Trait.INTEGER);
    }

    @Override
    public String summary() { return "int8 1x1 expand, depthwise and 1x1 project convolutions, without the expanded tensor"; }

    /** The three stages, in order: expand, depthwise, project. */
    public enum Stage { EXPAND, DEPTHWISE, PROJECT }

    /** The attributes stage {@code s} has as a separate {@link Qconv} node ({@code channels}: the expanded channels). */
    public static Attrs stageAttrs(Attrs a, Stage s, int channels) {
        Attrs r = Attrs.EMPTY.with(QuantAttrs.COMPACT_MULTIPLIERS, a.getInt(QuantAttrs.COMPACT_MULTIPLIERS, 0));
        if (s == Stage.DEPTHWISE) {
            for (String k : WINDOW) if (a.has(k)) r = r.with(k, a.get(k));
            r = r.with("group", (long) channels);
        } else {
            r = r.with("group", 1L);
        }
        String[] keys = switch (s) {
            case EXPAND -> new String[] {EXPAND_SCALE, EXPAND_ZERO_POINT, EXPAND_ACT_MIN, EXPAND_ACT_MAX};
            case DEPTHWISE -> new String[] {DW_SCALE, DW_ZERO_POINT, DW_ACT_MIN, DW_ACT_MAX};
            case PROJECT -> new String[] {QuantAttrs.OUT_SCALE, QuantAttrs.OUT_ZERO_POINT, QuantAttrs.ACT_MIN, QuantAttrs.ACT_MAX};
        };
        return r.with(QuantAttrs.OUT_SCALE, a.getFloat(keys[0])).with(QuantAttrs.OUT_ZERO_POINT, a.getInt(keys[1], 0))
                .with(QuantAttrs.ACT_MIN, a.getInt(keys[2], -128)).with(QuantAttrs.ACT_MAX, a.getInt(keys[3], 127));
    }

    /** The attributes of a qbottleneck made of the three qconvs' attributes (window from the depthwise one). */
    public static Attrs fusedAttrs(Attrs expand, Attrs dw, Attrs project) {
        Attrs r = Attrs.EMPTY.with(QuantAttrs.COMPACT_MULTIPLIERS, project.getInt(QuantAttrs.COMPACT_MULTIPLIERS, 0));
        for (String k : WINDOW) if (dw.has(k)) r = r.with(k, dw.get(k));
        r = r.with(EXPAND_SCALE, expand.getFloat(QuantAttrs.OUT_SCALE)).with(EXPAND_ZERO_POINT, expand.getInt(QuantAttrs.OUT_ZERO_POINT, 0))
                .with(EXPAND_ACT_MIN, expand.getInt(QuantAttrs.ACT_MIN, -128)).with(EXPAND_ACT_MAX, expand.getInt(QuantAttrs.ACT_MAX, 127));
        r = r.with(DW_SCALE, dw.getFloat(QuantAttrs.OUT_SCALE)).with(DW_ZERO_POINT, dw.getInt(QuantAttrs.OUT_ZERO_POINT, 0))
                .with(DW_ACT_MIN, dw.getInt(QuantAttrs.ACT_MIN, -128)).with(DW_ACT_MAX, dw.getInt(QuantAttrs.ACT_MAX, 127));
        return r.with(QuantAttrs.OUT_SCALE, project.getFloat(QuantAttrs.OUT_SCALE)).with(QuantAttrs.OUT_ZERO_POINT, project.getInt(QuantAttrs.OUT_ZERO_POINT, 0))
                .with(QuantAttrs.ACT_MIN, project.getInt(QuantAttrs.ACT_MIN, -128)).with(QuantAttrs.ACT_MAX, project.getInt(QuantAttrs.ACT_MAX, 127));
    }

    /** The type stage {@code s}'s output has as a separate tensor (int8, per tensor). */
    public static QuantParams stageParams(Attrs a, Stage s) {
        return QuantAttrs.outParams(stageAttrs(a, s, 1));
    }

    /** The fixed-point multipliers of stage {@code s} of node {@code n}, one per output channel of that stage. */
    public static FixedPoint.Multiplier[] multipliers(Node n, Stage s) {
        int e = n.input(1).shape().dim(0);
        QuantParams in = switch (s) {
            case EXPAND -> n.input(0).type().quant();
            case DEPTHWISE -> stageParams(n.attrs(), Stage.EXPAND);
            case PROJECT -> stageParams(n.attrs(), Stage.DEPTHWISE);
        };
        dev.kiln.ir.Value w = n.input(1 + s.ordinal());
        Attrs a = stageAttrs(n.attrs(), s, e);
        return QuantAttrs.productMultipliers(in, w.type().quant(), a.getFloat(QuantAttrs.OUT_SCALE), w.shape().dim(0), QuantAttrs.compact(a));
    }

    /**
     * Columns of one row of the rolling buffer for the depthwise window {@code g}: the input row between its begin
     * and end pads, so that every window of an output row lies inside.
     */
    public static long bandColumns(ConvGeometry g) {
        return Math.max((long) g.padsBegin[1] + g.in[1], (long) (g.out[1] - 1) * g.strides[1] + (long) (g.kernel[1] - 1) * g.dilations[1] + 1);
    }

    /**
     * Bytes of the band a row-streaming kernel keeps (X [N, C, H, W], Wd [E, 1, kh, kw], Y [N, M, oh, ow], the
     * depthwise attributes {@code dw}): one input row with its channels side by side, kh padded expanded rows of every
     * channel ({@link #bandColumns}) and one depthwise output row.
     */
    public static long bandBytes(Shape x, Shape wd, Shape y, Attrs dw) {
        long e = wd.dim(0);
        ConvGeometry g = ConvGeometry.forConv(dw, Shape.of(x.dim(0), (int) e, x.dim(2), x.dim(3)), wd);
        return (long) x.dim(1) * x.dim(3) + wd.dim(2) * e * bandColumns(g) + e * y.dim(3);
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        QuantAttrs.activation(cx, 0);
        Shape x = cx.shape(0), we = cx.shape(1), wd = cx.shape(2), wp = cx.shape(3);
        cx.check(x.rank() == 4, "X must be [N, C, H, W], got %s", x);
        int c = x.dim(1), e = we.dim(0), m = wp.dim(0);
        cx.check(we.equals(Shape.of(e, c, 1, 1)), "expand weights We must be [E, %d, 1, 1], got %s", c, we);
        cx.check(wd.rank() == 4 && wd.dim(0) == e && wd.dim(1) == 1, "depthwise weights Wd must be [%d, 1, kh, kw], got %s", e, wd);
        cx.check(wp.equals(Shape.of(m, e, 1, 1)), "project weights Wp must be [M, %d, 1, 1], got %s", e, wp);
        QuantAttrs.weight(cx, 1, 0, e);
        QuantAttrs.weight(cx, 2, 0, e);
        QuantAttrs.weight(cx, 3, 0, m);
        int[] biases = {e, e, m};
        for (int i = 4; i < 7; i++) {
            if (!cx.has(i)) continue;
            cx.checkDType(i, DType.I32);
            cx.check(cx.shape(i).equals(Shape.of(biases[i - 4])), "bias input %d must have shape [%d], got %s", i, biases[i - 4], cx.shape(i));
        }
        ConvGeometry g;
        try {
            g = ConvGeometry.forConv(stageAttrs(cx.attrs(), Stage.DEPTHWISE, e), Shape.of(x.dim(0), e, x.dim(2), x.dim(3)), wd);
        } catch (IllegalArgumentException ex) {
            throw cx.error("%s", ex.getMessage());
        }
        for (String k : new String[] {EXPAND_SCALE, DW_SCALE}) {
            double s = cx.attrs().getFloat(k);
            cx.check(s > 0 && Float.isFinite((float) s) && (float) s > 0, "%s must be a positive finite float, got %s", k, s);
        }
        return List.of(QuantAttrs.outType(cx, g.outputShape(x.dim(0), m)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        int e = cx.input(1).shape().dim(0);
        Shape mid = Shape.of(x.shape().dim(0), e, x.shape().dim(2), x.shape().dim(3));
        TensorType midType = new TensorType(DType.I8, mid, stageParams(cx.attrs(), Stage.EXPAND));
        Attrs ea = stageAttrs(cx.attrs(), Stage.EXPAND, e), da = stageAttrs(cx.attrs(), Stage.DEPTHWISE, e), pa = stageAttrs(cx.attrs(), Stage.PROJECT, e);
        NdArray expanded = Ops.QCONV.evaluate(new EvalContext(cx.nodeName(), Arrays.asList(x, cx.input(1), cx.input(4)), ea, List.of(midType),
                Arrays.asList(cx.inputType(0), cx.inputType(1), cx.inputType(4)))).get(0);
        ConvGeometry g = ConvGeometry.forConv(da, mid, cx.input(2).shape());
        TensorType dwType = new TensorType(DType.I8, g.outputShape(mid.dim(0), e), stageParams(cx.attrs(), Stage.DEPTHWISE));
        NdArray dw = Ops.QCONV.evaluate(new EvalContext(cx.nodeName(), Arrays.asList(expanded, cx.input(2), cx.input(5)), da, List.of(dwType),
                Arrays.asList(midType, cx.inputType(2), cx.inputType(5)))).get(0);
        return Ops.QCONV.evaluate(new EvalContext(cx.nodeName(), Arrays.asList(dw, cx.input(3), cx.input(6)), pa, List.of(cx.outputType(0)),
                Arrays.asList(dwType, cx.inputType(3), cx.inputType(6))));
    }

    @Override
    public long macs(Node n) {
        Shape x = n.input(0).shape(), y = n.output(0).shape(), wd = n.input(2).shape();
        long e = wd.dim(0), inPixels = (long) x.dim(0) * x.dim(2) * x.dim(3), outPixels = (long) y.dim(0) * y.dim(2) * y.dim(3);
        return inPixels * e * x.dim(1) + outPixels * e * wd.dim(2) * wd.dim(3) + outPixels * e * y.dim(1);
    }
}
