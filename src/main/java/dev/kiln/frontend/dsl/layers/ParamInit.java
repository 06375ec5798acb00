package dev.kiln.frontend.dsl.layers;

/** How {@code weights seed(N)} fills a layer parameter. */
public enum ParamInit {
    /** Uniform in ±1/sqrt(fan-in). */
    WEIGHT,
    /** All zeros (biases, batch-norm bias and mean). */
    ZEROS,
    /** All ones (batch-norm scale and variance). */
    ONES
}
