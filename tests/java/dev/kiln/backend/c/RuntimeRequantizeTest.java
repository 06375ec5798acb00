package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.backend.Resources;
import dev.kiln.ir.DType;
import dev.kiln.ops.Quantization;
import dev.kiln.toolchain.Exec;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Compiles a small C program against runtime-c/kiln_runtime.h with the host gcc and checks that its quantization
 * helpers give exactly what {@link Quantization} gives in Java, on random values and on the edges: exact halves,
 * huge accumulators, negative values, saturation at both ends, NaN and infinities.
 */
class RuntimeRequantizeTest {
    private static final DType[] TYPES = {DType.I8, DType.U8, DType.I16, DType.U16};

    /** One call of a helper: the C expression's argument list and the value Java expects. */
    private record Case(String args, long expected) {}

    @Test
    void helpersMatchJava() throws Exception {
        Random r = new Random(20240611L);
        Method roundAndSaturate = Quantization.class.getDeclaredMethod("roundAndSaturate", double.class, long.class, DType.class);
        roundAndSaturate.setAccessible(true);

        List<Float> floats = new ArrayList<>();
        for (float f : new float[] {0f, -0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 126.5f, 127.5f, -128.5f, -127.5f, 255.5f, 254.5f,
                0.49999997f, -0.49999997f, 8388607.5f, -8388607.5f, 8388608f, 16777215f, 16777217f, 1e9f, -1e9f, 3e38f, -3e38f,
                Float.MIN_VALUE, -Float.MIN_VALUE, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 32767.5f, 65535.5f, -32768.5f})
            floats.add(f);
        for (int i = 0; i < 300; i++) floats.add((r.nextInt(2000) - 1000) + 0.5f); // exact halves
        for (int i = 0; i < 300; i++) floats.add((float) (r.nextGaussian() * 300));
        for (int i = 0; i < 100; i++) floats.add(Float.intBitsToFloat(r.nextInt())); // any bit pattern

        List<Case> round32 = new ArrayList<>(), sat32 = new ArrayList<>(), sat64 = new ArrayList<>(), requant = new ArrayList<>();
        for (float f : floats) {
            double want = Math.rint(f);
            // why: the C helper keeps NaN and the infinities; compare them by their float bits
            round32.add(new Case(bits(f), Float.floatToIntBits((float) want == 0 ? 0f : (float) want)));
        }
        for (float f : floats) {
            DType t = TYPES[r.nextInt(TYPES.length)];
            long zp = zeroPoint(r, t);
            long want = (long) roundAndSaturate.invoke(null, (double) f, zp, t);
            sat32.add(new Case(bits(f) + ", " + zp + ", " + t.minValue() + ", " + t.maxValue(), want));
        }
        List<Double> doubles = new ArrayList<>();
        for (double d : new double[] {0.5, -0.5, 2.5, -2.5, 127.49999999999999, 127.50000000000001, 4503599627370495.5, 1e300, -1e300,
                Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 65535.5, -32768.5, 1e-310})
            doubles.add(d);
        for (int i = 0; i < 300; i++) doubles.add((r.nextInt(100000) - 50000) + 0.5);
        for (int i = 0; i < 300; i++) doubles.add(r.nextGaussian() * 20000);
        for (int i = 0; i < 100; i++) doubles.add(Double.longBitsToDouble(r.nextLong()));
        for (double d : doubles) {
            DType t = TYPES[r.nextInt(TYPES.length)];
            long zp = zeroPoint(r, t);
            long want = (long) roundAndSaturate.invoke(null, d, zp, t);
            sat64.add(new Case("kiln_test_f64(0x" + Long.toHexString(Double.doubleToRawLongBits(d)) + "ull), " + zp + ", "
                    + t.minValue() + ", " + t.maxValue(), want));
        }
        int[] accs = {0, 1, -1, 3, -3, 5, -5, 255, -255, Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE - 64, 16777217, -16777217, 1 << 30};
        float[] mults = {0.5f, 0.25f, 1f, 0.0039215689f, 1.5f, 3e-5f, 1e-9f, 2f, 1e30f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0.5f};
        for (int a : accs)
            for (float m : mults) requant.add(requantCase(r, a, m));
        for (int i = 0; i < 1500; i++) {
            int a = i % 3 == 0 ? r.nextInt() : r.nextInt(200001) - 100000;
            float m = i % 4 == 0 ? 1f / (1 << (1 + r.nextInt(12))) : (float) Math.exp(r.nextGaussian() * 3 - 6);
            requant.add(requantCase(r, a, m));
        }

        StringBuilder c = new StringBuilder();
        c.append("#include <stdio.h>\n#include <string.h>\n#include \"kiln_runtime.h\"\n");
        c.append("static float kiln_test_f32(uint32_t b) { float f; memcpy(&f, &b, sizeof f); return f; }\n");
        c.append("static double kiln_test_f64(uint64_t b) { double d; memcpy(&d, &b, sizeof d); return d; }\n");
        c.append("static uint32_t kiln_test_bits(float f) { uint32_t b; memcpy(&b, &f, sizeof b); return b; }\n");
        c.append("int main(void) {\n");
        for (Case k : round32)
            c.append("  { float v = kiln_round_half_even_f32(").append(k.args)
                    .append("); if (v == 0.0f) v = 0.0f; printf(\"%ld\\n\", v != v ? 0x7fc00000L : (long)(int32_t)kiln_test_bits(v)); }\n");
        for (Case k : sat32) c.append("  printf(\"%ld\\n\", (long)kiln_round_saturate_f32(").append(k.args).append("));\n");
        for (Case k : sat64) c.append("  printf(\"%ld\\n\", (long)kiln_round_saturate_f64(").append(k.args).append("));\n");
        for (Case k : requant) c.append("  printf(\"%ld\\n\", (long)").append(k.args).append(");\n");
        c.append("  return 0;\n}\n");

        Exec.require("gcc", "apt-get install gcc");
        Path dir = Files.createTempDirectory("kiln-rt-");
        try {
            Files.writeString(dir.resolve("kiln_runtime.h"), Resources.read("runtime-c/kiln_runtime.h"));
            Files.writeString(dir.resolve("t.c"), c.toString());
            List<String> cc = new ArrayList<>(List.of("gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "t.c", "-o", "t"));
            Exec.Result built = Exec.run(cc, dir, 120);
            assertEquals(0, built.exit(), () -> "gcc failed: " + built.tail(2000));
            Exec.Result ran = Exec.run(List.of("./t"), dir, 60);
            assertEquals(0, ran.exit(), () -> "the test program failed: " + ran.tail(2000));
            String[] lines = ran.out().strip().split("\n");
            List<Case> all = new ArrayList<>(round32);
            all.addAll(sat32);
            all.addAll(sat64);
            all.addAll(requant);
            assertEquals(all.size(), lines.length, "one output line per case");
            for (int i = 0; i < lines.length; i++) {
                Case k = all.get(i);
                assertEquals(k.expected, Long.parseLong(lines[i].strip()), "case " + i + ": " + k.args);
            }
        } finally {
            dev.kiln.backend.GeneratedCode.deleteTree(dir);
        }
    }

    private static Case requantCase(Random r, int acc, float m) {
        boolean u8 = r.nextBoolean();
        DType t = u8 ? DType.U8 : DType.I8;
        long zp = zeroPoint(r, t);
        long want = Quantization.requantize(acc, m, zp, t);
        String mult = bits(m);
        String call = r.nextBoolean()
                ? "kiln_requantize_f32(" + acc(acc) + ", " + mult + ", " + zp + ", " + t.minValue() + ", " + t.maxValue() + ")"
                : "kiln_requantize_" + (u8 ? "u8" : "s8") + "(" + acc(acc) + ", " + mult + ", " + zp + ")";
        return new Case(call, want);
    }

    private static String acc(int a) {
        return a == Integer.MIN_VALUE ? "(-2147483647 - 1)" : Integer.toString(a);
    }

    private static String bits(float f) {
        return "kiln_test_f32(0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + "u)";
    }

    private static long zeroPoint(Random r, DType t) {
        long lo = t.minValue(), hi = t.maxValue();
        switch (r.nextInt(4)) {
            case 0: return lo;
            case 1: return hi;
            case 2: return 0;
            default: return lo + (long) (r.nextDouble() * (hi - lo + 1));
        }
    }
}
