package dev.kiln.frontend.dsl.layers;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import java.util.List;

/**
 * What a layer sees while it builds: its arguments (already checked and converted by kind), its name, and
 * ways to create parameters and nodes. Arguments are looked up by parameter name.
 */
public interface LayerContext {
    /** The layer's final name ({@code conv1}, {@code h_2/dw}); parameters are {@code NAME.PARAM}. */
    String layerName();

    /** A TENSOR argument. */
    Value tensor(String param);

    /** An INT argument. */
    long integer(String param);

    /** An INT_PAIR argument as {@code [h, w]}. */
    int[] pair(String param);

    /** A FLOAT argument. */
    double number(String param);

    /** A BOOL argument. */
    boolean flag(String param);

    /** A PAD argument. */
    Padding padding(String param);

    /**
     * The layer parameter {@code NAME.suffix} of type {@code type}: read from the model's weights, or drawn
     * by {@code init} (with {@code fanIn} for WEIGHT) under {@code weights seed(N)}. Becomes a constant.
     */
    Value parameter(String suffix, TensorType type, ParamInit init, long fanIn);

    /** Adds the layer's node (named after the layer) and returns its first output. */
    Value node(OpDef op, List<Value> inputs, Attrs attrs);

    /** An error at the layer's call, with {@code message}; throw it. */
    RuntimeException error(String message);

    /** The element type parameters of a layer over {@code x} get: x's float type, or f32. */
    static DType parameterType(Value x) { return x.dtype().isFloat() ? x.dtype() : DType.F32; }
}
