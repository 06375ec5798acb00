package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.HostIsa;
import dev.kiln.backend.Resources;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.toolchain.CProgramRunner;
import dev.kiln.toolchain.Exec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The host int8 kernels (kiln_int8_host.h: packed GEMM convolutions and products, depthwise over a padded plane)
 * against the interpreter, byte for byte: Int8KernelsTest's cases plus shapes that exercise the tiles' edges
 * (channels not a multiple of 8, reductions not a multiple of 4, positions not a multiple of 16, batches, u8 inputs,
 * the first layer of DS-CNN, strided and dilated depthwise, matrix products of one row and of 6 rows). Each GEMM path is
 * run where this machine has it: plain C under ASan/UBSan, AVX-512 VNNI (also under the sanitizers), AVX-VNNI and AVX2
 * (x86-64-v3); x86-64-v4's flags are checked to select the AVX2 path; AArch64's NEON and sdot paths run under
 * qemu-aarch64 (aarch64-linux, aarch64-linux-dotprod).
 */
class HostInt8KernelsTest {
    private final Int8KernelsTest base = new Int8KernelsTest();

    private List<Checker.Job> cases() {
        List<Checker.Job> jobs = new ArrayList<>(base.cases());
        QuantParams qx = QuantParams.perTensor(0.05f, -3), qu = QuantParams.perTensor(0.05f, 131);
        // 20 output channels (a block of 4 past two of 8), 9 input channels of 3x3 (81: a tail of 1), 7x6 = 42 positions
        jobs.add(base.conv("h_conv_edges", qx, 2, 9, 7, 6, 20, 3, 3, 1, Attrs.of("pads", new long[] {1, 1, 1, 1},
                "out_scale", 0.4, "out_zero_point", -4L), true, false));
        // u8 input, stride 2 with dilation 2 and uneven pads
        jobs.add(base.conv("h_conv_u8_dil", qu, 1, 5, 11, 9, 11, 3, 2, 1, Attrs.of("strides", new long[] {2, 2},
                "dilations", new long[] {2, 2}, "pads", new long[] {2, 0, 1, 3}, "out_scale", 0.3, "out_zero_point", 3L), true, true));
        // DS-CNN's first layer: one input channel, 10x4 window, stride 2, pads
        jobs.add(base.conv("h_conv_first", qx, 1, 1, 19, 10, 12, 10, 4, 1, Attrs.of("strides", new long[] {2, 2},
                "pads", new long[] {4, 1, 5, 2}, "out_scale", 0.1, "out_zero_point", -128L, "act_min", -128L), true, false));
        // pointwise: 37 input channels, 33 outputs, 6x7 positions, u8
        jobs.add(base.conv("h_pw_u8", qu, 1, 37, 6, 7, 33, 1, 1, 1, Attrs.of("out_scale", 0.5, "out_zero_point", 0L), false, true));
        // 1-D, stride 1
        jobs.add(base.conv("h_conv_1d", qx, 2, 6, 23, 0, 9, 3, 0, 1, Attrs.of("pads", new long[] {1, 1}, "out_scale", 0.2,
                "out_zero_point", 1L), true, false));
        // depthwise: stride 1 (the flat pass), stride 2, dilation, 81 taps, 1-D, u8, a multiplier of three
        jobs.add(base.conv("h_dw_s1", qx, 2, 5, 9, 6, 5, 3, 3, 5, Attrs.of("group", 5L, "pads", new long[] {1, 1, 1, 1},
                "out_scale", 0.05, "out_zero_point", 2L), true, false));
        jobs.add(base.conv("h_dw_s2", qx, 1, 4, 11, 10, 4, 3, 3, 4, Attrs.of("group", 4L, "strides", new long[] {2, 2},
                "pads", new long[] {0, 1, 1, 1}, "out_scale", 0.04, "out_zero_point", -6L), false, false));
        jobs.add(base.conv("h_dw_dil_mult", qu, 1, 2, 9, 9, 6, 3, 3, 2, Attrs.of("group", 2L, "dilations", new long[] {2, 2},
                "pads", new long[] {2, 1, 0, 2}, "out_scale", 0.06, "out_zero_point", 10L, "act_min", -50L, "act_max", 60L), true, true));
        // 6x6 planes (VWW's late layers): 16 to 64 flat outputs, requantized in registers on AVX-512
        jobs.add(base.conv("h_dw_small", qx, 1, 18, 6, 6, 18, 3, 3, 18, Attrs.of("group", 18L, "pads", new long[] {1, 1, 1, 1},
                "out_scale", 0.07, "out_zero_point", -128L, "act_min", -128L), true, false));
        // pointwise over 20x15 = 300 positions: a chunk of 256 sums and one of 44 (kiln_qgemm_s8)
        jobs.add(base.conv("h_pw_chunks", qx, 1, 12, 20, 15, 10, 1, 1, 1, Attrs.of("out_scale", 0.3, "out_zero_point", 5L), true, false));
        // 81 taps (AArch64 sums them in groups of 64, the second group adding to the first)
        jobs.add(base.conv("h_dw_81taps", qx, 1, 3, 10, 10, 3, 9, 9, 3, Attrs.of("group", 3L, "pads", new long[] {4, 4, 4, 4},
                "out_scale", 0.6, "out_zero_point", -1L), true, false));
        jobs.add(base.conv("h_dw_1d", qx, 1, 3, 14, 0, 3, 5, 0, 3, Attrs.of("group", 3L, "strides", new long[] {3}, "pads", new long[] {2, 2},
                "out_scale", 0.05, "out_zero_point", 1L), true, false));
        // matrix products: 19 rows (a partial tile), 70 columns (eight blocks and a tail), K 33
        jobs.add(base.matmul("h_matmul_big", 19, 33, 70, true, true));
        // one row (a fully-connected layer: AArch64 computes 4 positions, not 16) and 6 rows, u8 per tensor
        jobs.add(base.matmul("h_matmul_row", 1, 50, 21, true, true));
        jobs.add(base.matmul("h_matmul_rows_u8", 6, 13, 9, false, false));
        return jobs;
    }

