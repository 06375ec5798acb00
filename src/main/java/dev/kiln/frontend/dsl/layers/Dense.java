package dev.kiln.frontend.dsl.layers;

import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.BOOL;
import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.INT;
import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.TENSOR;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code dense(x, units, bias=true)}: a fully connected layer {@code x @ weight + bias} over a 2-D x [N, in],
 * as gemm with parameters {@code weight} [in, units] and {@code bias} [units].
 */
public final class Dense implements Layer {
    @Override
    public String name() { return "dense"; }

    @Override
    public List<LayerParam> params() {
        return List.of(LayerParam.required("x", TENSOR), LayerParam.required("units", INT), LayerParam.optional("bias", BOOL, true));
    }

    @Override
    public Value build(LayerContext cx) {
        Value x = cx.tensor("x");
        if (x.shape().rank() != 2) throw cx.error("needs a 2-D input [N, features], got " + x.type() + " (flatten it first)");
        long units = cx.integer("units");
        if (units < 1) throw cx.error("units must be positive, got " + units);
        int in = x.shape().dim(1);
        Value w = cx.parameter("weight", new TensorType(LayerContext.parameterType(x), Shape.of(in, units)), ParamInit.WEIGHT, in);
        List<Value> ins = new ArrayList<>(List.of(x, w));
        if (cx.flag("bias")) ins.add(cx.parameter("bias", new TensorType(LayerContext.parameterType(x), Shape.of(units)), ParamInit.ZEROS, 0));
        return cx.node(Ops.GEMM, ins, Attrs.EMPTY);
    }
}
