package dev.kiln.report;

import dev.kiln.ops.OpDef;
import dev.kiln.ops.Trait;

/** The colour classes of the report's graph, derived from an op's traits and signature (never from its name). */
enum OpKind {
    /** Multiply-accumulate ops with weights: conv, gemm, matmul and their int8 forms. */
    MAC("MAC (conv, gemm, matmul)", "#f4a259", "#fbd9b5"),
    /** Activation functions. */
    ACTIVATION("activation", "#8cc084", "#cfe8cb"),
    /** Windowed pooling and reductions over axes. */
    POOL("pooling / reduction", "#5b8def", "#c3d5fa"),
    /** Element-wise arithmetic (add, mul, fused chains, requantize). */
    ELEMENTWISE("element-wise", "#e5c84a", "#f6ecb8"),
    /** Ops that only move or select data (reshape, concat, transpose). */
    DATA("data movement", "#a7a7b5", "#dedee6"),
    /** Quantize / dequantize boundaries. */
    QUANT("quantize / dequantize", "#d96c8a", "#f3c6d2"),
    /** Everything else (softmax, resize, ...). */
    OTHER("other", "#9c7ad6", "#ddd0f3");

    /** The legend's words. */
    final String label;
    /** Border and accent colour. */
    final String stroke;
    /** Fill colour. */
    final String fill;

    OpKind(String label, String stroke, String fill) {
        this.label = label;
        this.stroke = stroke;
        this.fill = fill;
    }

    /** The kind of {@code op}: the first of quant boundary, MAC, activation, pooling, data movement, element-wise. */
    static OpKind of(OpDef op) {
        if (op.has(Trait.QUANT_BOUNDARY)) return QUANT;
        if (op.has(Trait.MAC)) return MAC;
        if (op.has(Trait.ACTIVATION)) return ACTIVATION;
        // why: pools have no trait of their own; a sliding window without weights is what makes one
        if (op.has(Trait.REDUCTION) || op.signature().attrs().containsKey("kernel_shape")
                || op.signature().attrs().containsKey("global")) return POOL;
        if (op.has(Trait.DATA_MOVEMENT) || op.has(Trait.ALIAS)) return DATA;
        if (op.has(Trait.ELEMENTWISE)) return ELEMENTWISE;
        return OTHER;
    }

    /** Whether {@code op} computes on int8 data (drawn with a badge). */
    static boolean integer(OpDef op) { return op.has(Trait.INTEGER) && !op.has(Trait.QUANT_BOUNDARY); }
}
