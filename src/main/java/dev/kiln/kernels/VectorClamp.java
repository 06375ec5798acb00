package dev.kiln.kernels;

/**
 * An output epilogue computed on whole GCC vectors (templates/c/ops/direct.stg, {@code vec_clamp}): the fused
 * activation as clamps to {@link #lo} and {@link #hi} with compare-and-select, so that bias, residual and activation
 * are applied to the accumulator registers and the results stored without a scalar loop through {@code tmp}.
 * Only none, relu and clip are clamps; the results are those of the scalar template, NaN included (a NaN fails both
 * compares and passes, as it does through {@code v < lo ? lo : v}).
 */
public final class VectorClamp {
    /** The lower and upper bounds as C float literals, null where that side is open. */
    public final String lo, hi;
    /** Whether either bound is there (the template then declares the mask vector type {@code vi}). */
    public final boolean clamps;
    /** Bytes per vector (the mask vector type's size). */
    public final int vectorBytes;

    private VectorClamp(String lo, String hi, int vectorBytes) {
        this.lo = lo;
        this.hi = hi;
        this.clamps = lo != null || hi != null;
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
        return null;
    }

    /** Whether {@code c} is there and clamps (the kernel then declares the mask vector type {@code vmask}). */
    static boolean masks(VectorClamp c) { return c != null && c.clamps; }
}
