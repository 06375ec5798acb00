package dev.kiln.ops;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one list of Kiln's ops. Adding an op: write its class, add one line here, map it in the frontends,
 * and give each backend a template for it.
 */
public final class Ops {
    private static final Map<String, OpDef> BY_NAME = new LinkedHashMap<>();

    private static <T extends OpDef> T register(T op) {
        if (BY_NAME.put(op.name(), op) != null) throw new IllegalStateException("op registered twice: " + op.name());
        return op;
    }

    // --- element-wise arithmetic, math and activations ---
    public static final Add ADD = register(new Add());
    public static final Relu RELU = register(new Relu());

    // --- convolution, pooling, normalization, matrix products ---

    // --- shape, data movement, reductions, softmax ---

    // --- resize and quantization ---
    public static final Resize RESIZE = register(new Resize());
    public static final QuantizeLinear QUANTIZE_LINEAR = register(new QuantizeLinear());
    public static final DequantizeLinear DEQUANTIZE_LINEAR = register(new DequantizeLinear());
    public static final QLinearMatMul QLINEAR_MATMUL = register(new QLinearMatMul());
    public static final MatMulInteger MATMUL_INTEGER = register(new MatMulInteger());

    private Ops() {}

    /** The op named {@code name}, or null. */
    public static OpDef get(String name) { return BY_NAME.get(name); }

    /** Every op, in registration order. */
    public static Collection<OpDef> all() { return Collections.unmodifiableCollection(BY_NAME.values()); }
}
