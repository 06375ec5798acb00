package dev.kiln.backend.c;

import static dev.kiln.KilnCli.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnCli.Run;
import dev.kiln.QuantTesting;
import dev.kiln.TestFiles;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.toolchain.CProgramRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The targets beside Cortex-M: riscv32-imac and riscv32-imafc (bare metal on qemu's virt board, picolibc,
 * semihosting) and aarch64-linux (a static Linux program under qemu-aarch64 user mode). Each runs the MLPerf Tiny
 * float and digits models against their recorded outputs (riscv32-imac, without an FPU, only the digits models:
 * its float is software), the int8 models byte for byte against the interpreter, and {@code kiln bench} counts
 * instructions per MAC on both kinds of qemu. One program per target and model set.
 */
class RiscvAndAarch64TargetsTest {
    @TempDir
    static Path tmp;

    private static List<Checker.Job> int8;

    @BeforeAll
    static void quantize() throws Exception { int8 = QuantTesting.int8Jobs(tmp); }

    private static void checkFloat(String target, List<String> models) {
        List<TestCase> cases = new ArrayList<>();
        for (String m : models) cases.addAll(TestCase.find(List.of(TestFiles.models().resolve(m))));
        Checker checker = new Checker(new CProgramRunner(Target.load(target), false, null), 1e-3, 1e-4, ImportOptions::new, null);
        List<Checker.Result> results = checker.checkAll(cases, cases.size(), r -> {});
        assertEquals(cases.size(), results.size(), target);
        for (Checker.Result r : results) assertTrue(r.passed(), target + ": " + r.line());
    }

    private static void checkInt8(String target) {
        QuantTesting.assertSameAsInterpreter(target, int8, new CProgramRunner(Target.load(target), false, null).runAll(int8));
    }

    @Test
    void riscv32ImafcRunsTheMcuFloatModels() { checkFloat("riscv32-imafc", CConformanceTest.MCU_MODELS); }

    @Test
    void aarch64LinuxRunsTheMcuFloatModels() { checkFloat("aarch64-linux", CConformanceTest.MCU_MODELS); }

    /** No FPU: float runs in libgcc's software routines, shown on the two small digits models. */
    @Test
    void riscv32ImacRunsFloatInSoftware() { checkFloat("riscv32-imac", List.of("digits_lenet5_op13", "digits_mlp_op13")); }

    @Test
    void riscv32ImacInt8IsBitExact() { checkInt8("riscv32-imac"); }

    @Test
    void riscv32ImafcInt8IsBitExact() { checkInt8("riscv32-imafc"); }

    /** aarch64-linux takes the host int8 forms (packed GEMM; int8.kernels=host), which must stay exact there too. */
    @Test
    void aarch64LinuxInt8IsBitExact() { checkInt8("aarch64-linux"); }

    /** aarch64-linux-dotprod's GEMM tile takes sdot (signed bytes, the zero point's share adjusted): exact too. */
    @Test
    void aarch64DotprodInt8IsBitExact() { checkInt8("aarch64-linux-dotprod"); }

    /** {@code kiln bench} on a bare-metal RISC-V target counts one inference of int8 DS-CNN with the qemu plugin. */
    @Test
    void benchCountsRiscvInstructionsPerMac() {
        Run r = kiln("bench", TestFiles.models().resolve("ds_cnn_kws_int8_qdq/model.onnx").toString(), "-t", "riscv32-imafc", "--json", "-");
        assertEquals(0, r.rc(), r.err());
        double perMac = field(r.out(), "instructions_per_mac");
        // a scalar core without SIMD needs at least a load, a load and a multiply-add per MAC
        assertTrue(perMac >= 1 && perMac < 100, r.out());
        assertEquals(field(r.out(), "instructions") / field(r.out(), "macs"), perMac, 1e-3, r.out());
    }

    /**
     * The plugin counts in qemu's user mode too (between the markers: the C library's start-up is left out). The MLP's
     * layers are products of one row: the GEMM computes 4 positions for them, not a tile of 16 (129.6 instructions
     * per MAC when it did), and sdot does 4 MACs a lane.
     */
    @Test
    void benchCountsAarch64UserModeInstructions() {
        Run r = kiln("bench", TestFiles.models().resolve("digits_mlp_int8_qdq/model.onnx").toString(), "-t", "aarch64-linux-dotprod", "--json", "-");
        assertEquals(0, r.rc(), r.err());
        double perMac = field(r.out(), "instructions_per_mac");
        assertTrue(perMac > 0.1 && perMac < 2, r.out());
        assertTrue(field(r.out(), "instructions") < 10_000_000, r.out());
    }

    private static double field(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": ([-0-9.eE+]+)[,\\n]").matcher(json);
        assertTrue(m.find(), key + " missing in\n" + json);
        return Double.parseDouble(m.group(1));
    }
}
