package dev.kiln.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.opencl.runtime.ClDevice;
import dev.kiln.backend.opencl.runtime.ClSession;
import dev.kiln.backend.opencl.runtime.KernelArg;
import dev.kiln.backend.opencl.runtime.LwjglRuntime;
import dev.kiln.backend.opencl.runtime.OpenClRuntime;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Both Java bindings of the OpenCL runtime on a hand-written kernel: device listing and choice, buffers,
 * scalar and local-memory arguments, explicit local sizes, and build errors that name the kernel.
 * Needs an OpenCL runtime (CI installs pocl).
 */
class OpenClRuntimeTest {
    /** y[i] = a * x[i] + b over n elements, with a local scratch buffer to exercise __local arguments. */
    static final String SAXPY = """
            __kernel void fill(__global float *y, const int n, const float v) {
                int i = get_global_id(0);
                if (i < n) y[i] = v;
            }

            __kernel void saxpy(__global const float *x, __global float *y, const int n, const float a, const float b,
                                __local float *tile) {
                int i = get_global_id(0);
                int l = get_local_id(0);
                tile[l] = i < n ? x[i] : 0.0f;
                barrier(CLK_LOCAL_MEM_FENCE);
                if (i < n) y[i] = a * tile[l] + b;
            }
            """;

    private static ByteBuffer floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.flip();
    }

    @ParameterizedTest
    @ValueSource(strings = {"jocl", "lwjgl"})
    void runsAHandWrittenKernel(String binding) {
        OpenClRuntime rt = OpenClRuntime.forBinding(binding);
        assertEquals(binding, rt.binding());
        List<ClDevice> devices = rt.devices();
        assertFalse(devices.isEmpty(), "no OpenCL device");
        ClDevice d = rt.select(null);
        assertTrue(d.maxWorkGroupSize() >= 1 && d.localMemSize() > 0, d.describe());
        for (int i = 0; i < devices.size(); i++) assertEquals(i, devices.get(i).index());

        int n = 37;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i * 0.5f - 3;
        try (ClSession s = rt.open(d)) {
            ClSession.Program p = s.build(SAXPY, "-cl-std=CL1.2");
            assertEquals(List.of("fill", "saxpy"), p.kernelNames());
            ClSession.Buffer xb = s.allocate(4L * n);
            ClSession.Buffer yb = s.allocate(4L * (n + 3));
            s.write(xb, 0, floats(x));
            s.enqueue(p, "fill", List.of(KernelArg.of(yb), KernelArg.of(n + 3), KernelArg.of(-1f)), new long[] {n + 3}, null);
            long local = Math.min(8, d.maxWorkGroupSize());
            long global = (n + local - 1) / local * local;
            s.enqueue(p, "saxpy", List.of(KernelArg.of(xb), KernelArg.of(yb), KernelArg.of(n), KernelArg.of(2f), KernelArg.of(0.25f),
                    new KernelArg.Local(4 * local)), new long[] {global}, new long[] {local});
            s.finish();
            ByteBuffer out = ByteBuffer.allocate(4 * (n + 3)).order(ByteOrder.LITTLE_ENDIAN);
            s.read(yb, 0, out);
            float[] got = new float[n + 3];
            out.asFloatBuffer().get(got);
            float[] want = new float[n + 3];
            for (int i = 0; i < n + 3; i++) want[i] = i < n ? 2 * x[i] + 0.25f : -1f;
            assertArrayEquals(want, got, binding);

            // a read at an offset into a direct buffer
            ByteBuffer tail = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
            s.read(yb, 4L * (n - 1), tail);
            assertEquals(2 * x[n - 1] + 0.25f, tail.getFloat(0));
            assertEquals(-1f, tail.getFloat(4));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jocl", "lwjgl"})
    void buildErrorsNameTheKernelAndCarryTheLog(String binding) {
        OpenClRuntime rt = OpenClRuntime.forBinding(binding);
        String bad = SAXPY + """

                __kernel void broken(__global float *y) {
                    y[get_global_id(0)] = undefined_name * 2.0f;
                }
                """;
        try (ClSession s = rt.open(rt.select(null))) {
            KilnException e = assertThrows(KilnException.class, () -> s.build(bad, ""));
            assertEquals(Code.BUILD_FAILED, e.code());
            assertTrue(e.getMessage().contains("kernel 'broken'"), e.getMessage());
            assertTrue(e.getMessage().contains("undefined_name"), e.getMessage());
        }
    }

    /** Build logs of pocl, NVIDIA and AMD/Intel (clang) all lead to the kernel holding the first error. */
    @Test
    void buildLogsOfEveryVendorNameTheKernel() {
        // SAXPY: fill spans lines 1-4, saxpy lines 6-14
        assertEquals("fill", dev.kiln.backend.opencl.runtime.OpenCl.failingKernel(SAXPY,
                "error: /root/.cache/pocl/kcache/tempfile_x.cl:3:17: use of undeclared identifier 'q'\n1 error generated."));
        assertEquals("saxpy", dev.kiln.backend.opencl.runtime.OpenCl.failingKernel(SAXPY,
                "<kernel>:9:5: error: use of undeclared identifier 'tile2'\n        tile2[l] = 0;\n        ^"));
        assertEquals("saxpy", dev.kiln.backend.opencl.runtime.OpenCl.failingKernel(SAXPY,
                "<kernel>:2:1: warning: unused variable\n/tmp/comgr-1/input/CompileSource:12:9: error: expected ';'"));
        assertEquals(null, dev.kiln.backend.opencl.runtime.OpenCl.failingKernel(SAXPY, "internal compiler error"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"jocl", "lwjgl"})
    void launchErrorsNameTheKernel(String binding) {
        OpenClRuntime rt = OpenClRuntime.forBinding(binding);
        ClDevice d = rt.select(null);
        try (ClSession s = rt.open(d)) {
            ClSession.Program p = s.build(SAXPY, "");
            ClSession.Buffer yb = s.allocate(64);
            // a work-group larger than the device allows
            long tooBig = d.maxWorkGroupSize() * 2;
            KilnException e = assertThrows(KilnException.class, () -> s.enqueue(p, "fill",
                    List.of(KernelArg.of(yb), KernelArg.of(16), KernelArg.of(0f)), new long[] {tooBig}, new long[] {tooBig}));
            assertEquals(Code.RUN_FAILED, e.code());
            assertTrue(e.getMessage().contains("kernel 'fill'"), e.getMessage());
            KilnException missing = assertThrows(KilnException.class, () -> s.enqueue(p, "nope", List.of(), new long[] {1}, null));
            assertTrue(missing.getMessage().contains("'nope'") && missing.getMessage().contains("CL_INVALID_KERNEL_NAME"), missing.getMessage());
        }
    }

    /**
     * Programs are built with {@code -cl-fp32-correctly-rounded-divide-sqrt} on devices that report
     * {@code CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT} (and without it elsewhere, where the option is not allowed); a
     * device here that reports it builds a program with it.
     */
    @Test
    void correctlyRoundedDivisionWhereTheDeviceHasIt() {
        ClDevice with = new ClDevice(0, "p", "d", ClDevice.Type.GPU, "OpenCL 3.0", 256, new long[] {256}, 1024, 1 << 20, 1 << 20, 16,
                ClDevice.FP_CORRECTLY_ROUNDED_DIVIDE_SQRT | 0x3E, null);
        ClDevice without = new ClDevice(0, "p", "d", ClDevice.Type.GPU, "OpenCL 3.0", 256, new long[] {256}, 1024, 1 << 20, 1 << 20, 16, 0x3E, null);
        assertEquals("-cl-fp32-correctly-rounded-divide-sqrt", with.buildOptions(""));
        assertEquals("-cl-std=CL1.2 -cl-fp32-correctly-rounded-divide-sqrt", with.buildOptions("-cl-std=CL1.2"));
        assertEquals("-cl-std=CL1.2", without.buildOptions("-cl-std=CL1.2"));
        for (String binding : new String[] {"jocl", "lwjgl"}) {
            OpenClRuntime rt = OpenClRuntime.forBinding(binding);
            ClDevice d = rt.select(null);
            try (ClSession s = rt.open(d)) {
                s.build(SAXPY, d.buildOptions(""));
            }
        }
    }

    @Test
    void deviceChoice() {
        OpenClRuntime rt = OpenClRuntime.forBinding("jocl");
        List<ClDevice> ds = rt.devices();
        ClDevice first = ds.stream().filter(x -> x.type() == ClDevice.Type.GPU).findFirst().orElse(ds.get(0));
        assertEquals(first.index(), rt.select(null).index());
        assertEquals(ds.size() - 1, rt.select(ds.size() - 1).index());
        KilnException e = assertThrows(KilnException.class, () -> rt.select(ds.size()));
        assertEquals(Code.USAGE, e.code());
        assertTrue(e.getMessage().contains("--opencl-device " + ds.size()), e.getMessage());
        // both bindings list the same devices in the same order
        List<ClDevice> lw = OpenClRuntime.forBinding("lwjgl").devices();
        assertEquals(ds.size(), lw.size());
        for (int i = 0; i < ds.size(); i++) {
            assertEquals(ds.get(i).name(), lw.get(i).name());
            assertEquals(ds.get(i).maxWorkGroupSize(), lw.get(i).maxWorkGroupSize());
            assertEquals(ds.get(i).localMemSize(), lw.get(i).localMemSize());
            assertEquals(ds.get(i).singleFpConfig(), lw.get(i).singleFpConfig());
        }
        assertEquals(Code.USAGE, assertThrows(KilnException.class, () -> OpenClRuntime.forBinding("cuda")).code());
    }

    /**
     * An application's own LWJGL context and queue (README's example): a bundled model runs there, twice on the
     * same device-resident weights, matching the recorded outputs; Kiln's session leaves them alive on close.
     */
    @Test
    void runsAModelInAnApplicationsLwjglContext() {
        long device = (Long) OpenClRuntime.forBinding("lwjgl").select(null).handle();
        try (org.lwjgl.system.MemoryStack st = org.lwjgl.system.MemoryStack.stackPush()) {
            java.nio.IntBuffer err = st.mallocInt(1);
            long ctx = org.lwjgl.opencl.CL10.clCreateContext((org.lwjgl.PointerBuffer) null, device, null, 0, err);
            assertEquals(0, err.get(0));
            long queue = org.lwjgl.opencl.CL10.clCreateCommandQueue(ctx, device, 0, err);
            assertEquals(0, err.get(0));
            java.nio.file.Path dir = dev.kiln.TestFiles.models().resolve("fc_autoencoder_ad_op13");
            dev.kiln.check.TestCase.DataSet ds = dev.kiln.check.TestCase.find(List.of(dir)).get(0).dataSets(1L << 30).get(0);
            dev.kiln.ir.Graph g = dev.kiln.Kiln.load(dir.resolve("model.onnx"), new dev.kiln.frontend.onnx.ImportOptions());
            dev.kiln.backend.Target t = dev.kiln.backend.Target.load("opencl-gpu");
            dev.kiln.Kiln.optimize(g, t, dev.kiln.CompileOptions.defaults());
            try (ClSession s = LwjglRuntime.wrap(ctx, device, queue);
                 dev.kiln.backend.opencl.runtime.OpenClModel m = dev.kiln.backend.opencl.runtime.OpenClModel.compile(s, g, t, null)) {
                for (int run = 0; run < 2; run++) {
                    List<dev.kiln.ir.NdArray> out = m.run(ds.inputs());
                    String why = dev.kiln.check.Compare.mismatch(ds.outputs().get(0), out.get(0), 1e-3, 1e-4);
                    assertEquals(null, why, "run " + run);
                }
            }
            // the application's queue still works after Kiln's session closed
            assertEquals(0, org.lwjgl.opencl.CL10.clFinish(queue));
            assertEquals(0, org.lwjgl.opencl.CL10.clReleaseCommandQueue(queue));
            assertEquals(0, org.lwjgl.opencl.CL10.clReleaseContext(ctx));
        }
    }
}
