package dev.kiln.frontend.dsl.layers;

import dev.kiln.ir.Value;
import java.util.List;

/**
 * A high-level layer of the DSL's layer library (conv2d, dense, ...): a call that creates its own
 * parameters and lowers to registry ops. One class per layer, listed in {@link Layers}.
 */
public interface Layer {
    /** The name the DSL calls it by. */
    String name();

    /** Its parameters in positional order, the input tensor first. */
    List<LayerParam> params();

    /** Builds the layer's nodes and parameters; returns its output. */
    Value build(LayerContext cx);
}
