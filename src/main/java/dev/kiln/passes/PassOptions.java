package dev.kiln.passes;

/** User options of passes (set from the command line or the Maven plugin). */
public final class PassOptions {
    /**
     * Largest relative output error {@code RewriteDepthwiseSeparable} may introduce per layer; 0 means only
     * exact (full-rank) rewrites.
     */
    public double dwsTolerance = 0.0;
    /** Seed for random inputs passes draw when they measure a rewrite's error. */
    public long seed = 1;
}
