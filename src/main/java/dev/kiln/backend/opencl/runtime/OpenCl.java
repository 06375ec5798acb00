package dev.kiln.backend.opencl.runtime;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What both bindings share: OpenCL constants, error names, device choice and the wording of failures. */
public final class OpenCl {
    private OpenCl() {}

    static final long DEVICE_TYPE_CPU = 1L << 1;
    static final long DEVICE_TYPE_GPU = 1L << 2;
    static final long DEVICE_TYPE_ACCELERATOR = 1L << 3;
    /** {@code CL_PLATFORM_NOT_FOUND_KHR}: the ICD loader found no driver. */
    static final int PLATFORM_NOT_FOUND_KHR = -1001;

    /** The packages that provide an OpenCL runtime, for messages. */
    public static final String INSTALL_HINT = "install an OpenCL driver and the ICD loader, e.g. on Debian/Ubuntu "
            + "'apt-get install ocl-icd-libopencl1 pocl-opencl-icd' (CPU, pocl) or your GPU vendor's OpenCL driver "
            + "(nvidia-opencl-icd, mesa-opencl-icd, intel-opencl-icd); 'clinfo -l' lists what is installed";

    private static final Map<Integer, String> ERRORS = Map.ofEntries(
            Map.entry(-1, "CL_DEVICE_NOT_FOUND"), Map.entry(-2, "CL_DEVICE_NOT_AVAILABLE"),
            Map.entry(-3, "CL_COMPILER_NOT_AVAILABLE"), Map.entry(-4, "CL_MEM_OBJECT_ALLOCATION_FAILURE"),
            Map.entry(-5, "CL_OUT_OF_RESOURCES"), Map.entry(-6, "CL_OUT_OF_HOST_MEMORY"),
            Map.entry(-11, "CL_BUILD_PROGRAM_FAILURE"), Map.entry(-13, "CL_MISALIGNED_SUB_BUFFER_OFFSET"),
            Map.entry(-30, "CL_INVALID_VALUE"), Map.entry(-32, "CL_INVALID_PLATFORM"),
            Map.entry(-33, "CL_INVALID_DEVICE"), Map.entry(-34, "CL_INVALID_CONTEXT"),
            Map.entry(-36, "CL_INVALID_COMMAND_QUEUE"), Map.entry(-38, "CL_INVALID_MEM_OBJECT"),
            Map.entry(-43, "CL_INVALID_BUILD_OPTIONS"), Map.entry(-44, "CL_INVALID_PROGRAM"),
            Map.entry(-45, "CL_INVALID_PROGRAM_EXECUTABLE"), Map.entry(-46, "CL_INVALID_KERNEL_NAME"),
            Map.entry(-48, "CL_INVALID_KERNEL"), Map.entry(-49, "CL_INVALID_ARG_INDEX"),
            Map.entry(-50, "CL_INVALID_ARG_VALUE"), Map.entry(-51, "CL_INVALID_ARG_SIZE"),
            Map.entry(-52, "CL_INVALID_KERNEL_ARGS"), Map.entry(-53, "CL_INVALID_WORK_DIMENSION"),
            Map.entry(-54, "CL_INVALID_WORK_GROUP_SIZE"), Map.entry(-55, "CL_INVALID_WORK_ITEM_SIZE"),
            Map.entry(-56, "CL_INVALID_GLOBAL_OFFSET"), Map.entry(-61, "CL_INVALID_BUFFER_SIZE"),
            Map.entry(-63, "CL_INVALID_GLOBAL_WORK_SIZE"), Map.entry(PLATFORM_NOT_FOUND_KHR, "CL_PLATFORM_NOT_FOUND_KHR"));

    /** {@code CL_INVALID_VALUE (-30)} for an error status. */
    public static String errorName(int status) {
        return ERRORS.getOrDefault(status, "OpenCL error") + " (" + status + ")";
    }

