package dev.kiln.backend.opencl;

import static dev.kiln.KilnCli.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnCli.Run;
import dev.kiln.TestFiles;
import dev.kiln.backend.Target;
import dev.kiln.backend.opencl.runtime.ClDevice;
import dev.kiln.backend.opencl.runtime.DeviceLimits;
import dev.kiln.backend.opencl.runtime.DeviceTargets;
import dev.kiln.backend.opencl.runtime.OpenClRuntime;
import dev.kiln.cli.Main;
import dev.kiln.io.Npy;
import dev.kiln.ir.NdArray;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln check} and {@code kiln run} with {@code --backend opencl}: both bindings, device choice, the
 * device's limits reaching the backend, usage errors, and the message when no OpenCL runtime is installed.
 */
class OpenClCliTest {
    @TempDir
    Path tmp;


    private static String relu() { return TestFiles.onnxNode().resolve("test_relu").toString(); }

    @Test
    void checkPassesOnBothBindings() {
        for (String b : OpenClRuntime.BINDINGS) {
            Run r = kiln("check", "--backend", "opencl", "--opencl-binding", b, "-v", relu(), TestFiles.onnxNode().resolve("test_add").toString());
            assertEquals(0, r.rc(), r.out() + r.err());
            assertEquals("PASS test_relu\nPASS test_add\n2 passed, 0 failed\n", r.out());
            assertTrue(r.err().contains("opencl: " + b + " binding, device 0: "), r.err());
        }
    }

    @Test
    void runWritesTheDevicesOutputs() throws IOException {
        Path in = TestFiles.onnxNode().resolve("test_relu/test_data_set_0/input_0.pb");
        Run r = kiln("run", TestFiles.onnxNode().resolve("test_relu/model.onnx").toString(), "--backend", "opencl",
                "--opencl-device", "0", "--input", in.toString(), "-o", tmp.toString());
        assertEquals(0, r.rc(), r.err());
        NdArray got = Npy.read(tmp.resolve("y.npy"), 1 << 20);
        NdArray x = dev.kiln.frontend.onnx.TensorProtos.readPb(in, 1 << 20);
        assertEquals(x.shape(), got.shape());
        for (int i = 0; i < x.size(); i++) assertEquals(Math.max(0f, x.getFloat(i)), got.getFloat(i));
    }

    @Test
    void usageErrorsExitTwo() {
        int devices = OpenClRuntime.forBinding("jocl").devices().size();
        Run r = kiln("check", "--backend", "opencl", "--opencl-device", Integer.toString(devices), relu());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("--opencl-device " + devices + " does not exist") && r.err().contains("hint: devices: 0 = "), r.err());
        r = kiln("check", "--backend", "opencl", "--opencl-binding", "pyopencl", relu());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("unknown OpenCL binding 'pyopencl'") && r.err().contains("jocl, lwjgl"), r.err());
        r = kiln("check", "--opencl-device", "0", relu());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("--opencl-device needs --backend opencl"), r.err());
        r = kiln("check", "--backend", "opencl", "--sanitize", relu());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("--sanitize needs --backend c"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    /** Without an OpenCL driver (the ICD loader pointed at an empty folder) both bindings say what to install. */
    @Test
    void missingRuntimeNamesThePackages() throws Exception {
        for (String b : OpenClRuntime.BINDINGS) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "check", "--backend", "opencl",
                    "--opencl-binding", b, relu()));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("OCL_ICD_VENDORS", tmp.resolve("no-vendors").toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), out);
            assertTrue(out.contains("error K0404: no OpenCL runtime found (" + b + ": "), out);
            assertTrue(out.contains("pocl-opencl-icd") && out.contains("ocl-icd-libopencl1"), out);
            assertFalse(out.contains("\tat "), out);
        }
    }

    private static OpenClProgram lower(dev.kiln.ir.Graph g, Target t) {
        return new OpenClBackend().lower(g, t, new dev.kiln.backend.Backend.Options("m", null, "m")).program();
    }

    /** A device's limits narrow the descriptor's work-group and tile, and switch local memory off when it is tiny. */
    @Test
    void deviceLimitsNarrowTheTarget() {
        Target gpu = Target.load("opencl-gpu");
        Target roomy = DeviceTargets.narrow(gpu, new DeviceLimits(1024, new long[] {1024, 1024, 64}, 48 * 1024, true));
        assertEquals(gpu.property("workgroup", ""), roomy.property("workgroup", ""));
        assertEquals(gpu.property("tile", ""), roomy.property("tile", ""));
        Target small = DeviceTargets.narrow(gpu, new DeviceLimits(64, new long[] {64, 64, 64}, 1024, true));
        assertEquals("64", small.property("workgroup", ""));
        assertEquals("8", small.property("tile", "")); // 16x16 = 256 items > 64, 8x8 = 64 fits
        assertEquals("true", small.property("local-memory", "")); // two 8x8 float tiles: 512 bytes <= 1024
        Target tiny = DeviceTargets.narrow(gpu, new DeviceLimits(16, new long[] {16, 16, 16}, 4, false));
        assertEquals("16", tiny.property("workgroup", ""));
        assertEquals("false", tiny.property("local-memory", ""));
        assertEquals("opencl-gpu", tiny.name());
        assertEquals("4", tiny.property("opencl.local-memory-bytes", ""));
        // what the backend lowers for the narrowed target fits the small device; for the descriptor alone it would not
        DeviceLimits smallDevice = new DeviceLimits(64, new long[] {64, 64, 64}, 1024, true);
        dev.kiln.ir.Graph g = dev.kiln.Kiln.load(TestFiles.models().resolve("fc_autoencoder_ad_op13/model.onnx"), new dev.kiln.frontend.onnx.ImportOptions());
        dev.kiln.Kiln.optimize(g, gpu, dev.kiln.CompileOptions.defaults());
        boolean tooBigForSmall = false;
        for (OpenClProgram.Kernel k : lower(g, gpu).kernels()) tooBigForSmall |= k.local() != null && !smallDevice.fits(k.local());
        assertTrue(tooBigForSmall, "the descriptor's own sizes should exceed a 64-item device");
        for (OpenClProgram.Kernel k : lower(g, small).kernels())
            assertTrue(k.local() == null || smallDevice.fits(k.local()), k.name() + " local " + java.util.Arrays.toString(k.local()));
        // the real device's limits hold for what the runner lowers
        ClDevice d = OpenClRuntime.forBinding("jocl").select(null);
        Target real = DeviceTargets.narrow(Target.load(DeviceTargets.defaultTargetName(d.type())), d.limits());
        assertTrue(Long.parseLong(real.property("workgroup", "")) <= d.maxWorkGroupSize());
    }
}
