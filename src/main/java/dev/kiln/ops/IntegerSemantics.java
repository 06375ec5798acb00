package dev.kiln.ops;

/**
 * Kiln's one semantics for the integer cases ONNX leaves undefined, which the interpreter computes here and the
 * shared kernel bodies ({@code templates/kernels/elementwise.stg}) render for C and OpenCL alike:
 * <ul>
 *   <li>integer {@code a / 0} is 0 (no trap, no undefined behaviour); {@code MIN / -1} wraps to {@code MIN};
 *       {@link #rem} ({@code a mod 0}) is {@code a}, so that {@code a == (a / b) * b + a mod b} holds for every b,
 *       and so is {@link #floorRem} (Mod with {@code fmod} = 0);</li>
 *   <li>integer add, sub, mul, sum, neg and abs wrap modulo 2^bits (two's complement);</li>
 *   <li>a float stored into an integer (Cast, or an integer pow with a float exponent) is truncated toward zero,
 *       saturated to the int64 range (NaN becoming 0, as Java's {@code (long)} cast does) and then wrapped modulo
 *       2^bits into the type, as {@link dev.kiln.ir.NdArray#setDouble} stores it (so +inf into int32 is -1);</li>
 *   <li>integer 0 raised to a negative power is 0;</li>
 *   <li>a run-time index (gathers, scatters, one-hot, sequence lengths) counts from the end when negative; one still
 *       outside its axis is an error in the interpreter, while the generated kernels (templates/kernels/index.stg)
 *       read 0 for it and write nothing (a one-hot row stays all off, a sequence length is clamped into 0..steps),
 *       so no generated code reads or writes out of bounds.</li>
 * </ul>
 */
public final class IntegerSemantics {
    private IntegerSemantics() {}

    /** {@code a / b} truncated toward zero; 0 when b is 0; wrapping (the caller wraps to the element type). */
    public static long div(long a, long b) {
        if (b == 0) return 0; // why: integer division by zero is 0 on every backend
        if (b == -1) return -a; // why: MIN / -1 wraps (Java's long division would too, but this says it)
        return a / b;
    }

    /** {@code a mod b} with the sign of a (C's %); a when b is 0, the partner of {@link #div}. */
    public static long rem(long a, long b) {
        if (b == 0 || b == -1) return b == 0 ? a : 0;
        return a % b;
    }

    /** {@code a mod b} with the sign of b (Python's %, Mod with fmod = 0); a when b is 0, like {@link #rem}. */
    public static long floorRem(long a, long b) {
        if (b == 0) return a; // why: the same remainder by zero as rem, on every backend
        return Math.floorMod(a, b);
    }
}
