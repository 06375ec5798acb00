package dev.kiln.frontend.onnx;

import dev.kiln.ops.Ops;

/** ONNX mappings of the resize and quantization ops: one method per ONNX op, named like it. */
public final class QuantMappings {
    private QuantMappings() {}
}
