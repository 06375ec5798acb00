package dev.kiln.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Resources;
import dev.kiln.toolchain.Exec;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link FixedPoint}: the Q31 form of multipliers, requantization against exact big-integer arithmetic, the
 * rounding rule on ties, compact (11-bit) multipliers packed in 16 bits, the fixed-point exp of qsoftmax, and the
 * C twins {@code kiln_requantize_q31} / {@code kiln_add_zp_clamp} / {@code kiln_packed_*} / {@code kiln_exp2_neg_q16}
 * on random data
 * (built with gcc under ASan/UBSan).
 */
class FixedPointTest {
    /** round_half_away(acc * m / 2^(31 - shift)) saturated to int32, in exact arithmetic. */
    private static long exact(int acc, int m, int shift) {
        int right = 31 - shift;
        BigInteger p = BigInteger.valueOf(acc).multiply(BigInteger.valueOf(m));
        BigInteger half = BigInteger.ONE.shiftLeft(right - 1);
        BigInteger q = p.abs().add(half).shiftRight(right);
        if (p.signum() < 0) q = q.negate();
        return Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, q.longValue()));
    }

    @Test
    void multipliersAreQ31MantissasWithinOneUlp() {
        Random r = new Random(3);
        for (int i = 0; i < 2000; i++) {
            double m = Math.exp(r.nextDouble() * 30 - 25); // about 1e-11 .. 1e2
            FixedPoint.Multiplier f = FixedPoint.of(m);
            if (f.multiplier() == 0) continue;
            assertTrue(f.multiplier() >= (1 << 30), () -> "mantissa below 2^30 for " + m);
            assertTrue(Math.abs(f.real() - m) <= m * 0x1p-30, () -> m + " became " + f.real());
        }
        assertEquals(new FixedPoint.Multiplier(1 << 30, 1), FixedPoint.of(1.0));
        assertEquals(new FixedPoint.Multiplier(1 << 30, 0), FixedPoint.of(0.5));
        assertEquals(0, FixedPoint.of(0).multiplier());
        assertThrows(IllegalArgumentException.class, () -> FixedPoint.of(40000));
        assertThrows(IllegalArgumentException.class, () -> FixedPoint.of(-1));
    }

    @Test
    void tiesRoundHalfAwayFromZero() {
        FixedPoint.Multiplier half = FixedPoint.of(0.5);
        assertEquals(3, half.apply(5));    // 2.5 -> 3
        assertEquals(-3, half.apply(-5));  // -2.5 -> -3
        assertEquals(2, half.apply(3));    // 1.5 -> 2
        assertEquals(0, half.apply(0));
        FixedPoint.Multiplier quarter = FixedPoint.of(0.25);
        assertEquals(1, quarter.apply(5));   // 1.25 -> 1
        assertEquals(-2, quarter.apply(-7)); // -1.75 -> -2
        assertEquals(Integer.MAX_VALUE, FixedPoint.of(4).apply(Integer.MAX_VALUE), "saturates to int32");
        assertEquals(127, FixedPoint.requantize(1000, FixedPoint.of(1.0), 5, -128, 127), "clamps to act_max");
        assertEquals(-3, FixedPoint.requantize(-1000, FixedPoint.of(1.0), 5, -3, 127), "clamps to act_min");
        assertEquals(3, FixedPoint.roundedDivide(5, 2));
        assertEquals(-3, FixedPoint.roundedDivide(-5, 2));
        assertEquals(2, FixedPoint.roundedDivide(7, 4)); // 1.75
    }

    @Test
    void requantizeEqualsExactArithmetic() {
        Random r = new Random(11);
        for (int i = 0; i < 20000; i++) {
            int acc = i % 2 == 0 ? r.nextInt() : r.nextInt(200001) - 100000;
            FixedPoint.Multiplier m = FixedPoint.of(Math.exp(r.nextDouble() * 24 - 20));
            if (m.multiplier() == 0) continue;
            assertEquals(exact(acc, m.multiplier(), m.shift()), FixedPoint.requantize(acc, m.multiplier(), m.shift()),
                    "acc " + acc + " m " + m);
        }
        assertEquals(0, FixedPoint.requantize(Integer.MAX_VALUE, 1 << 30, -40), "shifts past 62 bits give 0");
    }

    @Test
    void compactMultipliersHaveElevenBitMantissasAndPackLosslessly() {
        Random r = new Random(5);
        for (int i = 0; i < 2000; i++) {
            double m = Math.exp(r.nextDouble() * 30 - 25);
            FixedPoint.Multiplier f = FixedPoint.compact(m);
            if (f.multiplier() == 0) continue;
            assertTrue(FixedPoint.isCompact(f), () -> m + " gave " + f);
            assertTrue(f.multiplier() >= (1 << 30), () -> "mantissa below 2^30 for " + m);
            assertTrue(Math.abs(f.real() - m) <= m * 0x1p-11, () -> m + " became " + f.real());
            int base = f.shift() - r.nextInt(32);
            int p = FixedPoint.pack(f, base);
            assertTrue(p >= 0 && p < 65536, () -> "packed word " + p);
            assertEquals(f, FixedPoint.unpack(p, base));
        }
        assertEquals(new FixedPoint.Multiplier(1 << 30, 1), FixedPoint.compact(1.0));
        assertEquals(new FixedPoint.Multiplier(1 << 30, 1), FixedPoint.compact(0.99999), "rounds up into the next octave");
        assertEquals(0, FixedPoint.compact(0).multiplier());
        assertEquals(0, FixedPoint.unpack(FixedPoint.pack(FixedPoint.compact(0), -7), -7).multiplier());
        assertThrows(IllegalArgumentException.class, () -> FixedPoint.pack(FixedPoint.compact(1.0), -40), "shift span over 31");
        assertThrows(IllegalArgumentException.class, () -> FixedPoint.pack(FixedPoint.of(0.3), 0), "not compact");
    }

    @Test
    void exp2NegQ16IsWithinOneOfTheRoundedExactValue() {
        assertEquals(65536, FixedPoint.exp2NegQ16(0));
        assertEquals(32768, FixedPoint.exp2NegQ16(65536));
        assertEquals(1, FixedPoint.exp2NegQ16(16 * 65536));
        assertEquals(0, FixedPoint.exp2NegQ16(17 * 65536 + 100));
        assertEquals(0, FixedPoint.exp2NegQ16(255 * (1 << 21)));
        int off = 0;
        for (int t = 0; t < 20 * 65536; t += 7) {
            double exact = 65536.0 * Math.pow(2, -t / 65536.0);
            int got = FixedPoint.exp2NegQ16(t);
            assertTrue(Math.abs(got - exact) < 1.0, "t " + t + ": " + got + " vs " + exact);
            if (got != Math.round(exact)) off++;
        }
        assertTrue(off < 20 * 65536 / 7 / 100, "rounded differently from the exact value " + off + " times");
    }

    @Test
    void cTwinGivesTheSameResults() throws Exception {
        Random r = new Random(20240611L);
        List<String> calls = new ArrayList<>();
        List<Long> want = new ArrayList<>();
        int[] edges = {0, 1, -1, 2, -2, 3, -3, 5, -5, 127, -128, 255, -255, Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE + 1, 1 << 30, -(1 << 30)};
        double[] mults = {0.5, 0.25, 1.0, 1.5, 2.0, 3e-5, 1e-9, 0.0039215689, 1000.0, 32767.0, 1e-12};
        for (int a : edges)
            for (double md : mults) {
                FixedPoint.Multiplier m = FixedPoint.of(md);
                calls.add("kiln_requantize_q31(" + lit(a) + ", " + m.multiplier() + ", " + m.shift() + ")");
                want.add((long) FixedPoint.requantize(a, m.multiplier(), m.shift()));
            }
        for (int i = 0; i < 3000; i++) {
            int a = i % 3 == 0 ? r.nextInt() : r.nextInt(2000001) - 1000000;
            FixedPoint.Multiplier m = FixedPoint.of(Math.exp(r.nextGaussian() * 4 - 6));
            int zp = r.nextInt(256) - 128, lo = -128 + r.nextInt(20), hi = 127 - r.nextInt(20);
            calls.add("kiln_requantize_q31_s8(" + lit(a) + ", " + m.multiplier() + ", " + m.shift() + ", " + zp + ", " + lo + ", " + hi + ")");
            want.add((long) FixedPoint.requantize(a, m, zp, lo, hi));
            int v = r.nextInt();
            calls.add("kiln_add_zp_clamp(" + lit(v) + ", " + zp + ", " + lo + ", " + hi + ")");
            want.add((long) FixedPoint.addZeroPointAndClamp(v, zp, lo, hi));
        }
        for (int i = 0; i < 3000; i++) {
            int t = i < 40 ? i * 65536 - (i > 0 ? 1 : 0) : i % 2 == 0 ? r.nextInt(255 * (1 << 21)) : r.nextInt(18 << 16);
            calls.add("kiln_exp2_neg_q16(" + t + ")");
            want.add((long) FixedPoint.exp2NegQ16(t));
            FixedPoint.Multiplier m = FixedPoint.compact(Math.exp(r.nextGaussian() * 4 - 6));
            int base = m.shift() - r.nextInt(32);
            int p = FixedPoint.pack(m, base);
            FixedPoint.Multiplier u = FixedPoint.unpack(p, base);
            calls.add("kiln_packed_multiplier(" + p + "u)");
            want.add((long) u.multiplier());
            calls.add("kiln_packed_shift(" + p + "u, " + base + ")");
            want.add((long) u.shift());
        }
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include \"kiln_runtime.h\"\nint main(void) {\n");
        for (String k : calls) c.append("  printf(\"%ld\\n\", (long)").append(k).append(");\n");
        c.append("  return 0;\n}\n");

        Exec.require("gcc", "apt-get install gcc");
        Path dir = Files.createTempDirectory("kiln-fp-");
        try {
            Files.writeString(dir.resolve("kiln_runtime.h"), Resources.read("runtime-c/kiln_runtime.h"));
            Files.writeString(dir.resolve("t.c"), c.toString());
            Exec.Result built = Exec.run(List.of("gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "t.c", "-o", "t"), dir, 180);
            assertEquals(0, built.exit(), () -> "gcc failed: " + built.tail(2000));
            Exec.Result ran = Exec.run(List.of("./t"), dir, 60);
            assertEquals(0, ran.exit(), () -> "the test program failed: " + ran.tail(2000));
            String[] lines = ran.out().strip().split("\n");
            assertEquals(calls.size(), lines.length);
            for (int i = 0; i < lines.length; i++) assertEquals(want.get(i), Long.parseLong(lines[i].strip()), calls.get(i));
        } finally {
            dev.kiln.backend.GeneratedCode.deleteTree(dir);
        }
    }

    /** An int32 C literal (INT32_MIN has no literal of its own). */
    private static String lit(int v) { return v == Integer.MIN_VALUE ? "INT32_MIN" : Integer.toString(v); }
}
