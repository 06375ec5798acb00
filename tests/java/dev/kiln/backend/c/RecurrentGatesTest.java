package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.backend.Resources;
import dev.kiln.cli.Main;
import dev.kiln.toolchain.Exec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The float recurrent gates and products on C: kiln_runtime.h's vectorisable exp, sigmoid and tanh stay within
 * 1e-6 relative of libm's double results over the whole useful range (and keep NaN); the LSTM keyword spotter's
 * host C takes the input products of all steps as one tiled product and holds the step's accumulators in SIMD
 * vectors, while cortex-m4f keeps the per-step product (no extra arena) and shares the gate functions.
 */
class RecurrentGatesTest {
    @TempDir
    Path tmp;

    @Test
    void gateFunctionsAreWithinOneMillionthOfLibm() throws Exception {
        String c = """
                #include <math.h>
                #include <stdio.h>
                #include "kiln_runtime.h"
                static double rel(double got, double want) { return want == 0.0 ? fabs(got) : fabs(got - want) / fabs(want); }
                int main(void)
                {
                    double es = 0, et = 0, ee = 0;
                    long i;
                    for (i = -800000; i <= 800000; ++i) {
                        const float x = (float)i * 1e-4f;
                        double s = rel(kiln_sigmoid_f32(x), 1.0 / (1.0 + exp(-(double)x)));
                        double t = rel(kiln_tanh_f32(x), tanh((double)x));
                        double e = rel(kiln_exp_f32(x), exp((double)x));
                        es = s > es ? s : es;
                        et = t > et ? t : et;
                        ee = e > ee ? e : ee;
                    }
                    for (i = -600; i <= 600; ++i) {
                        const float x = (float)i * 0.125f;
                        double s = rel(kiln_sigmoid_f32(x), 1.0 / (1.0 + exp(-(double)x)));
                        double t = rel(kiln_tanh_f32(x), tanh((double)x));
                        es = s > es ? s : es;
                        et = t > et ? t : et;
                    }
                    printf("%.3g %.3g %.3g %d %d %g %g\\n", es, et, ee, kiln_sigmoid_f32(NAN) != kiln_sigmoid_f32(NAN),
                           kiln_tanh_f32(NAN) != kiln_tanh_f32(NAN), (double)kiln_tanh_f32(-1e30f), (double)kiln_sigmoid_f32(1e30f));
                    return 0;
                }
                """;
        Exec.require("gcc", "apt-get install gcc");
        Files.writeString(tmp.resolve("kiln_runtime.h"), Resources.read("runtime-c/kiln_runtime.h"));
        Files.writeString(tmp.resolve("t.c"), c);
        Exec.Result built = Exec.run(List.of("gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-fsanitize=address,undefined",
                "-fno-sanitize-recover=all", "t.c", "-o", "t", "-lm"), tmp, 120);
        assertEquals(0, built.exit(), () -> "gcc failed: " + built.tail(2000));
        Exec.Result ran = Exec.run(List.of("./t"), tmp, 120);
        assertEquals(0, ran.exit(), () -> "the test program failed: " + ran.tail(2000));
        String[] v = ran.out().strip().split(" ");
        assertTrue(Double.parseDouble(v[0]) < 1e-6, "sigmoid's largest relative error " + v[0]);
        assertTrue(Double.parseDouble(v[1]) < 1e-6, "tanh's largest relative error " + v[1]);
        assertTrue(Double.parseDouble(v[2]) < 1e-6, "exp's largest relative error " + v[2]);
        assertEquals(List.of("1", "1", "-1", "1"), List.of(v[3], v[4], v[5], v[6]), "NaN stays NaN, the ends saturate: " + ran.out());
    }

    @Test
    void hostTakesAllInputProductsAtOnceAndMcusKeepTheStepForm() throws Exception {
        String host = compile("host"), m4 = compile("cortex-m4f");
        assertTrue(host.contains("px[(t0 + u) * 256u + r0 + e] = a[u][e]"), "host: the tiled input projection of all steps");
        assertTrue(host.contains("vector_size(64)") && host.contains("vf a[16]"), "host: the step product in 16 SIMD accumulators");
        assertTrue(host.contains("kiln_sigmoid_f32(v)") && host.contains("kiln_tanh_f32(v)"), "host: the vectorisable gates");
        assertFalse(m4.contains("px[") || m4.contains("vector_size"), "cortex-m4f: the per-step products");
        assertTrue(m4.contains("kiln_sigmoid_f32(v)"), "cortex-m4f: the same gate functions");
    }

    private String compile(String target) throws Exception {
        Path out = tmp.resolve(target);
        StringWriter err = new StringWriter();
        int rc = Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err), "compile",
                TestFiles.models().resolve("lstm_kws/model.onnx").toString(), "-t", target, "-o", out.toString(), "--name", "kws");
        assertEquals(0, rc, err.toString());
        return Files.readString(out.resolve("kws.c"));
    }
}
