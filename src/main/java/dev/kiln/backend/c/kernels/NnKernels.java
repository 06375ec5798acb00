package dev.kiln.backend.c.kernels;

/** C kernel lowerings of the nn ops: one public static method per op that needs one (see KernelLowerings). */
public final class NnKernels {
    private NnKernels() {}
}
