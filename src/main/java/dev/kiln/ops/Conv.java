package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * N-d grouped convolution: {@code Y[n, m] = B[m] + sum over the group's channels c of X[n, c] (*) W[m, c]}, with
 * X [N, C, in...], W [M, C / group, k...], optional bias B [M], and Y [N, M, out...]. Depthwise convolution is
 * the case group = C.
 *
 * <p>Attributes: {@code kernel_shape} (optional, must equal W's spatial dims), {@code strides}, {@code dilations},
 * {@code pads} (explicit, begins then ends; see {@link ConvGeometry} for defaults — there is no auto_pad), and
 * {@code group}. Float inputs only; the sum is accumulated in double and rounded to the output type.
 *
 * <p>Fusions: an optional fourth input {@code Z} of Y's shape (a residual) is added to the rounded result, and a
 * {@link FusedActivation} is applied last: {@code Y = act(round(conv(X, W) + B) + Z)}, each step rounded to the
 * output type as the separate add and activation nodes would.
 */
public final class Conv extends OpDef implements ChannelAffine {
    public Conv() {
        super("conv", FusedActivation.addAttrs(ConvGeometry.windowAttrs(Signature.builder().input("X", "W").optionalInput("B", "Z").output("Y"))
                .attr("group", AttrType.INT, 1L)).build(), Trait.MAC, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "N-d grouped convolution with bias, strides, dilations and explicit pads"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        cx.checkSameDType(0, 1);
        ConvGeometry g;
        try {
            g = ConvGeometry.forConv(cx.attrs(), cx.shape(0), cx.shape(1));
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        int m = cx.shape(1).dim(0);
        if (cx.has(2)) {
            cx.checkSameDType(0, 2);
            cx.check(cx.shape(2).equals(Shape.of(m)), "bias B must have shape [%d] (one value per output channel), got %s", m, cx.shape(2));
        }
        Shape y = g.outputShape(cx.shape(0).dim(0), m);
        if (cx.has(3)) {
            cx.checkSameDType(0, 3);
            cx.check(cx.shape(3).equals(y), "residual Z must have the output's shape %s, got %s", y, cx.shape(3));
        }
        FusedActivation.check(cx);
        return List.of(new TensorType(cx.dtype(0), y));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), w = cx.input(1), b = cx.input(2);
        ConvGeometry g = ConvGeometry.forConv(cx.attrs(), x.shape(), w.shape());
        int m = w.shape().dim(0);
        NdArray y = cx.newOutput(0);
        double[] acc = new double[y.size()];
        new ConvKernel(g, x.shape().dim(1), m, (int) cx.attrs().getInt("group"))
                .run(x.toDoubleArray(), w.toDoubleArray(), b == null ? null : b.toDoubleArray(), acc, x.shape().dim(0));
        for (int i = 0; i < acc.length; i++) y.setDouble(i, acc[i]);
        NdArray z = cx.input(3);
        if (z != null) for (int i = 0; i < acc.length; i++) y.setDouble(i, y.getDouble(i) + z.getDouble(i));
        return List.of(FusedActivation.apply(cx.attrs(), y));
    }

    @Override
    public long macs(dev.kiln.ir.Node n) { return filterMacs(n.output(0), n.input(1)); }

    @Override
    public int channelAxis(dev.kiln.ir.Node n) { return 1; }

    @Override
    public String cannotFold(dev.kiln.ir.Node n, boolean shift) {
        String why = ChannelAffine.noActivation(n);
        if (why == null && n.input(3) != null) why = "it adds a residual input Z after its bias";
        if (why == null) why = ChannelAffine.constantFloat(n, 1, "the weight");
        if (why == null) why = ChannelAffine.constantFloat(n, 2, "the bias");
        return why;
    }

    /** Scales W's output channel m (W [M, C / group, k...]) by scale[m]; the bias becomes {@code B * scale + shift}. */
    @Override
    public Folded fold(dev.kiln.ir.Node n, double[] scale, double[] shift) {
        NdArray w = n.input(1).constant();
        int m = w.shape().dim(0), per = w.size() / Math.max(m, 1);
        Object wIn = n.input(1), bIn = n.input(2);
        if (scale != null) {
            NdArray s = w.copy();
            for (int i = 0; i < s.size(); i++) s.setDouble(i, w.getDouble(i) * scale[i / per]);
            wIn = s;
        }
        if (shift != null || (scale != null && n.input(2) != null))
            bIn = ChannelAffine.affineBias(n.input(2) == null ? null : n.input(2).constant(), scale, shift, m, n.output(0).dtype());
        return new Folded(this, java.util.Arrays.asList(n.input(0), wIn, bIn), n.attrs());
    }
}
