package dev.kiln.check;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Errors of a quantized model's outputs in output steps: one step is the scale of the output's quantization (an
 * int8 output, or the per-tensor dequantize_linear that makes the float output), the unit in which ONNX Runtime's
 * own int8 kernels and Kiln's are compared with the exact QDQ meaning.
 */
public final class OutputSteps {
    private OutputSteps() {}

    /** The size of one step of value {@code v}: its own per-tensor scale, or its dequantize_linear's; NaN when it has none. */
    public static double step(Value v) {
        if (v.type().quant() != null && !v.type().quant().perChannel() && !v.dtype().isFloat()) return v.type().quant().scale(0);
        Node p = v.producer();
        if (p == null || p.op() != Ops.DEQUANTIZE_LINEAR || p.numInputs() < 2 || p.input(1) == null || !p.input(1).isConstant()) return Double.NaN;
        NdArray s = p.input(1).constant();
        return s.size() == 1 ? s.getDouble(0) : Double.NaN;
    }

    /** The largest {@code |actual - expected| / step} over all elements (NaN anywhere counts as infinitely many steps). */
    public static double max(NdArray expected, NdArray actual, double step) {
        double m = 0;
        for (int i = 0; i < expected.size(); i++) {
            double d = Math.abs(actual.getDouble(i) - expected.getDouble(i)) / step;
            m = Math.max(m, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
        }
        return m;
    }

    /** The flat index of the element {@code max} steps away (the first such), for messages. */
    public static int worst(NdArray expected, NdArray actual, double step) {
        int w = 0;
        double m = -1;
        for (int i = 0; i < expected.size(); i++) {
            double d = Math.abs(actual.getDouble(i) - expected.getDouble(i)) / step;
            if (Double.isNaN(d)) return i;
            if (d > m) {
                m = d;
                w = i;
            }
        }
        return w;
    }

    /**
     * Whether {@code actual}'s top {@code k} (per row) is a top k of {@code expected}: the expected values at
     * actual's top-k indices, sorted, equal expected's own k largest (so a swap between tied expected values, common
     * on a coarse int8 grid, still agrees).
     */
    public static boolean sameTop(NdArray expected, NdArray actual, int k) {
        int row = expected.shape().rank() == 0 ? 1 : expected.shape().dim(-1);
        List<Integer> te = top(expected, k), ta = top(actual, k);
        int per = Math.min(k, row);
        for (int r = 0; r * per < te.size(); r++) {
            double[] want = new double[per], got = new double[per];
            for (int i = 0; i < per; i++) {
                want[i] = expected.getDouble(r * row + te.get(r * per + i));
                got[i] = expected.getDouble(r * row + ta.get(r * per + i));
            }
            Arrays.sort(want);
            Arrays.sort(got);
            if (!Arrays.equals(want, got)) return false;
        }
        return true;
    }

    /** The indices of the {@code k} largest values of the last axis's rows, row by row (ties: the lower index first). */
    public static List<Integer> top(NdArray a, int k) {
        int row = a.shape().rank() == 0 ? 1 : a.shape().dim(-1);
        List<Integer> r = new ArrayList<>();
        for (int from = 0; from < a.size(); from += row) {
            Integer[] idx = new Integer[row];
            for (int i = 0; i < row; i++) idx[i] = i;
            final int base = from;
            Arrays.sort(idx, Comparator.comparingDouble((Integer i) -> -a.getDouble(base + i)).thenComparingInt(i -> i));
            for (int i = 0; i < Math.min(k, row); i++) r.add(idx[i]);
        }
        return r;
    }
}
