package dev.kiln.toolchain;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Templates;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/** Times generated C on the host: builds it with the target's flags and a timing main, returns the median. */
public final class HostBench {
    private HostBench() {}

    /** The model object of {@code benchMain}. */
    public static final class BenchModel {
        public String prefix, PREFIX;
        public int warmup, runs, inSlots, outSlots;
        public final List<CProgramRunner.Tensor> inputs = new ArrayList<>(), outputs = new ArrayList<>();
    }

    /** Median latency in milliseconds of {@code runs} inferences after {@code warmup} (deterministic random inputs). */
    public static double medianMillis(GeneratedCode code, Templates templates, int warmup, int runs) {
        BenchModel b = new BenchModel();
        b.prefix = code.name();
        b.PREFIX = code.name().toUpperCase(Locale.ROOT);
        b.warmup = warmup;
        b.runs = runs;
        Random rnd = new Random(1);
        int i = 0;
        for (Value v : code.graph().inputs()) {
            NdArray a = NdArray.zeros(v.type());
            if (v.dtype().isFloat()) for (int e = 0; e < a.size(); e++) a.setDouble(e, rnd.nextFloat() * 2 - 1);
            b.inputs.add(CProgramRunner.Tensor.input(i++, v, a));
        }
        i = 0;
        for (Value v : code.graph().outputs())
            b.outputs.add(CProgramRunner.Tensor.output(i++, v));
        b.inSlots = Math.max(1, b.inputs.size());
        b.outSlots = Math.max(1, b.outputs.size());
        Path dir = null;
        try {
            dir = Files.createTempDirectory("kiln-bench-");
            code.writeTo(dir);
            Files.writeString(dir.resolve("bench.c"), templates.render("benchMain", "b", b));
            List<String> cmd = new ArrayList<>();
            cmd.add(code.target().cc());
            cmd.addAll(code.target().cflags());
            cmd.addAll(CProgramRunner.WARNINGS);
            cmd.addAll(List.of("-I.", "bench.c", code.name() + ".c", code.name() + "_weights.c", "-o", "bench", "-lm"));
            Exec.Result r = Exec.run(cmd, dir, 600);
            if (r.exit() != 0) throw new KilnException(Code.BUILD_FAILED, Location.NONE, "benchmark does not build: " + r.tail(2000));
            Exec.Result run = Exec.run(List.of("./bench"), dir, 600);
            if (run.exit() != 0) throw new KilnException(Code.RUN_FAILED, Location.NONE, "benchmark failed: " + run.tail(2000));
            double[] ns = Arrays.stream(run.out().strip().split("\n")).mapToDouble(Double::parseDouble).sorted().toArray();
            return ns[ns.length / 2] / 1e6;
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.NONE, "benchmark folder: " + e.getMessage());
        } finally {
            if (dir != null) {
                try {
                    GeneratedCode.deleteTree(dir);
                } catch (IOException ignored) {
                    // a leftover temporary folder is harmless
                }
            }
        }
    }
}
