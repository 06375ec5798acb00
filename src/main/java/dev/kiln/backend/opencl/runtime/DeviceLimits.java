package dev.kiln.backend.opencl.runtime;

/**
 * The limits of an OpenCL device that decide which local sizes and how much local memory a kernel may use.
 *
 * @param maxWorkGroupSize largest number of work-items in one work-group
 * @param maxWorkItemSizes largest work-group extent per dimension (at least three entries)
 * @param localMemSize     bytes of local memory per work-group
 * @param gpu              whether the device is a GPU (tiling with local memory pays there)
 */
public record DeviceLimits(long maxWorkGroupSize, long[] maxWorkItemSizes, long localMemSize, boolean gpu) {
    /** Whether a work-group of {@code local} extents (1 to 3 dimensions) fits these limits. */
    public boolean fits(long[] local) {
        long n = 1;
        for (int d = 0; d < local.length; d++) {
            if (local[d] < 1) return false;
            if (d < maxWorkItemSizes.length && local[d] > maxWorkItemSizes[d]) return false;
            n *= local[d];
        }
        return n <= maxWorkGroupSize;
    }
}
