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
    public static final Conv CONV = register(new Conv());
    public static final ConvTranspose CONV_TRANSPOSE = register(new ConvTranspose());
    public static final ConvInteger CONV_INTEGER = register(new ConvInteger());
    public static final QLinearConv QLINEAR_CONV = register(new QLinearConv());
    public static final Gemm GEMM = register(new Gemm());
    public static final MatMul MATMUL = register(new MatMul());
    public static final MaxPool MAX_POOL = register(new MaxPool());
    public static final AveragePool AVERAGE_POOL = register(new AveragePool());
    public static final GlobalAveragePool GLOBAL_AVERAGE_POOL = register(new GlobalAveragePool());
    public static final GlobalMaxPool GLOBAL_MAX_POOL = register(new GlobalMaxPool());
    public static final BatchNorm BATCH_NORM = register(new BatchNorm());
    public static final Lrn LRN = register(new Lrn());

    // --- shape, data movement, reductions, softmax ---

    // --- resize and quantization ---

    private Ops() {}

    /** The op named {@code name}, or null. */
    public static OpDef get(String name) { return BY_NAME.get(name); }

    /** Every op, in registration order. */
    public static Collection<OpDef> all() { return Collections.unmodifiableCollection(BY_NAME.values()); }
}
