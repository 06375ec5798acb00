package dev.kiln.passes;

/** User options of passes (set from the command line or the Maven plugin). */
public final class PassOptions {
    /**
     * Largest relative output error {@code RewriteDepthwiseSeparable} may introduce per layer
     * ({@code --dws-tolerance}); negative (the default) turns the rewrite off, 0 allows only exact (full-rank)
     * rewrites.
     */
    public double dwsTolerance = -1.0;
    /** Seed for random inputs passes draw when they measure a rewrite's error. */
    public long seed = 1;
    /**
     * Int8 lowering with calibration ({@code --int8 --calibrate DATA}): measured on the graph just before
     * {@code LowerToInt8}; null (the default) leaves a float model float.
     */
    public dev.kiln.quant.Calibration int8;
    /**
     * Per-channel requantization multipliers in the compact 11-bit form (16 bits of flash per channel) rather than
     * Q31 ({@code --multipliers compact|q31}); null (the default) takes the target's {@code int8.multipliers}.
     */
    public Boolean compactMultipliers;
    /**
     * Whether the int8 lowering stores the conv and gemm/matmul weights it quantizes as int4 ({@code --weights int4}):
     * symmetric per channel in [-7, 7], packed two to a byte in the C backend's flash, used as int8 values.
     */
    public Boolean int4Weights;

    /**
     * Sets {@link #int4Weights} from the weight form {@code form} ({@code int8} or {@code int4}; null leaves it
     * unset); {@code option} names the setting in the usage error for any other form.
     */
    public void weights(String form, String option) {
        if (form == null) return;
        if (!form.equals("int8") && !form.equals("int4"))
            throw new dev.kiln.diag.KilnException(dev.kiln.diag.Code.USAGE, dev.kiln.diag.Location.NONE, option + " " + form + ": use int8 or int4");
        int4Weights = form.equals("int4");
    }
}
