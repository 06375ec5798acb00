package dev.kiln.toolchain;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Templates;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import dev.kiln.quant.Int8Io;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Times generated C on the host: builds it with the target's flags around a timing main and keeps that program
 * running, so timed chunks can be asked for one after another (alternating with another runtime's).
 */
public final class HostBench implements AutoCloseable {
    /** The model object of {@code benchMain}. */
    public static final class BenchModel {
        public String prefix, PREFIX;
        public int warmup, inSlots, outSlots;
        /** For {@code profileMain}: timed inferences. */
        public int runs;
        /** The C function a bare-metal counting program calls before it prints ({@code initialise_monitor_handles}), or null. */
        public String semihostingInit;
        public final List<CProgramRunner.Tensor> inputs = new ArrayList<>(), outputs = new ArrayList<>();

        /** The bench model of {@code code} fed with {@code inputs} (by graph input name, see {@link #inputs}). */
        public static BenchModel of(GeneratedCode code, Map<String, NdArray> inputs, int warmup) {
            BenchModel b = new BenchModel();
            b.prefix = code.name();
            b.PREFIX = code.name().toUpperCase(Locale.ROOT);
            b.warmup = warmup;
            int i = 0;
            for (Value v : code.graph().inputs()) {
                NdArray a = inputs.get(v.name());
                if (a != null) a = Int8Io.toInput(a, v.type());
                // why: a missing or mistyped input would make the C read past its array
                if (a == null || a.dtype() != v.dtype() || !a.shape().equals(v.shape()))
                    throw new KilnException(Code.INTERNAL, Location.NONE, "benchmark input " + v.name() + " does not match " + v.type());
                b.inputs.add(CProgramRunner.Tensor.input(i++, v, a));
            }
            i = 0;
            for (Value v : code.graph().outputs())
                b.outputs.add(CProgramRunner.Tensor.output(i++, v));
            b.inSlots = Math.max(1, b.inputs.size());
            b.outSlots = Math.max(1, b.outputs.size());
            return b;
        }
    }

    /** Seconds the program may take to start (with its warm-up) or to run one chunk before it is killed. */
    static final long TIMEOUT_SECONDS = 600;

    private final Path dir;
    private final Process process;
    private final BufferedReader from;
    private final Writer to;

    private HostBench(Path dir, Process process) {
        this.dir = dir;
        this.process = process;
        this.from = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        this.to = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
    }

    /**
     * The benchmark's inputs: one array per graph input, keyed by name, float elements uniform in [-1, 1) from a
     * fixed seed (other types zero), so every run and every runtime sees the same data. A quantized (int8) input
     * gets float32 data, which {@link #start} quantizes as the model's caller would.
     */
    public static Map<String, NdArray> inputs(Graph g) {
        Map<String, NdArray> m = new LinkedHashMap<>();
        Random rnd = new Random(1);
        for (Value v : g.inputs()) {
            boolean q = Int8Io.quantized(v.type());
            NdArray a = q ? NdArray.zeros(DType.F32, v.shape()) : NdArray.zeros(v.type());
            if (a.dtype().isFloat()) for (int e = 0; e < a.size(); e++) a.setDouble(e, rnd.nextFloat() * 2 - 1);
            m.put(v.name(), a);
        }
        return m;
    }

    /**
     * Builds {@code code} with its target's compiler and flags and starts it with {@code inputs} (by graph input
     * name, see {@link #inputs}); returns once its {@code warmup} untimed inferences are done.
     */
    public static HostBench start(GeneratedCode code, Templates templates, Map<String, NdArray> inputs, int warmup) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("kiln-bench-");
            build(dir, code, templates, "benchMain", BenchModel.of(code, inputs, warmup), List.of());
            ProcessBuilder pb = new ProcessBuilder(dir.resolve("bench").toString()).directory(dir.toFile());
            pb.redirectError(dir.resolve("stderr.txt").toFile());
            HostBench h = new HostBench(dir, pb.start());
            dir = null; // h owns the folder now
            Future<?> kill = h.killLater();
            try {
                String ready = h.from.readLine();
                if (!"ready".equals(ready)) throw h.failed("did not start");
            } catch (IOException | RuntimeException e) {
                h.close();
                throw e;
            } finally {
                kill.cancel(false);
            }
            return h;
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.NONE, "benchmark folder: " + e.getMessage());
        } finally {
            if (dir != null) delete(dir);
        }
    }

    /**
     * Writes {@code code} and the program {@code main} (a template of Bench.stg rendered with {@code b}) to
     * {@code dir} and builds it there as {@code bench}, with the target's compiler and flags plus {@code extraFlags}.
     */
    static void build(Path dir, GeneratedCode code, Templates templates, String main, BenchModel b, List<String> extraFlags) throws IOException {
        code.writeTo(dir);
        Files.writeString(dir.resolve("bench.c"), templates.render(main, "b", b));
        List<String> cmd = new ArrayList<>();
        cmd.add(code.target().cc());
        cmd.addAll(code.target().cflags());
        cmd.addAll(CProgramRunner.WARNINGS);
        cmd.addAll(extraFlags);
        cmd.addAll(List.of("-I.", "bench.c", code.name() + ".c", code.name() + "_weights.c", "-o", "bench", "-lm"));
        Exec.Result r = Exec.run(cmd, dir, 600);
        if (r.exit() != 0) throw new KilnException(Code.BUILD_FAILED, Location.NONE, "benchmark does not build: " + r.tail(2000));
    }

    /** Wall and CPU milliseconds of each of {@code n} timed inferences, run back to back in the benchmark program. */
    public Timings time(int n) {
        Timings t = Timings.of(n);
        Future<?> kill = killLater();
        try {
            to.write(n + "\n");
            to.flush();
            for (int i = 0; i < n; i++) {
                String line = from.readLine();
                if (line == null) throw failed("stopped after " + i + " of " + n + " runs");
                String[] f = line.trim().split(" ");
                if (f.length != 2) throw failed("printed '" + line + "'");
                t.wallMs()[i] = Double.parseDouble(f[0]) / 1e6;
                t.cpuMs()[i] = Double.parseDouble(f[1]) / 1e6;
            }
            if (!"end".equals(from.readLine())) throw failed("printed more than asked");
        } catch (IOException | NumberFormatException e) {
            throw failed(e.getMessage());
        } finally {
            kill.cancel(false);
        }
        return t;
    }

    /** Kills the program in {@link #TIMEOUT_SECONDS} unless the returned future is cancelled first, so a hung model cannot hang Kiln. */
    private Future<?> killLater() {
        return CompletableFuture.runAsync(process::destroyForcibly, CompletableFuture.delayedExecutor(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    }

    private KilnException failed(String why) {
        String err = "";
        try {
            Path f = dir.resolve("stderr.txt");
            if (Files.exists(f)) err = Files.readString(f).strip();
        } catch (IOException ignored) {
            // the message below still says what went wrong
        }
        String killed = process.isAlive() || process.exitValue() != 137 ? "" : " (killed after " + TIMEOUT_SECONDS + " s)";
        return new KilnException(Code.RUN_FAILED, Location.NONE, "benchmark program " + why + killed + (err.isEmpty() ? "" : ": " + err));
    }

    /** Stops the benchmark program and deletes its folder. */
    @Override
    public void close() {
        try {
            to.write("0\n");
            to.close();
        } catch (IOException ignored) {
            // the program has already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        delete(dir);
    }

    /** Median wall-clock latency in milliseconds of {@code runs} inferences after {@code warmup} (inputs from {@link #inputs}). */
    public static double medianMillis(GeneratedCode code, Templates templates, int warmup, int runs) {
        try (HostBench h = start(code, templates, inputs(code.graph()), warmup)) {
            return Timings.median(h.time(runs).wallMs());
        }
    }

    static void delete(Path dir) {
        try {
            GeneratedCode.deleteTree(dir);
        } catch (IOException ignored) {
            // a leftover temporary folder is harmless
        }
    }
}
