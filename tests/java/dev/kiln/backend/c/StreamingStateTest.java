package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.cli.Main;
import dev.kiln.io.Npy;
import dev.kiln.ir.NdArray;
import dev.kiln.toolchain.Exec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --state h_in=h_out}: the GRU anomaly model compiled to C keeps one state buffer that each call updates in
 * place (the same pointer passed as h_in and h_out); 100 consecutive calls from a zero state give ONNX Runtime's
 * outputs when it is fed its own state back (tests/models/gru_anomaly/stream, recorded by
 * tests/tools/recurrent_models.py). Built with -Werror -pedantic and ASan/UBSan.
 */
class StreamingStateTest {
    private static final Path MODEL = TestFiles.models().resolve("gru_anomaly");

    @TempDir
    Path tmp;

    private int compile(Path out, StringWriter err, String... extra) {
        List<String> args = new ArrayList<>(List.of("compile", MODEL.resolve("model.onnx").toString(), "-o", out.toString(), "--name", "anomaly"));
        args.addAll(List.of(extra));
        return Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err), args.toArray(String[]::new));
    }

    @Test
    void oneStateBufferOver100CallsMatchesOnnxRuntimeFedItsOwnState() throws Exception {
        Path out = tmp.resolve("anomaly");
        StringWriter err = new StringWriter();
        assertEquals(0, compile(out, err, "--state", "h_in=h_out"), err.toString());
        String readme = Files.readString(out.resolve("README.md"));
        assertTrue(readme.contains("## Streaming state") && readme.contains("anomaly_run(in_x, state_h_in, out_recon, out_score, state_h_in, arena)"),
                "the README shows the streaming loop with one state buffer");

        NdArray x = Npy.read(MODEL.resolve("stream/x.npy"), 1 << 24);
        NdArray recon = Npy.read(MODEL.resolve("stream/recon.npy"), 1 << 24), score = Npy.read(MODEL.resolve("stream/score.npy"), 1 << 24),
                h = Npy.read(MODEL.resolve("stream/h.npy"), 1 << 24);
        int calls = x.shape().dim(0), frame = x.size() / calls;
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stdint.h>\n#include \"anomaly.h\"\n\nstatic const float xs[")
                .append(x.size()).append("] = {\n");
        for (int i = 0; i < x.size(); i++) c.append(Float.toString(x.getFloat(i))).append("f,").append(i % 8 == 7 ? "\n" : " ");
        c.append("};\n\nstatic uint64_t arena[ANOMALY_ARENA_WORDS];\nstatic float state[ANOMALY_INPUT_1_SIZE];\n")
                .append("static float recon[ANOMALY_OUTPUT_0_SIZE], score[ANOMALY_OUTPUT_1_SIZE];\n\nint main(void)\n{\n")
                .append("    for (int call = 0; call < ").append(calls).append("; ++call) {\n")
                .append("        if (anomaly_run(xs + call * ").append(frame).append(", state, recon, score, state, arena) != 0) return 1;\n")
                .append("        for (int i = 0; i < ANOMALY_OUTPUT_0_SIZE; ++i) printf(\"%.9g\\n\", (double)recon[i]);\n")
                .append("        for (int i = 0; i < ANOMALY_OUTPUT_1_SIZE; ++i) printf(\"%.9g\\n\", (double)score[i]);\n")
                .append("        for (int i = 0; i < ANOMALY_INPUT_1_SIZE; ++i) printf(\"%.9g\\n\", (double)state[i]);\n")
                .append("    }\n    return 0;\n}\n");
        Files.writeString(out.resolve("main.c"), c.toString());
        Exec.require("gcc", "apt-get install gcc");
        List<String> cc = new ArrayList<>(List.of("gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-fsanitize=address,undefined",
                "-fno-sanitize-recover=all", "main.c", "anomaly.c", "anomaly_weights.c", "-lm", "-o", "stream"));
        Exec.Result built = Exec.run(cc, out, 180);
        assertEquals(0, built.exit(), () -> "gcc failed: " + built.tail(2000));
        Exec.Result ran = Exec.run(List.of("./stream"), out, 120);
        assertEquals(0, ran.exit(), () -> "the streaming program failed: " + ran.tail(2000));
        String[] lines = ran.out().strip().split("\n");
        int nr = recon.size() / calls, ns = score.size() / calls, nh = h.size() / calls;
        assertEquals(calls * (nr + ns + nh), lines.length, "one line per value");
        int at = 0;
        for (int call = 0; call < calls; call++) {
            for (int i = 0; i < nr; i++) near(recon.getDouble(call * nr + i), lines[at++], "recon", call);
            for (int i = 0; i < ns; i++) near(score.getDouble(call * ns + i), lines[at++], "score", call);
            for (int i = 0; i < nh; i++) near(h.getDouble(call * nh + i), lines[at++], "state", call);
        }
    }

    private static void near(double want, String line, String what, int call) {
        double got = Double.parseDouble(line.strip());
        assertTrue(Math.abs(got - want) <= 1e-4 + 1e-3 * Math.abs(want), what + " of call " + call + ": " + got + ", ONNX Runtime " + want);
    }

    @Test
    void aStatePairThatIsNotInTheModelIsAUsageError() {
        StringWriter err = new StringWriter();
        assertEquals(2, compile(tmp.resolve("bad"), err, "--state", "h_in=nope"));
        assertTrue(err.toString().contains("no output 'nope'") && err.toString().contains("h_out"), err.toString());
        err = new StringWriter();
        assertEquals(2, compile(tmp.resolve("bad2"), err, "--state", "x=h_out"));
        assertTrue(err.toString().contains("differ"), err.toString());
        assertTrue(!Files.exists(tmp.resolve("bad")) && !Files.exists(tmp.resolve("bad2")), "nothing written");
    }
}
