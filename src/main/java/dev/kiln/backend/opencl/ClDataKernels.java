package dev.kiln.backend.opencl;

/** OpenCL work sizes of the data-movement, reduction and softmax kernels (see {@link ClLowerings}). */
public final class ClDataKernels {
    private ClDataKernels() {}
}
