package dev.kiln.backend.opencl.runtime;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;

/** The JOCL binding of {@link OpenClRuntime} (the default): OpenCL through {@code org.jocl.CL}. */
public final class JoclRuntime implements OpenClRuntime {
    private List<ClDevice> devices;

    @Override
    public String binding() { return "jocl"; }

    @Override
    public synchronized List<ClDevice> devices() {
        if (devices != null) return devices;
        int[] n = new int[1];
        try {
            CL.setExceptionsEnabled(false);
            int status = CL.clGetPlatformIDs(0, null, n);
            // why: the ICD loader answers "no platform" when no driver is installed
            if (status == OpenCl.PLATFORM_NOT_FOUND_KHR || (status == 0 && n[0] == 0))
                throw OpenCl.missing("jocl", "no OpenCL platform is installed");
            OpenCl.check(status, "clGetPlatformIDs");
        } catch (LinkageError e) {
            throw OpenCl.missing("jocl", "cannot load the OpenCL library: " + e.getMessage());
        }
        cl_platform_id[] platforms = new cl_platform_id[n[0]];
        OpenCl.check(CL.clGetPlatformIDs(platforms.length, platforms, null), "clGetPlatformIDs");
        List<ClDevice> out = new ArrayList<>();
        for (cl_platform_id p : platforms) {
            int[] dn = new int[1];
            int status = CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, 0, null, dn);
            if (status == CL.CL_DEVICE_NOT_FOUND || dn[0] == 0) continue;
            OpenCl.check(status, "clGetDeviceIDs");
            cl_device_id[] ds = new cl_device_id[dn[0]];
            OpenCl.check(CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, ds.length, ds, null), "clGetDeviceIDs");
            String platform = platformString(p, CL.CL_PLATFORM_NAME);
            for (cl_device_id d : ds) {
                long[] items = new long[(int) deviceLong(d, CL.CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS, Sizeof.cl_uint)];
                OpenCl.check(CL.clGetDeviceInfo(d, CL.CL_DEVICE_MAX_WORK_ITEM_SIZES, (long) Sizeof.size_t * items.length,
                        Pointer.to(items), null), "clGetDeviceInfo");
                out.add(new ClDevice(out.size(), platform, deviceString(d, CL.CL_DEVICE_NAME),
                        ClDevice.Type.of(deviceLong(d, CL.CL_DEVICE_TYPE, Sizeof.cl_ulong)), deviceString(d, CL.CL_DEVICE_VERSION),
                        deviceLong(d, CL.CL_DEVICE_MAX_WORK_GROUP_SIZE, Sizeof.size_t), items,
                        deviceLong(d, CL.CL_DEVICE_LOCAL_MEM_SIZE, Sizeof.cl_ulong),
                        deviceLong(d, CL.CL_DEVICE_GLOBAL_MEM_SIZE, Sizeof.cl_ulong),
                        deviceLong(d, CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE, Sizeof.cl_ulong),
                        deviceLong(d, CL.CL_DEVICE_MEM_BASE_ADDR_ALIGN, Sizeof.cl_uint) / 8,
                        deviceLong(d, CL.CL_DEVICE_SINGLE_FP_CONFIG, Sizeof.cl_ulong), d));
            }
        }
        devices = List.copyOf(out);
        return devices;
    }

    private static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        OpenCl.check(CL.clGetPlatformInfo(p, param, 0, null, size), "clGetPlatformInfo");
        byte[] b = new byte[(int) size[0]];
        OpenCl.check(CL.clGetPlatformInfo(p, param, b.length, Pointer.to(b), null), "clGetPlatformInfo");
        return cString(b);
    }

    private static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        OpenCl.check(CL.clGetDeviceInfo(d, param, 0, null, size), "clGetDeviceInfo");
        byte[] b = new byte[(int) size[0]];
        OpenCl.check(CL.clGetDeviceInfo(d, param, b.length, Pointer.to(b), null), "clGetDeviceInfo");
        return cString(b);
    }

    private static long deviceLong(cl_device_id d, int param, int bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        OpenCl.check(CL.clGetDeviceInfo(d, param, bytes, Pointer.to(b), null), "clGetDeviceInfo");
        return bytes == 4 ? b.getInt(0) & 0xffffffffL : b.getLong(0);
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8).strip();
    }

    @Override
    public ClSession open(ClDevice d) {
        if (!(d.handle() instanceof cl_device_id id))
            throw new KilnException(Code.INTERNAL, Location.NONE, "device " + d.name() + " was not listed by the JOCL binding");
        int[] err = new int[1];
        cl_context ctx = CL.clCreateContext(new cl_context_properties(), 1, new cl_device_id[] {id}, null, null, err);
        OpenCl.check(err[0], "clCreateContext on " + d.name());
        @SuppressWarnings("deprecation") // why: clCreateCommandQueue also works on OpenCL 1.x drivers
        cl_command_queue q = CL.clCreateCommandQueue(ctx, id, 0, err);
        if (err[0] != 0) {
            CL.clReleaseContext(ctx);
            OpenCl.check(err[0], "clCreateCommandQueue on " + d.name());
        }
        return new Session(d, id, ctx, q);
    }

    private static final class Buf extends ClResources.Buf<cl_mem> {
        Buf(cl_mem mem, long bytes) { super(mem, bytes); }
    }

    private static final class Prog extends ClResources.Prog<cl_program, cl_kernel> {
        Prog(cl_program program, List<String> names) { super(program, names); }
    }

    private static final class Session implements ClSession {
        private final ClDevice device;
        private final cl_device_id id;
        private final cl_context ctx;
        private final cl_command_queue queue;
        private final ClResources<cl_mem, cl_program, cl_kernel> resources = new ClResources<>(CL::clReleaseMemObject, CL::clReleaseKernel, CL::clReleaseProgram);

        Session(ClDevice device, cl_device_id id, cl_context ctx, cl_command_queue queue) {
            this.device = device;
            this.id = id;
            this.ctx = ctx;
            this.queue = queue;
        }

        @Override
        public ClDevice device() { return device; }

        @Override
        public Program build(String source, String options) {
            int[] err = new int[1];
            cl_program p = CL.clCreateProgramWithSource(ctx, 1, new String[] {source}, new long[] {source.getBytes(StandardCharsets.UTF_8).length}, err);
            OpenCl.check(err[0], "clCreateProgramWithSource");
            int status = CL.clBuildProgram(p, 1, new cl_device_id[] {id}, options == null ? "" : options, null, null);
            if (status != 0) {
                String log = buildLog(p);
                CL.clReleaseProgram(p);
                throw OpenCl.buildFailed(source, log, status, device);
            }
            Prog prog = resources.program(new Prog(p, OpenCl.kernelNames(source)));
            return prog;
        }

        private String buildLog(cl_program p) {
            long[] size = new long[1];
            if (CL.clGetProgramBuildInfo(p, id, CL.CL_PROGRAM_BUILD_LOG, 0, null, size) != 0 || size[0] == 0) return "(no build log)";
            byte[] b = new byte[(int) size[0]];
            if (CL.clGetProgramBuildInfo(p, id, CL.CL_PROGRAM_BUILD_LOG, b.length, Pointer.to(b), null) != 0) return "(no build log)";
            return cString(b);
        }

        @Override
        public Buffer allocate(long bytes) {
            int[] err = new int[1];
            cl_mem m = CL.clCreateBuffer(ctx, CL.CL_MEM_READ_WRITE, Math.max(1, bytes), null, err);
            OpenCl.check(err[0], "clCreateBuffer of " + bytes + " bytes");
            Buf b = resources.buffer(new Buf(m, bytes));
            return b;
        }

        @Override
        public void write(Buffer b, long offset, ByteBuffer data) {
            ByteBuffer d = direct(data);
            if (d.remaining() == 0) return;
            OpenCl.check(CL.clEnqueueWriteBuffer(queue, ((Buf) b).mem, true, offset, d.remaining(), Pointer.to(d), 0, null, null),
                    "clEnqueueWriteBuffer of " + d.remaining() + " bytes at " + offset);
        }

        @Override
        public void read(Buffer b, long offset, ByteBuffer dst) {
            int n = dst.remaining();
            if (n == 0) return;
            ByteBuffer d = dst.isDirect() ? dst.slice() : ByteBuffer.allocateDirect(n);
            OpenCl.check(CL.clEnqueueReadBuffer(queue, ((Buf) b).mem, true, offset, n, Pointer.to(d), 0, null, null),
                    "clEnqueueReadBuffer of " + n + " bytes at " + offset);
            if (!dst.isDirect()) dst.duplicate().put(d);
        }

        private static ByteBuffer direct(ByteBuffer data) {
            if (data.isDirect()) return data.slice();
            ByteBuffer d = ByteBuffer.allocateDirect(data.remaining());
            d.put(data.duplicate()).flip();
            return d;
        }

        @Override
        public void enqueue(Program p, String kernel, List<KernelArg> args, long[] global, long[] local) {
            Prog prog = (Prog) p;
            cl_kernel k = prog.kernels.get(kernel);
            if (k == null) {
                int[] err = new int[1];
                k = CL.clCreateKernel(prog.program, kernel, err);
                OpenCl.check(err[0], "clCreateKernel '" + kernel + "'");
                prog.kernels.put(kernel, k);
            }
            for (int i = 0; i < args.size(); i++) {
                KernelArg a = args.get(i);
                int status;
                if (a instanceof KernelArg.Buffer b) status = CL.clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(((Buf) b.buffer()).mem));
                else if (a instanceof KernelArg.Int v) status = CL.clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v.value()}));
                else if (a instanceof KernelArg.Long v) status = CL.clSetKernelArg(k, i, Sizeof.cl_long, Pointer.to(new long[] {v.value()}));
                else if (a instanceof KernelArg.Float v) status = CL.clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {v.value()}));
                else status = CL.clSetKernelArg(k, i, ((KernelArg.Local) a).bytes(), null);
                OpenCl.check(status, "kernel '" + kernel + "': argument " + i);
            }
            OpenCl.check(CL.clEnqueueNDRangeKernel(queue, k, global.length, null, global, local, 0, null, null),
                    "kernel '" + kernel + "': clEnqueueNDRangeKernel (global " + java.util.Arrays.toString(global)
                            + ", local " + (local == null ? "auto" : java.util.Arrays.toString(local)) + ")");
        }

        @Override
        public void copy(Buffer src, long srcOffset, Buffer dst, long dstOffset, long bytes) {
            if (bytes == 0) return;
            OpenCl.check(CL.clEnqueueCopyBuffer(queue, ((Buf) src).mem, ((Buf) dst).mem, srcOffset, dstOffset, bytes, 0, null, null),
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
            OpenCl.check(CL.clFinish(queue), "clFinish");
        }

        @Override
        public void close() {
            CL.clFinish(queue);
            resources.releaseAll();
            CL.clReleaseCommandQueue(queue);
            CL.clReleaseContext(ctx);
        }
    }
}
