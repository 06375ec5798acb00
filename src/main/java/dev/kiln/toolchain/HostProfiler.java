package dev.kiln.toolchain;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Templates;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Times each kernel of generated C on the host ({@code bench --per-layer -t host}): the model's C is built with GCC's
 * {@code -finstrument-functions} (every header, such as kiln_runtime.h, and the timing program excluded, so only the model's
 * own functions call the hooks, once per call), and the program {@code profileMain} adds up, per inference, the time
 * between entry and exit of each function {@code <model>_run} calls. A kernel's time is inclusive: a control-flow
 * kernel's regions count in it. The hooks cost two clock reads per kernel, so the per-layer build is a little slower
 * than the timed one; its total is reported beside the layers so the difference shows.
 */
public final class HostProfiler {
    /** What one profile measured: each inference's total nanoseconds, and per function (by name, in first-call order) each inference's nanoseconds. */
    public record Profile(double[] totalNs, Map<String, double[]> functions) {}

    private HostProfiler() {}

    /**
     * Builds {@code code} instrumented, runs {@code warmup} untimed and {@code runs} timed inferences on
     * {@code inputs} (by graph input name, see {@link HostBench#inputs}), on the monotonic wall clock (the thread's CPU
     * clock is a system call that costs more than a small kernel; medians keep out the preempted runs).
     */
    public static Profile profile(GeneratedCode code, Templates templates, Map<String, dev.kiln.ir.NdArray> inputs, int warmup, int runs) {
        // why: the hooks need GCC's (or Clang's) instrumentation; qemu targets are counted per function instead
        if (code.target().isCross())
            throw new KilnException(Code.USAGE, Location.NONE, "a per-layer time profile runs on the host, not " + code.target().name());
        HostBench.BenchModel b = HostBench.BenchModel.of(code, inputs, warmup);
        b.runs = runs;
        Path dir = null;
        try {
            dir = Files.createTempDirectory("kiln-profile-");
            HostBench.build(dir, code, templates, "profileMain", b, List.of("-finstrument-functions",
                    "-finstrument-functions-exclude-file-list=.h,bench.c"));
            Exec.Result r = Exec.run(List.of(dir.resolve("bench").toString()), dir, HostBench.TIMEOUT_SECONDS);
            if (r.timedOut()) throw new KilnException(Code.RUN_FAILED, Location.NONE, "the profiling program did not finish within " + HostBench.TIMEOUT_SECONDS + " s");
            if (r.exit() != 0) throw new KilnException(Code.RUN_FAILED, Location.NONE, "the profiling program failed (exit status " + r.exit() + "): " + r.tail(1500));
            return parse(r.out(), runs, names(dir, code.name()));
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.NONE, "profiling folder: " + e.getMessage());
        } finally {
            if (dir != null) HostBench.delete(dir);
        }
    }

    /**
     * The program's functions by their offset from {@code <model>_run_v} (the hooks' anchor), from nm; a compiler
     * clone ({@code name.constprop.0}) is named by its origin.
     */
    private static Map<Long, String> names(Path dir, String model) {
        Exec.Result r = Exec.run(List.of("nm", "--defined-only", "bench"), dir, 60);
        if (r.exit() != 0) throw new KilnException(Code.BUILD_FAILED, Location.NONE, "nm cannot read the profiling program: " + r.tail(500));
        Map<String, Long> at = new HashMap<>();
        for (String line : r.out().split("\n")) {
            String[] p = line.trim().split("\\s+");
            if (p.length != 3 || !(p[1].equals("t") || p[1].equals("T"))) continue;
            int dot = p[2].indexOf('.');
            at.putIfAbsent(p[2], Long.parseUnsignedLong(p[0], 16));
            if (dot > 0) at.putIfAbsent(p[2].substring(0, dot), Long.parseUnsignedLong(p[0], 16));
        }
        Long anchor = at.get(model + "_run_v");
        if (anchor == null) throw new KilnException(Code.BUILD_FAILED, Location.NONE, "the profiling program has no " + model + "_run_v");
        Map<Long, String> byOffset = new HashMap<>();
        for (Map.Entry<String, Long> e : at.entrySet()) {
            String name = e.getKey();
            String prior = byOffset.get(e.getValue() - anchor);
            // why: a clone and its origin share an address; keep the origin's (shorter) name
            if (prior == null || name.length() < prior.length()) byOffset.put(e.getValue() - anchor, name);
        }
        return byOffset;
    }

    /** Parses the program's "run TOTAL OFFSET:NS ..." lines. */
    static Profile parse(String out, int runs, Map<Long, String> names) {
        double[] total = new double[runs];
        Map<String, double[]> fns = new LinkedHashMap<>();
        int i = 0;
        List<String> lines = new ArrayList<>(List.of(out.split("\n")));
        if (lines.isEmpty() || !lines.get(lines.size() - 1).equals("end"))
            throw new KilnException(Code.RUN_FAILED, Location.NONE, "the profiling program did not finish its runs: " + tail(out));
        for (String line : lines.subList(0, lines.size() - 1)) {
            String[] f = line.trim().split(" ");
            if (!f[0].equals("run") || f.length < 2 || i >= runs) throw new KilnException(Code.RUN_FAILED, Location.NONE, "the profiling program printed '" + line + "'");
            total[i] = Double.parseDouble(f[1]);
            for (int k = 2; k < f.length; k++) {
                int colon = f[k].indexOf(':');
                long off = Long.parseLong(f[k].substring(0, colon));
                String name = names.getOrDefault(off, "function at run_v" + (off < 0 ? "" : "+") + off);
                fns.computeIfAbsent(name, x -> new double[runs])[i] += Double.parseDouble(f[k].substring(colon + 1));
            }
            i++;
        }
        if (i != runs) throw new KilnException(Code.RUN_FAILED, Location.NONE, "the profiling program ran " + i + " of " + runs + " inferences");
        return new Profile(total, fns);
    }

    private static String tail(String s) { return s.length() <= 300 ? s : "..." + s.substring(s.length() - 300); }
}
