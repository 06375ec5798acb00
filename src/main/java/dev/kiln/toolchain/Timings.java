package dev.kiln.toolchain;

import java.util.Arrays;

/**
 * Per-inference times of a benchmark chunk in milliseconds: wall-clock and the CPU time of the thread that ran
 * the inference. On a shared machine the CPU time is the steadier measure: wall time also counts the moments the
 * scheduler gave the core to someone else, which hits long inferences more than short ones.
 */
public record Timings(double[] wallMs, double[] cpuMs) {
    /** Empty timings of {@code n} inferences, to fill. */
    public static Timings of(int n) { return new Timings(new double[n], new double[n]); }

    /** Number of inferences. */
    public int size() { return wallMs.length; }

    /** These timings followed by {@code o}'s. */
    public Timings append(Timings o) {
        double[] w = Arrays.copyOf(wallMs, size() + o.size()), c = Arrays.copyOf(cpuMs, size() + o.size());
        System.arraycopy(o.wallMs, 0, w, size(), o.size());
        System.arraycopy(o.cpuMs, 0, c, size(), o.size());
        return new Timings(w, c);
    }

    /** The median of {@code xs} (the upper one of an even count). */
    public static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