    /** Fails with {@code RUN_FAILED} unless {@code status} is {@code CL_SUCCESS}. */
    static void check(int status, String what) {
        if (status != 0) throw new KilnException(Code.RUN_FAILED, Location.NONE, what + " failed: " + errorName(status));
    }

    /** The failure for a missing OpenCL runtime, with what to install. */
    public static KilnException missing(String binding, String detail) {
        return new KilnException(Code.TOOL_MISSING, Location.NONE,
                "no OpenCL runtime found (" + binding + ": " + detail + ")").withHint(INSTALL_HINT);
    }

    /** See {@link OpenClRuntime#select}. */
    static ClDevice select(List<ClDevice> devices, Integer index) {
        // why: a runtime without devices cannot run anything; say what to install
        if (devices.isEmpty()) throw missing("device list", "the OpenCL platforms list no devices");
        if (index != null) {
            if (index < 0 || index >= devices.size())
                throw new KilnException(Code.USAGE, Location.NONE, "--opencl-device " + index + " does not exist: there "
                        + (devices.size() == 1 ? "is 1 device" : "are " + devices.size() + " devices"))
                        .withHint("devices: " + list(devices));
            return devices.get(index);
        }
        for (ClDevice d : devices) if (d.type() == ClDevice.Type.GPU) return d;
        return devices.get(0);
    }

    private static String list(List<ClDevice> devices) {
        List<String> s = new ArrayList<>();
        for (ClDevice d : devices) s.add(d.index() + " = " + d.type() + " " + d.name());
        return String.join("; ", s);
    }

    private static final Pattern KERNEL = Pattern.compile("__kernel\\s+void\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*\\(|kernel\\s+void\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*\\(");
    /** A build-log line with an error at {@code FILE:LINE:COL:} (clang style: pocl, NVIDIA, AMD, Intel). */
    private static final Pattern LOG_LINE = Pattern.compile("(?mi)^(?=[^\\n]*error)[^\\n]*?:(\\d+):(\\d+):");

    /** The names of the kernels defined in {@code source}, in order. */
    public static List<String> kernelNames(String source) {
        List<String> names = new ArrayList<>();
        Matcher m = KERNEL.matcher(source);
        while (m.find()) names.add(m.group(1) != null ? m.group(1) : m.group(2));
        return names;
    }

    /** The kernel whose definition encloses line {@code line} (1-based) of {@code source}, or null. */
    static String kernelAtLine(String source, int line) {
        String found = null;
        Matcher m = KERNEL.matcher(source);
        while (m.find()) {
            int at = 1;
            for (int i = 0; i < m.start(); i++) if (source.charAt(i) == '\n') at++;
            if (at > line) break;
            found = m.group(1) != null ? m.group(1) : m.group(2);
        }
        return found;
    }

    /** The line (1-based) of the first error in build log {@code log}, or 0 when the log names none. */
    public static int firstErrorLine(String log) {
        Matcher m = LOG_LINE.matcher(log);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** The kernel of {@code source} that the first error of build log {@code log} points into, or null. */
    public static String failingKernel(String source, String log) {
        int line = firstErrorLine(log);
        return line > 0 ? kernelAtLine(source, line) : null;
    }

    /** The {@code BUILD_FAILED} error of a failed build: the kernel the first error points into, and the log. */
    static KilnException buildFailed(String source, String log, int status, ClDevice device) {
        int line = firstErrorLine(log);
        String kernel = failingKernel(source, log);
        String where = kernel != null ? " in kernel '" + kernel + "' (line " + line + ")" : line > 0 ? " at line " + line : "";
        String text = log.strip();
        if (text.length() > 4000) text = text.substring(0, 4000) + "\n...";
        return new KilnException(Code.BUILD_FAILED, Location.NONE, "OpenCL program build failed" + where + " on "
                + device.name() + ": " + errorName(status) + "\nbuild log:\n" + text);
    }
}
