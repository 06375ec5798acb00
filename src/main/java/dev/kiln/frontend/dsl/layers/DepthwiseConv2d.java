package dev.kiln.frontend.dsl.layers;

import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.BOOL;
import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.INT;
import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.INT_PAIR;
import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.PAD;
import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.TENSOR;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code depthwise_conv2d(x, kernel, stride=1, pad=valid, dilation=1, multiplier=1, bias=true)}: a convolution
 * with group = C over x [N, C, H, W]; parameters {@code weight} [C*multiplier, 1, kh, kw] and {@code bias}.
 */
public final class DepthwiseConv2d implements Layer {
    @Override
    public String name() { return "depthwise_conv2d"; }

    @Override
    public List<LayerParam> params() {
        return List.of(LayerParam.required("x", TENSOR), LayerParam.required("kernel", INT_PAIR),
                LayerParam.optional("stride", INT_PAIR, 1L), LayerParam.optional("pad", PAD, "valid"),
                LayerParam.optional("dilation", INT_PAIR, 1L), LayerParam.optional("multiplier", INT, 1L),
                LayerParam.optional("bias", BOOL, true));
    }

    @Override
    public Value build(LayerContext cx) {
        Value x = cx.tensor("x");
        Shape s = Window.spatialInput(cx, name(), x);
        long mult = cx.integer("multiplier");
        if (mult < 1) throw cx.error("multiplier must be positive, got " + mult);
        int c = s.dim(1);
        int[] k = cx.pair("kernel");
        int[] stride = cx.pair("stride");
        int[] dil = cx.pair("dilation");
        long[] pads = cx.padding("pad").pads(new int[] {s.dim(2), s.dim(3)}, k, stride, dil);
        long out = c * mult;
        Value w = cx.parameter("weight", new TensorType(LayerContext.parameterType(x), Shape.of(out, 1, k[0], k[1])), ParamInit.WEIGHT, (long) k[0] * k[1]);
        List<Value> ins = new ArrayList<>(List.of(x, w));
        if (cx.flag("bias")) ins.add(cx.parameter("bias", new TensorType(LayerContext.parameterType(x), Shape.of(out)), ParamInit.ZEROS, 0));
        return cx.node(Ops.CONV, ins, Attrs.of("kernel_shape", k, "strides", stride, "dilations", dil, "pads", pads, "group", (long) c));
    }
}
