package dev.kiln.ops;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;

/**
 * Softmax, LogSoftmax and Attention on f16 and bf16 round to that type after each of their steps, as ONNX's
 * reference computes them (numpy on f16 / ml_dtypes' bf16 arrays, whose every array operation rounds): the
 * difference from the row maximum, each exponential, the sum, the quotient (and Attention's scaled Q and K, its
 * scores, its scores plus bias, its probabilities). Each step is computed in f32 and rounded; the sum of a row runs
 * in f32 for f16 (numpy's half-precision reductions accumulate in float) and rounds after every addition for bf16
 * (ml_dtypes' additions do), then rounds once more. ONNX's conformance data for these types is recorded this way,
 * and one rounding at the end instead misses it by one or two steps of the type in a few elements.
 * <p>
 * The interpreter reads the type from the op's f16/bf16 input; the C and OpenCL backends compute these ops in f32
 * ({@code ComputeInWideTypes}), which records the storage type in the internal attribute {@link #ATTR} so the f32
 * node still rounds where the interpreter does.
 */
public final class RoundingSteps {
    /** The internal attribute naming the type whose steps a widened node rounds to ({@code "f16"}, {@code "bf16"}; empty: none). */
    public static final String ATTR = "round_to";

    private RoundingSteps() {}

    /** Whether ops that take {@link #ATTR} round their steps to {@code t}. */
    public static boolean rounds(DType t) { return t == DType.F16 || t == DType.BF16; }

    /** The type whose steps a node with {@code attrs} and input type {@code input} rounds to, or null for none. */
    public static DType of(Attrs attrs, DType input) {
        if (rounds(input)) return input;
        String s = attrs.getString(ATTR, "");
        return s.isEmpty() ? null : DType.fromShortName(s);
    }

    /** {@code v} computed in f32 and rounded to {@code t}. */
    public static double round(DType t, double v) { return NdArray.roundTo(t, (float) v); }

    /** One addition of a row's sum: rounded to bf16 after each addition, kept in f32 for f16. */
    public static double add(DType t, double sum, double v) {
        float s = (float) ((float) sum + (float) v);
        return t == DType.BF16 ? NdArray.roundTo(t, s) : s;
    }
}
