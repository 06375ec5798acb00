package dev.kiln;

import dev.kiln.passes.Instruments;
import dev.kiln.passes.PassOptions;

/**
 * How a model is optimised between import and code generation: the optimisation level ({@code -O0} to
 * {@code -O3}), the passes' options, and the pipeline's instruments.
 */
public record CompileOptions(int level, PassOptions passes, Instruments instruments) {
    /** The default level, {@code -O3}. */
    public static final int DEFAULT_LEVEL = 3;

    public CompileOptions {
        if (passes == null) passes = new PassOptions();
        if (instruments == null) instruments = Instruments.none();
    }

    /** {@code -O3}, default pass options, no instruments. */
    public static CompileOptions defaults() { return level(DEFAULT_LEVEL); }

    /** Level {@code level}, default pass options, no instruments. */
    public static CompileOptions level(int level) { return new CompileOptions(level, null, null); }
}
