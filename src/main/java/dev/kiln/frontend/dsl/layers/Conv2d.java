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
 * {@code conv2d(x, filters, kernel, stride=1, pad=valid, dilation=1, groups=1, bias=true)}: a 2-D convolution
 * of x [N, C, H, W] with parameters {@code weight} [filters, C/groups, kh, kw] and {@code bias} [filters].
 */
public final class Conv2d implements Layer {
    @Override
    public String name() { return "conv2d"; }

    @Override
    public List<LayerParam> params() {
        return List.of(LayerParam.required("x", TENSOR), LayerParam.required("filters", INT), LayerParam.required("kernel", INT_PAIR),
                LayerParam.optional("stride", INT_PAIR, 1L), LayerParam.optional("pad", PAD, "valid"),
                LayerParam.optional("dilation", INT_PAIR, 1L), LayerParam.optional("groups", INT, 1L),
                LayerParam.optional("bias", BOOL, true));
    }

    @Override
    public Value build(LayerContext cx) {
        Value x = cx.tensor("x");
        Shape s = Window.spatialInput(cx, name(), x);
        long filters = cx.integer("filters");
        long groups = cx.integer("groups");
        int c = s.dim(1);
        if (filters < 1) throw cx.error("filters must be positive, got " + filters);
        if (groups < 1 || c % groups != 0 || filters % groups != 0)
            throw cx.error("groups=" + groups + " must divide both the input channels (" + c + ") and filters (" + filters + ")");
        int[] k = cx.pair("kernel");
        int[] stride = cx.pair("stride");
        int[] dil = cx.pair("dilation");
        long[] pads = cx.padding("pad").pads(new int[] {s.dim(2), s.dim(3)}, k, stride, dil);
        long perGroup = c / groups;
        Value w = cx.parameter("weight", new TensorType(LayerContext.parameterType(x), Shape.of(filters, perGroup, k[0], k[1])),
                ParamInit.WEIGHT, perGroup * k[0] * k[1]);
        List<Value> ins = new ArrayList<>(List.of(x, w));
        if (cx.flag("bias")) ins.add(cx.parameter("bias", new TensorType(LayerContext.parameterType(x), Shape.of(filters)), ParamInit.ZEROS, 0));
        return cx.node(Ops.CONV, ins, Attrs.of("kernel_shape", k, "strides", stride, "dilations", dil, "pads", pads, "group", groups));
    }
}
