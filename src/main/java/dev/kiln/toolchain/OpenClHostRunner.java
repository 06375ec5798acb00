package dev.kiln.toolchain;

import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.backend.Templates;
import dev.kiln.kernels.ScalarTypes;
import dev.kiln.backend.opencl.ClBytes;
import dev.kiln.check.Checker;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds generated OpenCL host code ({@code <model>_cl.c}) with the host C compiler against the system's OpenCL
 * headers and {@code -lOpenCL}, many cases into one program, runs it on an OpenCL device and reads the outputs
 * back: the {@code check} route through the standalone host program. It can also time each case (the median of
 * several runs).
 */
public final class OpenClHostRunner implements Checker.BatchRunner {
    /** Flags every generated host file must compile cleanly with. */
    public static final List<String> CFLAGS = List.of("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2");

    private final Backend backend;
    private final Target target;
    private final Path templates;
    private final int device;
    private final int reps;
    private final List<Double> medians = new ArrayList<>();

    /** A runner for {@code target} on OpenCL device {@code device} (-1: the first GPU, else the first device). */
    public OpenClHostRunner(Target target, Path templates, int device) {
        this(target, templates, device, 1);
    }

    /** A runner that runs each case {@code reps} times and records the median latency. */
    public OpenClHostRunner(Target target, Path templates, int device, int reps) {
        this.target = target;
        this.templates = templates;
        this.device = device;
        this.reps = Math.max(1, reps);
        this.backend = Backend.find("opencl");
        if (backend == null) throw new IllegalStateException("the opencl backend is not registered");
        Exec.require("gcc", "apt-get install gcc");
        if (!Files.exists(Path.of("/usr/include/CL/cl.h")))
            throw new KilnException(Code.TOOL_MISSING, Location.NONE, "the OpenCL headers are not installed (/usr/include/CL/cl.h)")
                    .withHint("install them: apt-get install opencl-headers ocl-icd-opencl-dev pocl-opencl-icd");
    }

    /** The median latency in milliseconds of each job of the last {@link #runAll} (NaN where it did not run). */
    public List<Double> medians() { return List.copyOf(medians); }

    /** A tensor of one case in the test program. */
    public static final class Tensor {
        public final int index;
        public final String ctype;
        public final long bytes, alloc;
        /**
         * An output of at least one byte: the runner fills its device buffer (number {@code buffer}) with ones before
         * the run, so an element no kernel writes reads NaN or -1, and the check that a packed output's bits after its
         * last element come back zero sees what the kernels wrote.
         */
        public boolean fill;
        public int buffer;

        Tensor(int index, String ctype, long bytes) {
            this.index = index;
            this.ctype = ctype;
            this.bytes = bytes;
            this.alloc = Math.max(1, bytes);
        }
    }

    /** One case of the test program. */
    public static final class CaseModel {
        public final int index;
        public final String prefix;
        public final List<Tensor> inputs = new ArrayList<>(), outputs = new ArrayList<>();

        CaseModel(int index, String prefix) {
            this.index = index;
            this.prefix = prefix;
        }
    }

    /** The test program. */
    public static final class MainModel {
        public final List<CaseModel> cases = new ArrayList<>();
    }

    private static final class Entry {
        final int job;
        final Checker.Job j;
        final GeneratedCode code;
        final CaseModel model;
        String error;
        List<NdArray> outputs;
        double ms = Double.NaN;

        Entry(int job, Checker.Job j, GeneratedCode code, CaseModel model) {
            this.job = job;
            this.j = j;
            this.code = code;
            this.model = model;
        }
    }

    @Override
    public List<Checker.Outcome> runAll(List<Checker.Job> jobs) {
        List<Checker.Outcome> outcomes = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        medians.clear();
        for (int i = 0; i < jobs.size(); i++) {
            Checker.Job j = jobs.get(i);
            outcomes.add(null);
            medians.add(Double.NaN);
            try {
                String prefix = "c" + i;
                GeneratedCode code = backend.generate(j.graph(), target, new Backend.Options(prefix, templates, j.name()));
                CaseModel m = new CaseModel(i, prefix);
                for (int k = 0; k < j.graph().inputs().size(); k++) {
                    Value v = j.graph().inputs().get(k);
                    m.inputs.add(new Tensor(k, ScalarTypes.ctype(v.dtype()), v.type().byteSize()));
                }
                for (int k = 0; k < j.graph().outputs().size(); k++) {
                    Value v = j.graph().outputs().get(k);
                    Tensor t = new Tensor(k, ScalarTypes.ctype(v.dtype()), v.type().byteSize());
                    t.fill = t.bytes > 0;
                    t.buffer = dev.kiln.backend.opencl.OpenClBackend.outputBuffer(j.graph().inputs().size(), k);
                    m.outputs.add(t);
                }
                entries.add(new Entry(i, j, code, m));
            } catch (KilnException e) {
                outcomes.set(i, Checker.Outcome.failed(e.getMessage().replace("\n", " ")));
            } catch (RuntimeException e) {
                outcomes.set(i, Checker.Outcome.failed("internal error: " + e));
            }
        }
        if (!entries.isEmpty()) BuildFolders.use("kiln-cl-", dir -> buildAndRun(dir, entries));
        for (Entry e : entries) {
            medians.set(e.job, e.ms);
            outcomes.set(e.job, e.error != null ? Checker.Outcome.failed(e.error) : e.outputs != null
                    ? new Checker.Outcome(e.outputs, null) : Checker.Outcome.failed("the program stopped before this case ran"));
        }
        return outcomes;
    }

