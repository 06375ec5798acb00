package dev.kiln.kernels;

/**
 * An output epilogue computed on whole GCC vectors (templates/c/ops/direct.stg, {@code vec_clamp}): the fused
 * activation as clamps to {@link #lo} and {@link #hi} with compare-and-select, so that bias, residual and activation
 * are applied to the accumulator registers and the results stored without a scalar loop through {@code tmp}.
 * None, relu and clip are clamps, hard_swish and hard_sigmoid a multiply-add and a clamp to [0, 1]; the results are
 * those of the scalar template, NaN included (a NaN fails both compares and passes, as it does through
 * {@code v < lo ? lo : v}).
 */
public final class VectorClamp {
    /** The lower and upper bounds as C float literals, null where that side is open. */
    public final String lo, hi;
    /** Whether either bound is there (the template then declares the mask vector type {@code vi}). */
    public final boolean clamps;
    /** Bytes per vector (the mask vector type's size). */
    public final int vectorBytes;
    /**
     * hard_swish / hard_sigmoid: {@code t = v * hardMul + hardAdd} (hard_sigmoid: {@code hardMul * v + hardAdd}, the
     * scalar templates' operand orders) clamped to [0, 1] by compare and select in the scalar form's order, then
     * {@code v * t} where {@link #hardTimes} (hard_swish), else {@code t}.
     */
    public final boolean hard, hardTimes;
    public final String hardMul, hardAdd;

    private VectorClamp(String lo, String hi, int vectorBytes) {
        this(lo, hi, vectorBytes, false, null, null);
    }

    private VectorClamp(String lo, String hi, int vectorBytes, boolean times, String mul, String add) {
        this.lo = lo;
        this.hi = hi;
        this.hard = mul != null;
        this.hardTimes = times;
        this.hardMul = mul;
        this.hardAdd = add;
        this.clamps = lo != null || hi != null || hard;
        this.vectorBytes = vectorBytes;
    }

    /**
     * The vector epilogue of activation {@code act} on vectors of {@code vectorBytes} bytes, or null where the
     * activation is not a clamp or there are no vectors (the scalar loop stays).
     */
    static VectorClamp of(Activation act, int vectorBytes) {
        // why: one-lane "vectors" are plain floats, on which the scalar loop is already the whole epilogue
        if (vectorBytes < 8) return null;
        if (!act.present) return new VectorClamp(null, null, vectorBytes);
        if ("scalar_relu".equals(act.template)) return new VectorClamp(act.zero, null, vectorBytes);
        if ("scalar_clip".equals(act.template)) return new VectorClamp(act.attr.get("min"), act.attr.get("max"), vectorBytes);
        // why: MobileNetV3's activations are a multiply-add and a clamp to [0, 1]: as exact on vectors as the clamps
        if ("scalar_hard_swish".equals(act.template)) return new VectorClamp(null, null, vectorBytes, true, act.sixth, act.half);
        if ("scalar_hard_sigmoid".equals(act.template) && act.attr.containsKey("alpha") && act.attr.containsKey("beta"))
            return new VectorClamp(null, null, vectorBytes, false, act.attr.get("alpha"), act.attr.get("beta"));
        return null;
    }

    /** Whether {@code c} is there and clamps (the kernel then declares the mask vector type {@code vmask}). */
    static boolean masks(VectorClamp c) { return c != null && c.clamps; }
}
