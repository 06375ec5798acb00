package dev.kiln.backend.opencl.runtime;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.lwjgl.PointerBuffer;
import org.lwjgl.opencl.CL10;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * The LWJGL binding of {@link OpenClRuntime} ({@code --opencl-binding lwjgl}): OpenCL through
 * {@code org.lwjgl.opencl}. {@link #wrap} lends Kiln an application's own context and queue.
 */
public final class LwjglRuntime implements OpenClRuntime {
    private List<ClDevice> devices;

    @Override
    public String binding() { return "lwjgl"; }

    @Override
    public synchronized List<ClDevice> devices() {
        if (devices != null) return devices;
        List<ClDevice> out = new ArrayList<>();
        try (MemoryStack s = MemoryStack.stackPush()) {
            IntBuffer n = s.mallocInt(1);
            int status;
            try {
                status = CL10.clGetPlatformIDs(null, n);
            } catch (LinkageError e) {
                throw OpenCl.missing("lwjgl", "cannot load the OpenCL library: " + e.getMessage());
            }
            // why: the ICD loader answers "no platform" when no driver is installed
            if (status == OpenCl.PLATFORM_NOT_FOUND_KHR || (status == 0 && n.get(0) == 0))
                throw OpenCl.missing("lwjgl", "no OpenCL platform is installed");
            OpenCl.check(status, "clGetPlatformIDs");
            PointerBuffer platforms = s.mallocPointer(n.get(0));
            OpenCl.check(CL10.clGetPlatformIDs(platforms, (IntBuffer) null), "clGetPlatformIDs");
            for (int p = 0; p < platforms.capacity(); p++) {
                long platform = platforms.get(p);
                IntBuffer dn = s.mallocInt(1);
                status = CL10.clGetDeviceIDs(platform, CL10.CL_DEVICE_TYPE_ALL, null, dn);
                if (status == CL10.CL_DEVICE_NOT_FOUND || dn.get(0) == 0) continue;
                OpenCl.check(status, "clGetDeviceIDs");
                PointerBuffer ds = s.mallocPointer(dn.get(0));
                OpenCl.check(CL10.clGetDeviceIDs(platform, CL10.CL_DEVICE_TYPE_ALL, ds, (IntBuffer) null), "clGetDeviceIDs");
                for (int d = 0; d < ds.capacity(); d++) out.add(describe(out.size(), ds.get(d)));
            }
        }
        devices = List.copyOf(out);
        return devices;
    }

    /** The description of device handle {@code device}, numbered {@code index}. */
    static ClDevice describe(int index, long device) {
        long platform = deviceLong(device, CL10.CL_DEVICE_PLATFORM, true);
        int dims = (int) deviceLong(device, CL10.CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS, false);
        long[] items = new long[dims];
        try (MemoryStack s = MemoryStack.stackPush()) {
            PointerBuffer b = s.mallocPointer(dims);
            OpenCl.check(CL10.clGetDeviceInfo(device, CL10.CL_DEVICE_MAX_WORK_ITEM_SIZES, b, null), "clGetDeviceInfo");
            for (int i = 0; i < dims; i++) items[i] = b.get(i);
        }
        return new ClDevice(index, platformString(platform, CL10.CL_PLATFORM_NAME), deviceString(device, CL10.CL_DEVICE_NAME),
                ClDevice.Type.of(deviceLong(device, CL10.CL_DEVICE_TYPE, false)), deviceString(device, CL10.CL_DEVICE_VERSION),
                deviceLong(device, CL10.CL_DEVICE_MAX_WORK_GROUP_SIZE, true), items,
                deviceLong(device, CL10.CL_DEVICE_LOCAL_MEM_SIZE, false), deviceLong(device, CL10.CL_DEVICE_GLOBAL_MEM_SIZE, false),
                deviceLong(device, CL10.CL_DEVICE_MAX_MEM_ALLOC_SIZE, false),
                deviceLong(device, CL10.CL_DEVICE_MEM_BASE_ADDR_ALIGN, false) / 8,
                deviceLong(device, CL10.CL_DEVICE_SINGLE_FP_CONFIG, false), device);
    }

    /** A size_t ({@code pointer}) or an integer of 4 or 8 bytes (zero-extended). */
    private static long deviceLong(long device, int param, boolean pointer) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            if (pointer) {
                PointerBuffer b = s.callocPointer(1);
                OpenCl.check(CL10.clGetDeviceInfo(device, param, b, null), "clGetDeviceInfo");
                return b.get(0);
            }
            LongBuffer b = s.callocLong(1);
            PointerBuffer size = s.mallocPointer(1);
            OpenCl.check(CL10.clGetDeviceInfo(device, param, b, size), "clGetDeviceInfo");
            return size.get(0) == 4 ? b.get(0) & 0xffffffffL : b.get(0);
        }
    }

    private static String deviceString(long device, int param) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            PointerBuffer size = s.mallocPointer(1);
            OpenCl.check(CL10.clGetDeviceInfo(device, param, (ByteBuffer) null, size), "clGetDeviceInfo");
            ByteBuffer b = s.malloc((int) size.get(0));
            OpenCl.check(CL10.clGetDeviceInfo(device, param, b, null), "clGetDeviceInfo");
            return cString(b).strip();
        }
    }

    private static String platformString(long platform, int param) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            PointerBuffer size = s.mallocPointer(1);
            OpenCl.check(CL10.clGetPlatformInfo(platform, param, (ByteBuffer) null, size), "clGetPlatformInfo");
            ByteBuffer b = s.malloc((int) size.get(0));
            OpenCl.check(CL10.clGetPlatformInfo(platform, param, b, null), "clGetPlatformInfo");
            return cString(b).strip();
        }
    }

    /** The text of a NUL-terminated string in {@code b}. */
    private static String cString(ByteBuffer b) {
        byte[] bytes = new byte[b.remaining()];
        b.duplicate().get(bytes);
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) n++;
        return new String(bytes, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public ClSession open(ClDevice d) {
        if (!(d.handle() instanceof Long device))
            throw new KilnException(Code.INTERNAL, Location.NONE, "device " + d.name() + " was not listed by the LWJGL binding");
        try (MemoryStack s = MemoryStack.stackPush()) {
            IntBuffer err = s.mallocInt(1);
            long ctx = CL10.clCreateContext((PointerBuffer) null, device, null, 0, err);
            OpenCl.check(err.get(0), "clCreateContext on " + d.name());
            long queue = CL10.clCreateCommandQueue(ctx, device, 0, err);
            if (err.get(0) != 0) {
                CL10.clReleaseContext(ctx);
                OpenCl.check(err.get(0), "clCreateCommandQueue on " + d.name());
            }
            return new Session(d, ctx, queue, true);
        }
    }

    /**
     * A session in an application's own OpenCL context and in-order queue on {@code device} (all LWJGL
     * handles): Kiln builds its programs and buffers there, and {@link ClSession#close()} releases only those,
     * leaving the context and queue to the application.
     */
    public static ClSession wrap(long context, long device, long queue) {
        if (context == 0 || device == 0 || queue == 0)
            throw new KilnException(Code.USAGE, Location.NONE, "LwjglRuntime.wrap needs a context, a device and a queue (got a null handle)");
        return new Session(describe(0, device), context, queue, false);
    }

    private static final class Buf extends ClResources.Buf<Long> {
        Buf(Long mem, long bytes) { super(mem, bytes); }
    }

    private static final class Prog extends ClResources.Prog<Long, Long> {
        Prog(Long program, List<String> names) { super(program, names); }
    }

    private static final class Session implements ClSession {
        private final ClDevice device;
        private final long ctx, queue;
        private final boolean owned;
        private final ClResources<Long, Long, Long> resources = new ClResources<>(CL10::clReleaseMemObject, CL10::clReleaseKernel, CL10::clReleaseProgram);

        Session(ClDevice device, long ctx, long queue, boolean owned) {
            this.device = device;
            this.ctx = ctx;
            this.queue = queue;
            this.owned = owned;
        }

        private long id() { return (Long) device.handle(); }

        @Override
        public ClDevice device() { return device; }

        @Override
        public Program build(String source, String options) {
            try (MemoryStack s = MemoryStack.stackPush()) {
                IntBuffer err = s.mallocInt(1);
                long p = CL10.clCreateProgramWithSource(ctx, source, err);
                OpenCl.check(err.get(0), "clCreateProgramWithSource");
                int status = CL10.clBuildProgram(p, id(), options == null ? "" : options, null, 0);
                if (status != 0) {
                    String log = buildLog(p);
                    CL10.clReleaseProgram(p);
                    throw OpenCl.buildFailed(source, log, status, device);
                }
                Prog prog = resources.program(new Prog(p, OpenCl.kernelNames(source)));
                return prog;
            }
        }

        private String buildLog(long p) {
            try (MemoryStack s = MemoryStack.stackPush()) {
                PointerBuffer size = s.mallocPointer(1);
                if (CL10.clGetProgramBuildInfo(p, id(), CL10.CL_PROGRAM_BUILD_LOG, (ByteBuffer) null, size) != 0 || size.get(0) == 0)
                    return "(no build log)";
                ByteBuffer b = MemoryUtil.memAlloc((int) size.get(0));
                try {
                    if (CL10.clGetProgramBuildInfo(p, id(), CL10.CL_PROGRAM_BUILD_LOG, b, null) != 0) return "(no build log)";
                    return cString(b);
                } finally {
                    MemoryUtil.memFree(b);
                }
            }
        }

        @Override
        public Buffer allocate(long bytes) {
            try (MemoryStack s = MemoryStack.stackPush()) {
                IntBuffer err = s.mallocInt(1);
                long m = CL10.clCreateBuffer(ctx, CL10.CL_MEM_READ_WRITE, Math.max(1, bytes), err);
                OpenCl.check(err.get(0), "clCreateBuffer of " + bytes + " bytes");
                Buf b = resources.buffer(new Buf(m, bytes));
                return b;
            }
        }

        @Override
        public void write(Buffer b, long offset, ByteBuffer data) {
            if (data.remaining() == 0) return;
            ByteBuffer d = data.isDirect() ? data.slice() : null;
            if (d == null) {
                d = MemoryUtil.memAlloc(data.remaining());
                d.put(data.duplicate()).flip();
            }
            try {
                OpenCl.check(CL10.clEnqueueWriteBuffer(queue, ((Buf) b).mem, true, offset, d, null, null),
                        "clEnqueueWriteBuffer of " + d.remaining() + " bytes at " + offset);
            } finally {
                if (!data.isDirect()) MemoryUtil.memFree(d);
            }
        }

        @Override
        public void read(Buffer b, long offset, ByteBuffer dst) {
            int n = dst.remaining();
            if (n == 0) return;
            ByteBuffer d = dst.isDirect() ? dst.slice() : MemoryUtil.memAlloc(n);
            try {
                OpenCl.check(CL10.clEnqueueReadBuffer(queue, ((Buf) b).mem, true, offset, d, null, null),
                        "clEnqueueReadBuffer of " + n + " bytes at " + offset);
                if (!dst.isDirect()) dst.duplicate().put(d);
            } finally {
                if (!dst.isDirect()) MemoryUtil.memFree(d);
            }
        }

        @Override
        public void enqueue(Program p, String kernel, List<KernelArg> args, long[] global, long[] local) {
            Prog prog = (Prog) p;
            try (MemoryStack s = MemoryStack.stackPush()) {
                Long k = prog.kernels.get(kernel);
                if (k == null) {
                    IntBuffer err = s.mallocInt(1);
                    k = CL10.clCreateKernel(prog.program, kernel, err);
                    OpenCl.check(err.get(0), "clCreateKernel '" + kernel + "'");
                    prog.kernels.put(kernel, k);
                }
                for (int i = 0; i < args.size(); i++) {
                    KernelArg a = args.get(i);
                    int status;
                    if (a instanceof KernelArg.Buffer b) status = CL10.clSetKernelArg1p(k, i, ((Buf) b.buffer()).mem);
                    else if (a instanceof KernelArg.Int v) status = CL10.clSetKernelArg1i(k, i, v.value());
                    else if (a instanceof KernelArg.Long v) status = CL10.clSetKernelArg1l(k, i, v.value());
                    else if (a instanceof KernelArg.Float v) status = CL10.clSetKernelArg1f(k, i, v.value());
                    else status = CL10.clSetKernelArg(k, i, ((KernelArg.Local) a).bytes());
                    OpenCl.check(status, "kernel '" + kernel + "': argument " + i);
                }
                PointerBuffer g = s.mallocPointer(global.length);
                for (int i = 0; i < global.length; i++) g.put(i, global[i]);
                PointerBuffer l = null;
                if (local != null) {
                    l = s.mallocPointer(local.length);
                    for (int i = 0; i < local.length; i++) l.put(i, local[i]);
                }
                OpenCl.check(CL10.clEnqueueNDRangeKernel(queue, k, global.length, null, g, l, null, null),
                        "kernel '" + kernel + "': clEnqueueNDRangeKernel (global " + java.util.Arrays.toString(global)
                                + ", local " + (local == null ? "auto" : java.util.Arrays.toString(local)) + ")");
            }
        }

        @Override
        public void copy(Buffer src, long srcOffset, Buffer dst, long dstOffset, long bytes) {
            if (bytes == 0) return;
            OpenCl.check(CL10.clEnqueueCopyBuffer(queue, ((Buf) src).mem, ((Buf) dst).mem, srcOffset, dstOffset, bytes, null, null),
                    "clEnqueueCopyBuffer of " + bytes + " bytes");
        }

        @Override
        public void release(Buffer b) {
            resources.release(b);
        }

        @Override
        public void release(Program p) {
            resources.release(p);
        }

        @Override
        public void finish() {
            OpenCl.check(CL10.clFinish(queue), "clFinish");
        }

        @Override
        public void close() {
            CL10.clFinish(queue);
            resources.releaseAll();
            if (owned) {
                CL10.clReleaseCommandQueue(queue);
                CL10.clReleaseContext(ctx);
            }
        }
    }
}
