package dev.kiln.backend.c.kernels;

/** C kernel lowerings of the data ops: one public static method per op that needs one (see KernelLowerings). */
public final class DataKernels {
    private DataKernels() {}
}
