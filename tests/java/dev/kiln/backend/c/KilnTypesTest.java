package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.backend.Resources;
import dev.kiln.ir.DType;
import dev.kiln.ir.Half;
import dev.kiln.ir.SmallFloats;
import dev.kiln.io.OutputFiles;
import dev.kiln.toolchain.Exec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * runtime-c/kiln_types.h against its Java twins (Half, SmallFloats), bit for bit: every code of every narrow type
 * decoded, and values around every code (the codes themselves, the ties between neighbours, specials, random
 * values) encoded with and without saturation, in one C program built with -Werror -pedantic and sanitizers, once with
 * the portable converters and once with f16 through host gcc's {@code _Float16} ({@code KILN_FLOAT16_NATIVE}).
 */
class KilnTypesTest {
    @TempDir
    Path tmp;

    private static final List<DType> SMALL = List.of(DType.BF16, DType.F8E4M3FN, DType.F8E4M3FNUZ, DType.F8E5M2,
            DType.F8E5M2FNUZ, DType.F4E2M1, DType.F8E8M0);

    private static float decode(DType t, int c) { return t == DType.F16 ? Half.fromBits((short) c) : SmallFloats.decode(t, c); }

    private static int codes(DType t) { return t == DType.F16 || t == DType.BF16 ? 65536 : t == DType.F4E2M1 ? 16 : 256; }

    @Test
    void conversionsMatchTheInterpreterBitForBit() throws Exception {
        Set<Integer> probe = new LinkedHashSet<>();
        for (int b : new int[] {0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F7FFFFF, 1, 0x00400000, 0x80000001, 0x007FFFFF})
            probe.add(b);
        List<DType> all = new ArrayList<>(SMALL);
        all.add(0, DType.F16);
        for (DType t : all) {
            int n = codes(t);
            for (int c = 0; c < n; c += t == DType.F16 || t == DType.BF16 ? 97 : 1) {
                float v = decode(t, c), w = decode(t, c + 1 < n ? c + 1 : c);
                if (Float.isNaN(v)) continue;
                probe.add(Float.floatToRawIntBits(v));
                if (!Float.isNaN(w) && !Float.isInfinite(w) && !Float.isInfinite(v)) {
                    float mid = (v + w) / 2;
                    probe.add(Float.floatToRawIntBits(mid));
                    probe.add(Float.floatToRawIntBits(Math.nextUp(mid)));
                    probe.add(Float.floatToRawIntBits(Math.nextDown(mid)));
                }
            }
        }
        Random r = new Random(19);
        for (int i = 0; i < 3000; i++) probe.add(Float.floatToRawIntBits((float) (r.nextGaussian() * Math.pow(2, r.nextInt(40) - 20))));
        List<Integer> xs = new ArrayList<>(probe);

        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include \"kiln_types.h\"\nstatic const uint32_t xs[] = {");
        for (int i = 0; i < xs.size(); i++) c.append(i == 0 ? "" : ",").append(Integer.toUnsignedString(xs.get(i))).append('u');
        c.append("};\nint main(void)\n{\n    size_t i;\n    unsigned k;\n");
        StringBuilder want = new StringBuilder();
        for (DType t : all) {
            String name = t.shortName();
            c.append("    for (k = 0; k < ").append(codes(t)).append("u; ++k) printf(\"%08lx \", (unsigned long)kiln_f32_bits(kiln_")
                    .append(name).append("_to_f32((").append(t == DType.F16 || t == DType.BF16 ? "uint16_t" : "uint8_t").append(")k)));\n    printf(\"\\n\");\n");
            for (int k = 0; k < codes(t); k++) {
                int bits = Float.floatToRawIntBits(decode(t, k));
                want.append(String.format("%08x ", Float.isNaN(decode(t, k)) ? bits : bits));
            }
            want.append('\n');
            for (int sat = 0; sat <= 1; sat++) {
                String[] modes = t == DType.F8E8M0 ? new String[] {"up", "down", "nearest"} : new String[] {null};
                for (String mode : modes) {
                    String call = mode == null ? "kiln_f32_to_" + name + "(kiln_bits_f32(xs[i]), " + sat + ")"
                            : "kiln_f32_to_f8e8m0_mode(kiln_bits_f32(xs[i]), " + sat + ", KILN_E8M0_" + mode.toUpperCase() + ")";
                    c.append("    for (i = 0; i < sizeof xs / sizeof xs[0]; ++i) printf(\"%x \", (unsigned)").append(call).append(");\n    printf(\"\\n\");\n");
                    for (int x : xs) {
                        float v = Float.intBitsToFloat(x);
                        int code = t == DType.F16 ? Half.toBits(v) & 0xFFFF
                                : mode != null ? SmallFloats.encodeE8M0(v, mode, sat == 1) : SmallFloats.encode(t, v, sat == 1);
                        want.append(Integer.toHexString(code)).append(' ');
                    }
                    want.append('\n');
                }
            }
        }
        c.append("    return 0;\n}\n");
        OutputFiles.writeAtomically(tmp.resolve("kiln_types.h"), Resources.read("runtime-c/kiln_types.h").getBytes());
        OutputFiles.writeAtomically(tmp.resolve("main.c"), c.toString().getBytes());
        // the portable converters, and f16 through host gcc's _Float16 (a target's c.float16=native)
        for (String native16 : new String[] {"-DKILN_PORTABLE", "-DKILN_FLOAT16_NATIVE"}) {
            Exec.Result cc = Exec.run(List.of("gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", native16, "main.c", "-o", "prog"), tmp, 120);
            assertEquals(0, cc.exit(), cc.err());
            Exec.Result run = Exec.run(List.of("./prog"), tmp, 60);
            assertEquals(0, run.exit(), run.err());
            String[] got = run.out().split("\n"), exp = want.toString().split("\n");
            assertEquals(exp.length, got.length);
            for (int i = 0; i < exp.length; i++) assertEquals(exp[i].strip(), got[i].strip(), native16 + ": line " + i + " of the conversion table");
        }
    }
}
