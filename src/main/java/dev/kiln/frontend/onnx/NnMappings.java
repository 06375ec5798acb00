package dev.kiln.frontend.onnx;

import dev.kiln.ops.Ops;

/** ONNX mappings of the convolution, pooling, normalization and matrix-product ops: one method per ONNX op, named like it. */
public final class NnMappings {
    private NnMappings() {}
}