    /** The plain-C path: the host's sanitizer flags without {@code -march=native} (x86-64's baseline ISA). */
    @Test
    void plainCWithSanitizersMatchesTheInterpreter() {
        Target t = Target.load("host");
        List<String> flags = new java.util.ArrayList<>(t.sanitizeCflags());
        assertTrue(flags.remove("-march=native"), "the host's sanitizer build takes the native ISA paths: " + flags);
        check(t.with(Map.of("sanitize.cflags", String.join(" ", flags))), true, "c");
    }

    @Test
    void avx512VnniMatchesTheInterpreter() {
        assumeTrue(HostIsa.detected().contains("avx512vnni"), "this CPU has no AVX-512 VNNI");
        check(Target.load("host").with(Map.of("cflags", "-O3 -march=native")), false, "avx512vnni");
    }

    @Test
    void avx512VnniWithSanitizersMatchesTheInterpreter() {
        assumeTrue(HostIsa.detected().contains("avx512vnni"), "this CPU has no AVX-512 VNNI");
        check(Target.load("host"), true, "avx512vnni");
    }

    @Test
    void avxVnniMatchesTheInterpreter() {
        assumeTrue(HostIsa.detected().contains("avxvnni"), "this CPU has no AVX-VNNI");
        check(Target.load("host").with(Map.of("cflags", "-O2 -march=x86-64-v3 -mavxvnni")), false, "avxvnni");
    }

    @Test
    void avx2MatchesTheInterpreter() {
        assumeTrue(HostIsa.detected().contains("avx2"), "this CPU has no AVX2");
        check(Target.load("x86-64-v3"), false, "avx2");
    }

    /** aarch64-linux (Armv8-A): the NEON tile (smull, sadalp) on B's signed form, under qemu-aarch64. */
    @Test
    void aarch64NeonMatchesTheInterpreter() {
        check(Target.load("aarch64-linux"), false, "neon");
    }

    /** aarch64-linux-dotprod (Armv8.2-A+dotprod): the sdot tile, under qemu-aarch64. */
    @Test
    void aarch64SdotMatchesTheInterpreter() {
        check(Target.load("aarch64-linux-dotprod"), false, "sdot");
    }

