package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Integer convolution: {@code Y = conv(X - x_zero_point, W - w_zero_point)} in exact int32 arithmetic, with
 * X [N, C, in...] and W [M, C / group, k...] int8 or uint8, an optional scalar x_zero_point, and an optional
 * w_zero_point that is a scalar or one value per output channel. Padding reads x_zero_point (contributes zero).
 * Same geometry attributes as {@link Conv}.
 */
public final class ConvInteger extends OpDef {
    public ConvInteger() {
        super("conv_integer", ConvGeometry.windowAttrs(Signature.builder().input("X", "W").optionalInput("x_zero_point", "w_zero_point").output("Y"))
                .attr("group", dev.kiln.ir.AttrType.INT, 1L).build(), Trait.MAC, Trait.INTEGER);
    }

    @Override
    public String summary() { return "int8/uint8 convolution with zero points, exact int32 result"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, DType.I8, DType.U8);
        cx.checkDType(1, DType.I8, DType.U8);
        ConvGeometry g;
        try {
            g = ConvGeometry.forConv(cx.attrs(), cx.shape(0), cx.shape(1));
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        int m = cx.shape(1).dim(0);
        if (cx.has(2)) cx.checkSameDType(0, 2);
        if (cx.has(3)) cx.checkSameDType(1, 3);
        ConvKernel.checkQuantParam(cx, 2, "x_zero_point", m, false);
        ConvKernel.checkQuantParam(cx, 3, "w_zero_point", m, true);
        return List.of(new TensorType(DType.I32, g.outputShape(cx.shape(0).dim(0), m)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), w = cx.input(1);
        ConvGeometry g = ConvGeometry.forConv(cx.attrs(), x.shape(), w.shape());
        int m = w.shape().dim(0);
        int[] xi = ConvKernel.minusZeroPoint(x, cx.has(2) ? cx.input(2).getLong(0) : 0);
        int[] wi = ConvKernel.weightsMinusZeroPoints(w, ConvKernel.perChannel(cx.input(3), m));
        NdArray y = cx.newOutput(0);
        int[] acc = new int[y.size()];
        new ConvKernel(g, x.shape().dim(1), m, (int) cx.attrs().getInt("group")).run(xi, wi, null, acc, x.shape().dim(0));
        long[] out = y.longs();
        for (int i = 0; i < acc.length; i++) out[i] = acc[i];
        return List.of(y);
    }

    @Override
    public long macs(dev.kiln.ir.Node n) { return filterMacs(n.output(0), n.input(1)); }
}
