package dev.kiln.backend.opencl;

/** OpenCL work sizes and models of the convolution, pooling and matrix-product kernels (see {@link ClLowerings}). */
public final class ClNnKernels {
    private ClNnKernels() {}
}
