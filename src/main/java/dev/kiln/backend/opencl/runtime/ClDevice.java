package dev.kiln.backend.opencl.runtime;

/**
 * One OpenCL device as a runtime lists it: its place in the flat device list ({@code --opencl-device N}), the
 * handles of its binding, and the limits kernels must respect.
 *
 * @param index          position in the list of all devices of all platforms (what {@code --opencl-device} takes)
 * @param platform       the platform's name
 * @param name           the device's name
 * @param type           GPU, CPU, accelerator or other
 * @param version        the device's OpenCL version string
 * @param maxWorkGroupSize largest number of work-items in one work-group
 * @param maxWorkItemSizes largest work-group extent per dimension
 * @param localMemSize   bytes of local (work-group shared) memory
 * @param globalMemSize  bytes of global memory
 * @param maxAllocSize   largest single buffer in bytes
 * @param baseAddrAlignBytes alignment of sub-buffer origins in bytes
 * @param singleFpConfig {@code CL_DEVICE_SINGLE_FP_CONFIG}'s bits
 * @param handle         the binding's device handle ({@code cl_device_id} of JOCL, a {@code Long} for LWJGL)
 */
public record ClDevice(int index, String platform, String name, Type type, String version, long maxWorkGroupSize,
        long[] maxWorkItemSizes, long localMemSize, long globalMemSize, long maxAllocSize, long baseAddrAlignBytes,
        long singleFpConfig, Object handle) {
    /** {@code CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT}: the device can build programs whose f32 division and sqrt round correctly. */
    public static final long FP_CORRECTLY_ROUNDED_DIVIDE_SQRT = 1L << 7;

    /**
     * The options a program is built with on this device: {@code options}, plus
     * {@code -cl-fp32-correctly-rounded-divide-sqrt} where the device supports it. OpenCL allows f32 division 2.5 ulp
     * of error otherwise, and the quantizing kernels ({@code x / scale} rounded to an integer) would then differ from
     * the interpreter by a step on such a device.
     */
    public String buildOptions(String options) {
        if ((singleFpConfig & FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) == 0) return options;
        return options.isEmpty() ? CORRECTLY_ROUNDED : options + " " + CORRECTLY_ROUNDED;
    }

    /** The build option that asks for correctly rounded f32 division and sqrt. */
    public static final String CORRECTLY_ROUNDED = "-cl-fp32-correctly-rounded-divide-sqrt";

    /** The kind of device, from {@code CL_DEVICE_TYPE}. */
    public enum Type {
        GPU, CPU, ACCELERATOR, OTHER;

        /** The type of a {@code CL_DEVICE_TYPE} bit field (GPU wins over the other bits). */
        public static Type of(long bits) {
            if ((bits & OpenCl.DEVICE_TYPE_GPU) != 0) return GPU;
            if ((bits & OpenCl.DEVICE_TYPE_CPU) != 0) return CPU;
            if ((bits & OpenCl.DEVICE_TYPE_ACCELERATOR) != 0) return ACCELERATOR;
            return OTHER;
        }
    }

    /** One line for listings: {@code 0: GPU NVIDIA A100 (NVIDIA CUDA, OpenCL 3.0; wg 1024, local 48 KiB)}. */
    public String describe() {
        return index + ": " + type + " " + name + " (" + platform + ", " + version + "; max work-group " + maxWorkGroupSize
                + ", local memory " + localMemSize / 1024 + " KiB, global memory " + globalMemSize / (1024 * 1024) + " MiB)";
    }

    /** The device's limits as the backend reads them. */
    public DeviceLimits limits() {
        return new DeviceLimits(maxWorkGroupSize, maxWorkItemSizes.clone(), localMemSize, type == Type.GPU);
    }
}
