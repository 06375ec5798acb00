package dev.kiln.frontend.dsl.layers;

import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.INT_PAIR;
import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.PAD;
import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.TENSOR;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;

/** {@code max_pool2d(x, size, stride=size, pad=valid)}: 2-D max pooling (max_pool). */
public final class MaxPool2d implements Layer {
    @Override
    public String name() { return "max_pool2d"; }

    @Override
    public List<LayerParam> params() {
        return List.of(LayerParam.required("x", TENSOR), LayerParam.required("size", INT_PAIR),
                LayerParam.defaultsTo("stride", INT_PAIR, "size"), LayerParam.optional("pad", PAD, "valid"));
    }

    @Override
    public Value build(LayerContext cx) { return Window.pool(cx, name(), Ops.MAX_POOL, Attrs.EMPTY); }
}
