package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.toolchain.Exec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Int8 C for cortex-m0plus (no FPU) contains no floating point: every int8 kernel (all of
 * {@link Int8KernelsTest}'s cases, plus a small network chaining them) is compiled with the target's flags, and
 * the objects must reference no soft-float helper ({@code __aeabi_f*}, {@code __aeabi_d*}, the int/float
 * conversions, libgcc's {@code *sf*}/{@code *df*} routines) and contain no VFP instruction. The same check on a
 * float model proves the check itself can fail.
 */
class Int8NoFloatTest {
    /** Soft-float entry points of the Arm EABI and of libgcc. */
    private static final Pattern SOFT_FLOAT = Pattern.compile(
            "__aeabi_(f|d|[iu]2[fd]|u?l2[fd]|[fd]2)\\w*|__\\w*(sf|df)\\d?\\b|__(float|fix)\\w*");
    /** VFP/FPU instruction mnemonics in a disassembly. */
    private static final Pattern FPU_INSN = Pattern.compile("\\t(vadd|vsub|vmul|vdiv|vldr|vstr|vmov|vcvt|vcmp|vfma|vneg|vabs|vsqrt|vpush|vpop)\\b");

    @Test
    void int8KernelsForCortexM0plusHaveNoFloat() throws Exception {
        List<Checker.Job> jobs = new ArrayList<>(new Int8KernelsTest().cases());
        String found = floatIn(jobs);
        assertEquals("", found, "floating point in int8 code for cortex-m0plus");
    }

    @Test
    void theCheckFindsFloatInAFloatModel() throws Exception {
        dev.kiln.ir.Graph g = new dev.kiln.ir.Graph("f");
        dev.kiln.ir.Value x = g.addInput("x", dev.kiln.ir.TensorType.of(dev.kiln.ir.DType.F32, 1, 4));
        g.addOutput(g.addNode(dev.kiln.ops.Ops.SIGMOID, "s", List.of(x), dev.kiln.ir.Attrs.EMPTY).output(0));
        String found = floatIn(List.of(new Checker.Job("float_sigmoid", g, List.of())));
        assertTrue(found.contains("__aeabi_f"), "a float model references soft-float helpers: " + found);
    }

    /** The soft-float symbols and FPU instructions found in the compiled models (empty when none). */
    private static String floatIn(List<Checker.Job> jobs) throws Exception {
        Target t = Target.load("cortex-m0plus");
        Exec.require(t.cc(), "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi");
        Exec.require("arm-none-eabi-nm", "apt-get install binutils-arm-none-eabi");
        Path dir = Files.createTempDirectory("kiln-nofloat-");
        StringBuilder found = new StringBuilder();
        try {
            for (int i = 0; i < jobs.size(); i++) {
                Checker.Job j = jobs.get(i);
                String prefix = "m" + i;
                GeneratedCode code = new CBackend().generate(j.graph(), t, new Backend.Options(prefix, null, j.name()));
                for (Map.Entry<String, String> f : code.files().entrySet()) Files.writeString(dir.resolve(f.getKey()), f.getValue());
                for (String src : List.of(prefix + ".c", prefix + "_weights.c")) {
                    String obj = src.replace(".c", ".o");
                    List<String> cmd = new ArrayList<>(List.of(t.cc()));
                    cmd.addAll(t.cflags());
                    cmd.addAll(List.of("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I.", "-c", src, "-o", obj));
                    Exec.Result r = Exec.run(cmd, dir, 300);
                    assertEquals(0, r.exit(), j.name() + ": " + r.tail(2000));
                    Exec.Result nm = Exec.run(List.of("arm-none-eabi-nm", "-u", obj), dir, 60);
                    assertEquals(0, nm.exit(), nm.tail(500));
                    Matcher m = SOFT_FLOAT.matcher(nm.out());
                    while (m.find()) found.append(j.name()).append(": ").append(m.group()).append('\n');
                    Exec.Result dis = Exec.run(List.of("arm-none-eabi-objdump", "-d", obj), dir, 60);
                    assertEquals(0, dis.exit(), dis.tail(500));
                    Matcher v = FPU_INSN.matcher(dis.out());
                    while (v.find()) found.append(j.name()).append(": ").append(v.group().trim()).append('\n');
                }
            }
        } finally {
            GeneratedCode.deleteTree(dir);
        }
        return found.toString();
    }
}
