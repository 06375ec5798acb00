package dev.kiln.check;

import dev.kiln.ir.NdArray;
import java.util.Arrays;

/**
 * Compares computed tensors with expected ones: exact for integers and bool, {@code |a-e| <= atol + rtol*|e|} for
 * floats; a bf16 value may also differ by one unit in the last place of bf16 (8 significant bits, coarser than
 * the usual rtol 1e-3), since the order in which a computation rounds to bf16 moves its result by that much. Any
 * float value may also differ by {@value #SCALE_ULPS} float32 units in the last place of the output's largest
 * magnitude: a float32 sum rounds at the scale of its largest terms, so an element much smaller than the rest of its
 * output (one that cancels) carries that error in any order of summation, ONNX Runtime's included.
 */
public final class Compare {
    private Compare() {}

    /** The float32 units in the last place of an output's largest magnitude that any of its elements may be off by. */
    public static final int SCALE_ULPS = 8;

    /** Null if {@code actual} matches {@code expected}, else a one-line reason naming the worst element. */
    public static String mismatch(NdArray expected, NdArray actual, double rtol, double atol) {
        if (expected.dtype() != actual.dtype()) return "type " + actual.dtype() + ", expected " + expected.dtype();
        if (!expected.shape().equals(actual.shape())) return "shape " + actual.shape() + ", expected " + expected.shape();
        int n = expected.size();
        boolean floating = expected.dtype().isFloat();
        int worst = -1, bad = 0;
        double worstExcess = 0, scale = 0;
        for (int i = 0; floating && i < n; i++) {
            double e = Math.abs(expected.getDouble(i));
            if (Double.isFinite(e)) scale = Math.max(scale, e);
        }
        double floor = SCALE_ULPS * Math.ulp((float) Math.min(scale, Float.MAX_VALUE));
        for (int i = 0; i < n; i++) {
            if (floating) {
                double e = expected.getDouble(i), a = actual.getDouble(i);
                if (Double.isNaN(e) && Double.isNaN(a)) continue;
                if (Double.isInfinite(e) && e == a) continue;
                double diff = Math.abs(a - e), tol = Math.max(atol + rtol * Math.abs(e), floor);
                // why: one bf16 ulp at e; a computation rounding to bf16 in another order lands one step away
                if (expected.dtype() == dev.kiln.ir.DType.BF16) tol = Math.max(tol, Math.scalb(1.0, Math.getExponent((float) e) - 7));
                if (!(diff <= tol)) {
                    bad++;
                    double excess = Double.isNaN(diff) ? Double.MAX_VALUE : diff - tol;
                    if (worst < 0 || excess > worstExcess) {
                        worst = i;
                        worstExcess = excess;
                    }
                }
            } else if (expected.getLong(i) != actual.getLong(i)) {
                bad++;
                double excess = Math.abs((double) expected.getLong(i) - actual.getLong(i));
                if (worst < 0 || excess > worstExcess) {
                    worst = i;
                    worstExcess = excess;
                }
            }
        }
        if (bad == 0) return null;
        String e = floating ? Double.toString(expected.getDouble(worst)) : Long.toString(expected.getLong(worst));
        String a = floating ? Double.toString(actual.getDouble(worst)) : Long.toString(actual.getLong(worst));
        return bad + " of " + n + " elements differ; worst at " + Arrays.toString(unravel(worst, expected.shape().dims()))
                + ": got " + a + ", expected " + e + (floating ? " (rtol " + rtol + ", atol " + atol + ", or " + SCALE_ULPS
                        + " float32 ulps of the output's largest magnitude " + (float) scale + ")" : "");
    }

    /** Largest absolute difference between two float tensors of equal shape. */
    public static double maxAbsDiff(NdArray a, NdArray b) {
        double m = 0;
        for (int i = 0; i < a.size(); i++) m = Math.max(m, Math.abs(a.getDouble(i) - b.getDouble(i)));
        return m;
    }

    static int[] unravel(int flat, int[] dims) {
        int[] idx = new int[dims.length];
        for (int d = dims.length - 1; d >= 0; d--) {
            if (dims[d] == 0) continue;
            idx[d] = flat % dims[d];
            flat /= dims[d];
        }
        return idx;
    }
}
