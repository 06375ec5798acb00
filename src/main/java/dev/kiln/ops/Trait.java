package dev.kiln.ops;

/** Properties of an op that passes and backends ask for instead of testing op names. */
public enum Trait {
    /** Output element i depends only on input elements i (after broadcasting). */
    ELEMENTWISE,
    /** A unary element-wise function usually applied after a conv or matmul (Relu, Sigmoid...). */
    ACTIVATION,
    /** Has an integer (int8) lowering. */
    QUANTIZABLE,
    /** Binary op whose two inputs may be swapped. */
    COMMUTATIVE,
    /** Output 0 has the same data as input 0 in the same order, only another shape (Reshape, Flatten...). */
    ALIAS,
    /** Moves or selects data without arithmetic (Transpose, Slice, Concat...). */
    DATA_MOVEMENT,
    /** Reduces over axes. */
    REDUCTION,
    /** Has weights as constant inputs and does multiply-accumulate work (Conv, Gemm, MatMul). */
    MAC,
    /** Converts between float and quantized integers (QuantizeLinear, DequantizeLinear); kept unfolded at import. */
    QUANT_BOUNDARY,
    /** Works on integer/quantized tensors. */
    INTEGER,
    /** Reads a sub-byte constant input packed, its kernel unpacking the elements (a float op over int4 weights). */
    PACKED_INPUTS
}
