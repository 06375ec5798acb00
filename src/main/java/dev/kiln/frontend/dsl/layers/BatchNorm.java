package dev.kiln.frontend.dsl.layers;

import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.FLOAT;
import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.TENSOR;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;

/**
 * {@code batch_norm(x, epsilon=1e-5)}: inference batch normalization over channel axis 1 with parameters
 * {@code scale}, {@code bias}, {@code mean}, {@code var} [C] (seeded: 1, 0, 0, 1).
 */
public final class BatchNorm implements Layer {
    @Override
    public String name() { return "batch_norm"; }

    @Override
    public List<LayerParam> params() {
        return List.of(LayerParam.required("x", TENSOR), LayerParam.optional("epsilon", FLOAT, 1e-5));
    }

    @Override
    public Value build(LayerContext cx) {
        Value x = cx.tensor("x");
        if (x.shape().rank() < 2) throw cx.error("needs an input with a channel axis [N, C, ...], got " + x.type());
        TensorType t = new TensorType(LayerContext.parameterType(x), Shape.of(x.shape().dim(1)));
        Value scale = cx.parameter("scale", t, ParamInit.ONES, 0);
        Value bias = cx.parameter("bias", t, ParamInit.ZEROS, 0);
        Value mean = cx.parameter("mean", t, ParamInit.ZEROS, 0);
        Value var = cx.parameter("var", t, ParamInit.ONES, 0);
        return cx.node(Ops.BATCH_NORM, List.of(x, scale, bias, mean, var), Attrs.of("epsilon", cx.number("epsilon")));
    }
}
