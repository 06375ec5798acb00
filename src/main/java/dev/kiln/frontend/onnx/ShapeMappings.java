package dev.kiln.frontend.onnx;

import dev.kiln.ops.Ops;

/** ONNX mappings of the shape, data-movement, reduction and softmax ops: one method per ONNX op, named like it. */
public final class ShapeMappings {
    private ShapeMappings() {}
}