    /** x86-64-v4 has no VNNI: its flags select the AVX2 path, which avx2MatchesTheInterpreter runs. */
    @Test
    void x86v4CompilesTheAvx2Path() {
        assertEquals("avx2", compiledPath(Target.load("x86-64-v4"), Target.load("x86-64-v4").cflags()));
    }

    /** The host kernels are what host targets get; Cortex-M keeps its own; the banner names the instruction set. */
    @Test
    void hostFormsFollowTheTargetDescriptor() {
        Checker.Job conv = cases().get(0);
        String host = source(conv, "host"), v3 = source(conv, "x86-64-v3"), m4 = source(conv, "cortex-m4f");
        assertTrue(host.contains("host packed GEMM") && host.contains("#include \"kiln_int8_host.h\""), "host: packed GEMM");
        assertTrue(host.contains("Host int8 kernels for the instruction set: " + (HostIsa.detected().isEmpty() ? "plain C"
                : String.join(" ", HostIsa.detected()))), "the banner records the detected ISA");
        assertTrue(v3.contains("instruction set: avx2 fma"), "an explicit descriptor's ISA");
        assertFalse(m4.contains("kiln_int8_host") || m4.contains("instruction set"), "cortex-m4f: no host kernels");
        GeneratedCode g = new CBackend().generate(conv.graph(), Target.load("cortex-m4f"), new Backend.Options("t", null, conv.name()));
        assertFalse(g.files().containsKey("kiln_int8_host.h"), "no host header in a Cortex-M project");
    }

    private void check(Target t, boolean sanitize, String path) {
        assertEquals(path, compiledPath(t, sanitize ? t.sanitizeCflags() : t.cflags()), "the GEMM path " + t.cflags() + " compiles");
        List<Checker.Job> jobs = cases();
        List<Checker.Outcome> got = new CProgramRunner(t, sanitize, null).runAll(jobs);
        for (int i = 0; i < jobs.size(); i++) {
            Checker.Job j = jobs.get(i);
            Checker.Outcome o = got.get(i);
            assertNull(o.error(), path + " " + j.name());
            List<NdArray> want = new Interpreter(j.graph()).run(j.inputs());
            for (int k = 0; k < want.size(); k++)
                assertArrayEquals(want.get(k).toLongArray(), o.outputs().get(k).toLongArray(), path + " " + j.name());
        }
    }

    /**
     * KILN_QG_PATH as compiled with {@code flags} by {@code t}'s compiler: which GEMM path those flags select (aarch64:
     * a static program run under qemu-aarch64).
     */
    private static String compiledPath(Target t, List<String> flags) {
        boolean a64 = t.name().startsWith("aarch64");
        String cc = a64 ? "aarch64-linux-gnu-gcc" : "gcc";
        Exec.require(cc, "apt-get install " + (a64 ? "gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user" : "gcc"));
        try {
            Path dir = Files.createTempDirectory("kiln-qg-");
            try {
                for (String f : List.of("kiln_runtime.h", "kiln_int8_host.h")) Files.writeString(dir.resolve(f), Resources.read("runtime-c/" + f));
                Files.writeString(dir.resolve("p.c"), "#include <stdio.h>\n#include \"kiln_int8_host.h\"\nint main(void) { puts(KILN_QG_PATH); return 0; }\n");
                List<String> cmd = new ArrayList<>(List.of(cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"));
                cmd.addAll(flags);
                cmd.addAll(a64 ? List.of("-static", "p.c", "-o", "p") : List.of("p.c", "-o", "p"));
                Exec.Result built = Exec.run(cmd, dir, 120);
                assertEquals(0, built.exit(), () -> cc + " failed: " + built.tail(2000));
                return Exec.run(a64 ? List.of("qemu-aarch64", "./p") : List.of("./p"), dir, 60).out().strip();
            } finally {
                GeneratedCode.deleteTree(dir);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String source(Checker.Job j, String target) {
        return new CBackend().generate(j.graph(), Target.load(target), new Backend.Options("t", null, j.name())).files().get("t.c");
    }
}
