package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * A depthwise convolution followed by a 1×1 convolution, as one op:
 * {@code Y = act(conv1x1(dw_act(conv_dw(X, Wd, Bd)), Wp, Bp) + Z)}. X [N, C, in...], depthwise weights
 * Wd [C·r, 1, k...] (depth multiplier r, group C), optional depthwise bias Bd [C·r], pointwise weights
 * Wp [M, C·r, 1...], optional pointwise bias Bp [M] and residual Z [N, M, out...]; Y [N, M, out...].
 *
 * <p>Attributes: the depthwise window ({@code kernel_shape}, {@code strides}, {@code dilations}, {@code pads}), the
 * depthwise conv's fused activation ({@code dw_activation}, {@code dw_activation_params}, as
 * {@link FusedActivation} spells them) and the final one ({@code activation}, {@code activation_params}).
 *
 * <p>The reference evaluation is the exact composition of the two {@link Conv} evaluations (the intermediate
 * rounded to the element type as the separate nodes did); a backend may compute it without ever storing the
 * intermediate tensor.
 */
public final class SeparableConv extends OpDef {
    /** The depthwise activation's attributes (the final one's are {@link FusedActivation}'s). */
    public static final String DW_ACTIVATION = "dw_" + FusedActivation.ACTIVATION, DW_PARAMS = "dw_" + FusedActivation.PARAMS;
    private static final List<String> WINDOW = List.of("kernel_shape", "strides", "dilations", "pads");

    public SeparableConv() {
        super("separable_conv", FusedActivation.addAttrs(ConvGeometry.windowAttrs(
                Signature.builder().input("X", "Wd", "Wp").optionalInput("Bd", "Bp", "Z").output("Y")))
                .optionalAttr(DW_ACTIVATION, AttrType.STRING).optionalAttr(DW_PARAMS, AttrType.FLOATS).build(), Trait.MAC);
    }

    @Override
    public String summary() { return "depthwise convolution then 1x1 convolution, without the intermediate tensor"; }

    /** The attributes of the depthwise half as a {@link Conv} node's: window, group = C, its activation. */
    public static Attrs depthwiseAttrs(Attrs a, int channels) {
        Attrs r = Attrs.EMPTY.with("group", (long) channels);
        for (String k : WINDOW) if (a.has(k)) r = r.with(k, a.get(k));
        if (a.has(DW_ACTIVATION)) r = r.with(FusedActivation.ACTIVATION, a.get(DW_ACTIVATION));
        if (a.has(DW_PARAMS)) r = r.with(FusedActivation.PARAMS, a.get(DW_PARAMS));
        return r;
    }

    /** The attributes of the pointwise half as a {@link Conv} node's: group 1, its activation. */
    public static Attrs pointwiseAttrs(Attrs a) {
        Attrs r = Attrs.EMPTY.with("group", 1L);
        if (a.has(FusedActivation.ACTIVATION)) r = r.with(FusedActivation.ACTIVATION, a.get(FusedActivation.ACTIVATION));
        if (a.has(FusedActivation.PARAMS)) r = r.with(FusedActivation.PARAMS, a.get(FusedActivation.PARAMS));
        return r;
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        for (int i = 1; i < 6; i++) if (cx.has(i)) cx.checkSameDType(0, i);
        Shape x = cx.shape(0), wd = cx.shape(1), wp = cx.shape(2);
        int c = x.dim(1);
        cx.check(wd.rank() == x.rank() && wd.dim(1) == 1 && wd.dim(0) % c == 0,
                "depthwise weights Wd must be [C·r, 1, k...] for %d input channels, got %s", c, wd);
        ConvGeometry g;
        try {
            g = ConvGeometry.forConv(depthwiseAttrs(cx.attrs(), c), x, wd);
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        int mid = wd.dim(0), m = wp.dim(0);
        int[] ones = new int[wp.rank() - 2];
        Arrays.fill(ones, 1);
        cx.check(wp.rank() == x.rank() && wp.dim(1) == mid && Arrays.equals(ConvGeometry.spatial(wp), ones),
                "pointwise weights Wp must be [M, %d, 1...], got %s", mid, wp);
        if (cx.has(3)) cx.check(cx.shape(3).equals(Shape.of(mid)), "depthwise bias Bd must have shape [%d], got %s", mid, cx.shape(3));
        if (cx.has(4)) cx.check(cx.shape(4).equals(Shape.of(m)), "pointwise bias Bp must have shape [%d], got %s", m, cx.shape(4));
        Shape y = g.outputShape(x.dim(0), m);
        if (cx.has(5)) cx.check(cx.shape(5).equals(y), "residual Z must have the output's shape %s, got %s", y, cx.shape(5));
        FusedActivation.check(cx);
        for (String s : new String[] {cx.attrs().getString(DW_ACTIVATION, "")}) {
            if (s.isEmpty()) continue;
            OpDef act = Ops.get(s);
            cx.check(act != null && act.has(Trait.ACTIVATION), "dw_activation '%s' is not an activation op", s);
        }
        return List.of(new TensorType(cx.dtype(0), y));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), wd = cx.input(1), wp = cx.input(2);
        Attrs dwa = depthwiseAttrs(cx.attrs(), x.shape().dim(1));
        ConvGeometry g = ConvGeometry.forConv(dwa, x.shape(), wd.shape());
        TensorType midType = new TensorType(x.dtype(), g.outputShape(x.shape().dim(0), wd.shape().dim(0)));
        NdArray mid = Ops.CONV.evaluate(new EvalContext(cx.nodeName(), Arrays.asList(x, wd, cx.input(3)), dwa, List.of(midType))).get(0);
        return Ops.CONV.evaluate(new EvalContext(cx.nodeName(), Arrays.asList(mid, wp, cx.input(4), cx.input(5)),
                pointwiseAttrs(cx.attrs()), List.of(cx.outputType(0))));
    }

    @Override
    public long macs(dev.kiln.ir.Node n) {
        Shape y = n.output(0).shape();
        long pixels = y.numel() / y.dim(1);
        int[] wd = n.input(1).shape().dims();
        long taps = 1;
        for (int i = 2; i < wd.length; i++) taps *= wd[i];
        long mid = wd[0];
        return pixels * mid * taps + pixels * y.dim(1) * mid;
    }
}
