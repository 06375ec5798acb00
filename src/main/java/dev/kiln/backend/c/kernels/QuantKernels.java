package dev.kiln.backend.c.kernels;

/** C kernel lowerings of the quant ops: one public static method per op that needs one (see KernelLowerings). */
public final class QuantKernels {
    private QuantKernels() {}
}