    private static void write(Path f, byte[] bytes) {
        try {
            Files.write(f, bytes);
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.file(f.toString()), "cannot write " + f + ": " + e.getMessage());
        }
    }

    private void buildAndRun(Path dir, List<Entry> entries) {
        List<Entry> built = new ArrayList<>();
        List<String> objects = new ArrayList<>();
        for (Entry e : entries) {
            for (Map.Entry<String, String> f : e.code.files().entrySet())
                write(dir.resolve(f.getKey()), f.getValue().getBytes(StandardCharsets.UTF_8));
            for (int k = 0; k < e.j.inputs().size(); k++) {
                NdArray a = e.j.inputs().get(k);
                DType t = e.j.graph().inputs().get(k).dtype();
                write(dir.resolve(e.model.prefix + "_in" + k + ".bin"), ClBytes.of(a.dtype() == t ? a : a.cast(t)));
            }
            List<String> cmd = new ArrayList<>(List.of("gcc"));
            cmd.addAll(CFLAGS);
            cmd.addAll(List.of("-c", e.model.prefix + "_cl.c", e.model.prefix + "_cl_weights.c"));
            Exec.Result r = Exec.run(cmd, dir, 600);
            if (r.exit() != 0) {
                e.error = "host C does not compile: " + r.tail(600).replace("\n", " ");
                continue;
            }
            objects.add(e.model.prefix + "_cl.o");
            objects.add(e.model.prefix + "_cl_weights.o");
            built.add(e);
        }
        if (built.isEmpty()) return;
        MainModel mm = new MainModel();
        for (Entry e : built) mm.cases.add(e.model);
        Templates tpl = new Templates("opencl", templates);
        write(dir.resolve("main.c"), tpl.render("runnerMain", "h", mm).getBytes(StandardCharsets.UTF_8));
        List<String> cmd = new ArrayList<>(List.of("gcc"));
        cmd.addAll(CFLAGS);
        cmd.addAll(List.of("-o", "main", "main.c"));
        cmd.addAll(objects);
        cmd.add("-lOpenCL");
        Exec.Result r = Exec.run(cmd, dir, 600);
        if (r.exit() != 0) {
            for (Entry e : built) e.error = "test program does not link: " + r.tail(600).replace("\n", " ");
            return;
        }
        int from = 0;
        while (from < built.size()) {
            Exec.Result run = Exec.run(List.of("./main", Integer.toString(device), Integer.toString(reps),
                    Integer.toString(built.get(from).model.index)), dir, 1800);
            int last = -1;
            for (String line : run.out().split("\n")) {
                String[] w = line.trim().split(" ", 3);
                if (w.length < 2 || !(w[0].equals("DONE") || w[0].equals("ERROR"))) continue;
                int idx = Integer.parseInt(w[1]);
                Entry e = null;
                for (Entry x : built) if (x.model.index == idx) e = x;
                if (e == null) continue;
                last = Math.max(last, built.indexOf(e));
                if (w[0].equals("ERROR")) {
                    e.error = (w.length > 2 ? w[2] : "failed") + ": " + lastLines(run.err());
                    continue;
                }
                e.ms = Double.parseDouble(w[2]);
                List<NdArray> outs = new ArrayList<>();
                try {
                    for (int k = 0; k < e.j.graph().outputs().size(); k++) {
                        Value v = e.j.graph().outputs().get(k);
                        byte[] bytes = Files.readAllBytes(dir.resolve(e.model.prefix + "_out" + k + ".bin"));
                        String tail = CProgramRunner.packedTailError(v.type(), bytes);
                        if (tail != null && e.error == null) e.error = "output " + k + " " + tail;
                        outs.add(CProgramRunner.fromBytes(v.type(), bytes));
                    }
                    if (e.error == null) e.outputs = outs;
                } catch (IOException ex) {
                    e.error = "cannot read outputs: " + ex.getMessage();
                }
            }
            if (run.exit() == 0 && !run.timedOut()) break;
            // why: a crash stops the program; the cases behind the crashing one still deserve a run
            int crashed = last + 1;
            if (crashed < built.size()) built.get(crashed).error = "the program " + (run.timedOut() ? "timed out" : "crashed (exit " + run.exit() + ")")
                    + " in this case: " + lastLines(run.err());
            from = crashed + 1;
        }
    }

    private static String lastLines(String s) {
        s = s.strip().replace("\n", " | ");
        return s.length() <= 800 ? s : "..." + s.substring(s.length() - 800);
    }
}
