package dev.kiln.frontend.onnx;

import dev.kiln.ops.Ops;

/** ONNX mappings of the element-wise arithmetic, math, comparison and activation ops: one method per ONNX op, named like it. */
public final class ElementwiseMappings {
    private ElementwiseMappings() {}

    public static void Add(OnnxNode n) { n.emit(Ops.ADD); }

    public static void Relu(OnnxNode n) { n.emit(Ops.RELU); }
}
