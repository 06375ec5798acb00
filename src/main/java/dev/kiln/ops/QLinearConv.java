package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Quantized convolution in ONNX's QLinearConv form: inputs x, x_scale, x_zero_point, w, w_scale, w_zero_point,
 * y_scale, y_zero_point and an optional int32 bias B [M] (scale x_scale * w_scale, zero point 0). The int32 sum
 * {@code acc = B[m] + conv(x - x_zero_point, w - w_zero_point)} is exact (wrapping like int32); the output is
 * {@code saturate(round_half_even(acc * s[m]) + y_zero_point)} where the multiplier
 * {@code s[m] = x_scale * w_scale[m] / y_scale} and the product {@code acc * s[m]} are computed in float32, as ONNX Runtime does ({@link Quantization#requantize},
 * shared with qlinear_matmul). w_scale and
 * w_zero_point may be per output channel. x and w are int8 or uint8; y has y_zero_point's type. Same geometry
 * attributes as {@link Conv}.
 */
public final class QLinearConv extends OpDef {
    public QLinearConv() {
        super("qlinear_conv", ConvGeometry.windowAttrs(Signature.builder()
                        .input("x", "x_scale", "x_zero_point", "w", "w_scale", "w_zero_point", "y_scale", "y_zero_point")
                        .optionalInput("B").output("y"))
                .attr("group", dev.kiln.ir.AttrType.INT, 1L).build(), Trait.MAC, Trait.INTEGER);
    }

    @Override
    public String summary() { return "quantized convolution: int32 accumulation, float requantization, round half to even, saturation"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, DType.I8, DType.U8);
        cx.checkDType(3, DType.I8, DType.U8);
        cx.checkDType(7, DType.I8, DType.U8);
        cx.checkSameDType(0, 2);
        cx.checkSameDType(3, 5);
        for (int i : new int[] {1, 4, 6}) cx.checkFloat(i);
        ConvGeometry g;
        try {
            g = ConvGeometry.forConv(cx.attrs(), cx.shape(0), cx.shape(3));
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        int m = cx.shape(3).dim(0);
        ConvKernel.checkQuantParam(cx, 1, "x_scale", m, false);
        ConvKernel.checkQuantParam(cx, 2, "x_zero_point", m, false);
        ConvKernel.checkQuantParam(cx, 4, "w_scale", m, true);
        ConvKernel.checkQuantParam(cx, 5, "w_zero_point", m, true);
        ConvKernel.checkQuantParam(cx, 6, "y_scale", m, false);
        ConvKernel.checkQuantParam(cx, 7, "y_zero_point", m, false);
        if (cx.has(8)) {
            cx.checkDType(8, DType.I32);
            cx.check(cx.shape(8).equals(Shape.of(m)), "bias B must have shape [%d] (one value per output channel), got %s", m, cx.shape(8));
        }
        return List.of(new TensorType(cx.dtype(7), g.outputShape(cx.shape(0).dim(0), m)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), w = cx.input(3);
        ConvGeometry g = ConvGeometry.forConv(cx.attrs(), x.shape(), w.shape());
        int m = w.shape().dim(0);
        int[] xi = ConvKernel.minusZeroPoint(x, cx.input(2).getLong(0));
        int[] wi = ConvKernel.weightsMinusZeroPoints(w, ConvKernel.perChannel(cx.input(5), m));
        int[] bias = null;
        if (cx.has(8)) {
            long[] b = cx.input(8).longs();
            bias = new int[m];
            for (int i = 0; i < m; i++) bias[i] = (int) b[i];
        }
        NdArray y = cx.newOutput(0);
        int[] acc = new int[y.size()];
        int batch = x.shape().dim(0);
        new ConvKernel(g, x.shape().dim(1), m, (int) cx.attrs().getInt("group")).run(xi, wi, bias, acc, batch);

        float xScale = cx.input(1).getFloat(0), yScale = cx.input(6).getFloat(0);
        float[] wScale = ConvKernel.perChannelFloat(cx.input(4), m);
        float[] multiplier = new float[m];
        for (int i = 0; i < m; i++) multiplier[i] = (xScale * wScale[i]) / yScale;
        long zp = cx.input(7).getLong(0);
        DType t = y.dtype();
        long[] out = y.longs();
        int plane = g.outSize();
        for (int i = 0; i < acc.length; i++) out[i] = Quantization.requantize(acc[i], multiplier[(i / plane) % m], zp, t);
        return List.of(y);
    }

    @Override
    public long macs(dev.kiln.ir.Node n) { return filterMacs(n.output(0), n.input(3)); }
}
