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
    public static final Flatten FLATTEN = register(new Flatten());
    public static final Reshape RESHAPE = register(new Reshape());
    public static final Transpose TRANSPOSE = register(new Transpose());
    public static final Concat CONCAT = register(new Concat());
    public static final Split SPLIT = register(new Split());
    public static final Slice SLICE = register(new Slice());
    public static final Pad PAD = register(new Pad());
    public static final Squeeze SQUEEZE = register(new Squeeze());
    public static final Unsqueeze UNSQUEEZE = register(new Unsqueeze());
    public static final Expand EXPAND = register(new Expand());
    public static final Tile TILE = register(new Tile());
    public static final Gather GATHER = register(new Gather());
    public static final ReduceMean REDUCE_MEAN = register(new ReduceMean());
    public static final ReduceMax REDUCE_MAX = register(new ReduceMax());
    public static final ReduceSum REDUCE_SUM = register(new ReduceSum());
    public static final Softmax SOFTMAX = register(new Softmax());
    public static final LogSoftmax LOG_SOFTMAX = register(new LogSoftmax());

    // --- resize and quantization ---

    private Ops() {}

    /** The op named {@code name}, or null. */
    public static OpDef get(String name) { return BY_NAME.get(name); }

    /** Every op, in registration order. */
    public static Collection<OpDef> all() { return Collections.unmodifiableCollection(BY_NAME.values()); }
}
