package dev.kiln.frontend.dsl.layers;

import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.INT_PAIR;
import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.PAD;
import static dev.kiln.frontend.dsl.layers.LayerParam.Kind.TENSOR;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;

/** {@code avg_pool2d(x, size, stride=size, pad=valid)}: 2-D average pooling that ignores padding (average_pool, count_include_pad=0). */
public final class AvgPool2d implements Layer {
    @Override
    public String name() { return "avg_pool2d"; }

    @Override
    public List<LayerParam> params() {
        return List.of(LayerParam.required("x", TENSOR), LayerParam.required("size", INT_PAIR),
                LayerParam.defaultsTo("stride", INT_PAIR, "size"), LayerParam.optional("pad", PAD, "valid"));
    }

    @Override
    public Value build(LayerContext cx) { return Window.pool(cx, name(), Ops.AVERAGE_POOL, Attrs.of("count_include_pad", 0L)); }
}
