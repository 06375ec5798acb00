package dev.kiln.toolchain;

import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.backend.Templates;
import dev.kiln.backend.c.CBackend;
import dev.kiln.kernels.ScalarTypes;
import dev.kiln.check.Checker;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Builds generated C for many models into one program with the target's real toolchain, runs it (natively or
 * under qemu), and reads every model's outputs back. Many cases share one build because a compiler start
 * costs more than a small case.
 */
public final class CProgramRunner implements Checker.BatchRunner {
    /** Source bytes per translation unit before a new one starts (many small cases compile together). */
    private static final long CHUNK_SOURCE_BYTES = 2_000_000;
    private static final int CHUNK_CASES = 40;
    static final List<String> WARNINGS = List.of("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic");

    private final Target target;
    private final boolean sanitize;
    private final Path templates;
    private final Backend backend = new CBackend();
    private final Templates harness;
    /** How the program runs under qemu; null on the host. */
    private final Emulator emulator;

    /** A runner for {@code target}; {@code sanitize} builds host code with ASan and UBSan. */
    public CProgramRunner(Target target, boolean sanitize, Path templates) {
        if (sanitize && target.isCross())
            throw new KilnException(Code.USAGE, Location.NONE, "--sanitize works on the host target only")
                    .withHint("drop --sanitize, or use -t host");
        this.target = target;
        this.sanitize = sanitize;
        this.templates = templates;
        this.harness = new Templates("c", templates);
        this.emulator = target.isCross() ? Emulator.of(target) : null;
        if (emulator != null) emulator.require(false);
        else Exec.require(target.cc(), "apt-get install gcc");
    }

    /** One case of the harness: the model object of {@code caseData} in Harness.stg. */
    public static final class CaseModel {
        public final int index;
        /** The case's own symbol prefix, and the prefix of the model code it runs (shared by cases of one graph). */
        public final String prefix, model, name;
        public final List<Tensor> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        public int inSlots, outSlots;
        /** Whether some output has a bounded axis: the case runs {@code _run_counted} and prints each such output's count. */
        public boolean counted;

        CaseModel(int index, String prefix, String model, String name) {
            this.index = index;
            this.prefix = prefix;
            this.model = model;
            this.name = ScalarTypes.commentText(name);
        }
    }

    /** An input or output array of a case. */
    public static final class Tensor {
        public final int index;
        public final String ctype;
        public final long bytes, alloc;
        public final List<String> lines;
        /** An output with a bounded axis (its run-time extent comes back beside it). */
        public boolean bounded;
        /**
         * An output of at least one byte: the harness fills it with ones before the run, so an element the model
         * leaves unwritten reads -1 or NaN, and the check that a packed output's bits after its last element come back
         * zero ({@link #packedTailError}) sees what the model wrote.
         */
        public boolean fill;

        Tensor(int index, String ctype, long bytes, long numel, List<String> lines) {
            this.index = index;
            this.ctype = ctype;
            this.bytes = bytes;
            this.alloc = Math.max(1, numel);
            this.lines = lines;
        }

        /**
         * Input {@code index} of type {@code v} holding {@code data}, as C initializer lines of about 100 characters
         * (a sub-byte tensor as its packed bytes).
         */
        static Tensor input(int index, Value v, NdArray data) {
            boolean packed = v.dtype().isSubByte();
            byte[] bytes = packed ? dev.kiln.kernels.PackedConstants.bytes(data) : null;
            int count = packed ? bytes.length : data.size();
            List<String> lines = new ArrayList<>();
            StringBuilder b = new StringBuilder();
            for (int e = 0; e < count; e++) {
                b.append(packed ? Integer.toString(bytes[e] & 0xFF) + "u" : ScalarTypes.elementLiteral(v.dtype(), data, e)).append(", ");
                if (b.length() > 100) {
                    lines.add(b.toString().stripTrailing());
                    b.setLength(0);
                }
            }
            if (b.length() > 0 || lines.isEmpty()) lines.add(b.length() > 0 ? b.toString().stripTrailing() : "0");
            return new Tensor(index, ScalarTypes.ctype(v.dtype()), v.type().byteSize(), elements(v), lines);
        }

        /** An output array of type {@code v}. */
        static Tensor output(int index, Value v) {
            Tensor t = new Tensor(index, ScalarTypes.ctype(v.dtype()), v.type().byteSize(), elements(v), List.of());
            t.fill = t.bytes > 0;
            return t;
        }

        /** The C array's elements for {@code v}: its bytes when sub-byte (packed), else its elements. */
        private static long elements(Value v) { return v.dtype().isSubByte() ? v.type().byteSize() : v.shape().numel(); }
    }

    /** The harness's main: the model object of {@code harnessMain}. */
    public static final class MainModel {
        public final List<CaseModel> cases = new ArrayList<>();
        /** Whether the program runs bare metal (no command line), and the C function it calls before printing, or null. */
        public boolean semihosting;
        public String semihostingInit;
        public long arenaSize, arenaAlloc;
        public int align;
    }

    /** A board's memory map for {@code memoryMap}. */
    public static final class BoardModel {
        public final String name, flashOrigin, ramOrigin, rodataOrigin;
        public final long flashLength, ramLength, rodataLength;
        public final boolean rodata;

        BoardModel(Target.Board b) {
            name = b.name();
            flashOrigin = b.flash().originHex();
            flashLength = b.flash().length();
            ramOrigin = b.ram().originHex();
            ramLength = b.ram().length();
            rodata = b.rodata() != null;
            rodataOrigin = rodata ? b.rodata().originHex() : null;
            rodataLength = rodata ? b.rodata().length() : 0;
        }
    }

    private static final class Entry {
        final int job;
        final GeneratedCode code;
        final CaseModel model;
        String error;
        List<NdArray> outputs;
        /** The run-time extents the case printed for its bounded outputs, by output index. */
        final Map<Integer, Integer> counts = new java.util.HashMap<>();
        /** Whether this entry's chunk compiles the model code (the model's first entry in a build). */
        boolean compilesCode;

        /** Whether the model code is this entry's own (its prefix names the code), so it writes the files. */
        boolean ownsCode() { return code.name().equals(model.prefix); }

        Entry(int job, GeneratedCode code, CaseModel model) {
            this.job = job;
            this.code = code;
            this.model = model;
        }
    }

    @Override
    public List<Checker.Outcome> runAll(List<Checker.Job> jobs) {
        List<Checker.Outcome> outcomes = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        // why: jobs on one graph (eval's samples, a model's test sets) share one copy of its code: one compile, not N
        Map<Graph, GeneratedCode> generated = new IdentityHashMap<>();
        for (int i = 0; i < jobs.size(); i++) {
            Checker.Job j = jobs.get(i);
            outcomes.add(null);
            try {
                String prefix = "c" + i;
                GeneratedCode code = generated.get(j.graph());
                if (code == null) {
                    code = backend.generate(j.graph(), target, new Backend.Options(prefix, templates, j.name()));
                    generated.put(j.graph(), code);
                }
                entries.add(new Entry(i, code, caseModel(i, prefix, code.name(), j)));
            } catch (KilnException e) {
                outcomes.set(i, Checker.Outcome.failed(e.getMessage().replace("\n", " ")));
            } catch (RuntimeException e) {
                outcomes.set(i, Checker.Outcome.failed("internal error: " + e));
            }
        }
        if (!entries.isEmpty()) BuildFolders.use("kiln-c-", dir -> buildAndRun(dir, entries));
        for (Entry e : entries)
            outcomes.set(e.job, e.error != null ? Checker.Outcome.failed(e.error) : e.outputs != null
                    ? new Checker.Outcome(e.outputs, null) : Checker.Outcome.failed("the program stopped before this case ran"));
        return outcomes;
    }

    private CaseModel caseModel(int index, String prefix, String model, Checker.Job j) {
        CaseModel c = new CaseModel(index, prefix, model, j.name());
        for (int i = 0; i < j.inputs().size(); i++) {
            NdArray a = j.inputs().get(i);
            Value v = j.graph().inputs().get(i);
            DType t = v.dtype();
            c.inputs.add(Tensor.input(i, v, a.dtype() == t ? a : a.cast(t)));
        }
        java.util.Map<Value, Integer> bounded = dev.kiln.ops.Extents.of(j.graph());
        for (int i = 0; i < j.graph().outputs().size(); i++) {
            Value v = j.graph().outputs().get(i);
            Tensor out = Tensor.output(i, v);
            out.bounded = bounded.containsKey(v);
            c.counted |= out.bounded;
            c.outputs.add(out);
        }
        c.inSlots = Math.max(1, c.inputs.size());
        c.outSlots = Math.max(1, c.outputs.size());
        return c;
    }

    private void write(Path f, String text) {
        try {
            Files.writeString(f, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.file(f.toString()), "cannot write " + f + ": " + e.getMessage());
        }
    }

    private void buildAndRun(Path dir, List<Entry> entries) {
        for (Entry e : entries) {
            if (e.ownsCode()) for (Map.Entry<String, String> f : e.code.files().entrySet()) write(dir.resolve(f.getKey()), f.getValue());
            write(dir.resolve(e.model.prefix + "_data.c"), harness.render("caseData", "c", e.model));
        }
        write(dir.resolve("kiln_harness.h"), harness.render("harnessHeader"));
        List<Entry> pending = new ArrayList<>(entries);
        while (!pending.isEmpty()) {
            List<Entry> built = build(dir, pending);
            if (built.isEmpty()) return;
            int ran = run(dir, built);
            pending = new ArrayList<>();
            // why: after a crash the cases behind the crashing one still deserve a run (hosts restart from an index)
            if (ran < built.size()) {
                for (int i = ran + 1; i < built.size(); i++) pending.add(built.get(i));
                if (bareMetal()) {
                    for (Entry e : pending) e.error = "not run: the program stopped at an earlier case";
                    return;
                }
            }
        }
    }

    /** Compiles and links the entries; entries that fail to compile get their error and are left out. */
    private List<Entry> build(Path dir, List<Entry> entries) {
        List<List<Entry>> chunks = new ArrayList<>();
        List<Entry> cur = new ArrayList<>();
        long size = 0;
        // the first entry of each model in this build compiles the model's code; the others only link to it
        Set<GeneratedCode> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Entry e : entries) e.compilesCode = seen.add(e.code);
        for (Entry e : entries) {
            long s = 256;
            if (e.compilesCode) for (String f : e.code.files().values()) s += f.length();
            if (!cur.isEmpty() && (size + s > CHUNK_SOURCE_BYTES || cur.size() >= CHUNK_CASES)) {
                chunks.add(cur);
                cur = new ArrayList<>();
                size = 0;
            }
            cur.add(e);
            size += s;
        }
        if (!cur.isEmpty()) chunks.add(cur);

        List<Entry> ok = new ArrayList<>();
        List<Path> objects = new ArrayList<>();
        int threads = Math.max(1, Math.min(chunks.size(), Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<Entry>>> futures = new ArrayList<>();
            for (int k = 0; k < chunks.size(); k++) {
                final List<Entry> chunk = chunks.get(k);
                final String name = "chunk" + k + "_" + chunk.get(0).model.prefix;
                futures.add(pool.submit(() -> compileChunk(dir, name, chunk, objects)));
            }
            for (Future<List<Entry>> f : futures) ok.addAll(f.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KilnException(Code.BUILD_FAILED, Location.NONE, "interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException) throw (RuntimeException) e.getCause();
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        if (ok.isEmpty()) return ok;
        ok.sort((a, b) -> Integer.compare(a.job, b.job));
        MainModel m = new MainModel();
        m.semihosting = bareMetal();
        m.semihostingInit = emulator == null ? null : emulator.semihostingInit();
        m.align = target.alignment();
        long arena = 1;
        for (Entry e : ok) {
            m.cases.add(e.model);
            arena = Math.max(arena, e.code.plan().arenaBytes());
        }
        m.arenaSize = arena;
        m.arenaAlloc = arena + target.alignment();
        write(dir.resolve("main.c"), harness.render("harnessMain", "h", m));
        List<Path> objs = new ArrayList<>();
        synchronized (objects) {
            objs.addAll(objects);
            objects.clear();
        }
        objs.sort(null);
        Exec.Result r = compile(dir, "main.c", "main.o");
        if (r.exit() != 0) throw new KilnException(Code.BUILD_FAILED, Location.NONE, "the test harness does not compile: " + r.tail(2000));
        objs.add(dir.resolve("main.o"));
        link(dir, objs, ok);
        return withinFlash(dir, ok);
    }

    /**
     * The entries whose model fits the target's {@code flash.limit}; the others get an error saying by how much
     * they are over (a board with more flash may run the test program, so the linker alone does not catch them).
     */
    private List<Entry> withinFlash(Path dir, List<Entry> ok) {
        if (target.flashLimit() <= 0) return ok;
        Set<String> models = new java.util.TreeSet<>();
        for (Entry e : ok) models.add(e.code.name());
        Map<String, long[]> flash = flashByModel(dir, PROGRAM, target, models);
        List<Entry> fit = new ArrayList<>();
        for (Entry e : ok) {
            String over = overFlash(target, e.model.name, flash.get(e.code.name()));
            if (over == null) fit.add(e);
            else e.error = over;
        }
        return fit;
    }

    /**
     * The flash each of {@code models} takes in program {@code dir/program}: {code (.text), constants (.rodata and
     * initialised data)} in bytes, summed over the symbols named after the model (the target's nm); the test
     * harness's own data ({@code <prefix>_in<i>}, {@code _out<i>}, {@code _case}) is not counted.
     */
    static Map<String, long[]> flashByModel(Path dir, String program, Target t, Set<String> models) {
        Map<String, long[]> r = new LinkedHashMap<>();
        for (String m : models) r.put(m, new long[2]);
        Exec.Result nm = Exec.run(List.of(t.isCross() ? t.toolchain() + "-nm" : "nm", "-S", "--size-sort", program), dir, 60);
        if (nm.exit() != 0) throw new KilnException(Code.BUILD_FAILED, Location.NONE, "nm cannot read the program: " + nm.tail(1000));
        for (String line : nm.out().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length != 4) continue;
            String owner = null;
            for (String name : models)
                if (f[3].startsWith(name + "_") && (owner == null || name.length() > owner.length())) owner = name;
            if (owner == null || f[3].substring(owner.length()).matches("_(in\\d+|out\\d+|case)")) continue;
            long[] m = r.get(owner);
            char type = Character.toUpperCase(f[2].charAt(0));
            long size = Long.parseLong(f[1], 16);
            if (type == 'T') m[0] += size;
            else if (type == 'R' || type == 'D') m[1] += size;
        }
        return r;
    }

    /** Why model {@code name} with {@code flash} = {code, constants} bytes does not fit target {@code t}'s flash.limit, or null. */
    public static String overFlash(Target t, String name, long[] flash) {
        long limit = t.flashLimit(), total = flash[0] + flash[1];
        if (limit <= 0 || total <= limit) return null;
        return String.format("%s does not fit the %,d bytes of flash of a %s part (flash.limit): its weights and tables (.rodata) take %,d bytes "
                + "and its code (.text) %,d, %,d bytes over. Store the weights as int8 (--int8 --calibrate DATA), choose a target with more "
                + "flash (e.g. cortex-m4f), or describe your part with its own flash.limit in a target file (-t FILE.properties)",
                name, limit, t.name(), flash[1], flash[0], total - limit);
    }

    private List<Entry> compileChunk(Path dir, String name, List<Entry> chunk, List<Path> objects) {
        StringBuilder unit = new StringBuilder("/* Generated by Kiln: one translation unit for several cases. */\n");
        for (Entry e : chunk) {
            String p = e.model.prefix, m = e.model.model;
            if (e.compilesCode) unit.append("#include \"").append(m).append(".c\"\n#include \"").append(m).append("_weights.c\"\n");
            unit.append("#include \"").append(p).append("_data.c\"\n");
        }
        write(dir.resolve(name + ".c"), unit.toString());
        Exec.Result r = compile(dir, name + ".c", name + ".o");
        if (r.exit() == 0) {
            synchronized (objects) {
                objects.add(dir.resolve(name + ".o"));
            }
            return chunk;
        }
        if (chunk.size() == 1) {
            chunk.get(0).error = "generated C does not compile: " + r.tail(1500).replace("\n", " | ");
            return List.of();
        }
        // why: one case's compile error must not fail the others; find it by compiling each alone
        List<Entry> ok = new ArrayList<>();
        for (Entry e : chunk) ok.addAll(compileChunk(dir, name + "_" + e.model.prefix, List.of(e), objects));
        return ok;
    }

    private List<String> flags() {
        List<String> f = new ArrayList<>();
        f.addAll(sanitize ? target.sanitizeCflags() : target.cflags());
        f.addAll(WARNINGS);
        if (target.isCross()) f.addAll(List.of("-ffunction-sections", "-fdata-sections"));
        return f;
    }

    private Exec.Result compile(Path dir, String src, String obj) {
        List<String> cmd = new ArrayList<>();
        cmd.add(target.cc());
        cmd.addAll(flags());
        cmd.addAll(List.of("-I.", "-c", src, "-o", obj));
        return Exec.run(cmd, dir, 600);
    }

    private static final String PROGRAM = "prog";
    /** The qemu board the program was linked for (null on the host and in qemu's user mode). */
    private String board;

    private void link(Path dir, List<Path> objs, List<Entry> ok) {
        List<String> compile = new ArrayList<>();
        compile.add(target.cc());
        compile.addAll(flags());
        List<String> inputs = new ArrayList<>();
        if (emulator != null) inputs.addAll(emulator.writeRuntime(dir));
        for (Path o : objs) inputs.add(o.getFileName().toString());
        if (emulator != null) {
            board = emulator.link(dir, compile, inputs, PROGRAM, harness);
            return;
        }
        compile.addAll(inputs);
        compile.addAll(List.of("-o", PROGRAM, "-lm"));
        Exec.Result r = Exec.run(compile, dir, 600);
        if (r.exit() != 0) throw new KilnException(Code.BUILD_FAILED, Location.NONE, "linking failed: " + r.tail(2000));
    }

    /** Whether the program runs bare metal on a qemu board: no command line to restart it from a case index. */
    private boolean bareMetal() { return emulator != null && !emulator.userMode(); }

    /** Runs the program; returns how many entries reported (all of them unless it crashed). */
    private int run(Path dir, List<Entry> built) {
        int done = 0;
        while (done < built.size()) {
            List<String> args = bareMetal() ? List.of() : List.of(Integer.toString(done));
            List<String> cmd = new ArrayList<>(List.of("./" + PROGRAM));
            cmd.addAll(args);
            if (emulator != null) cmd = emulator.run(board, List.of(), PROGRAM, args);
            // why: qemu makes a piped stdout non-blocking and loses output beyond the pipe's buffer; a file keeps it all
            Exec.Result r = Exec.run(cmd, dir, timeoutSeconds(), dir.resolve("run.out"));
            int before = done;
            done = parse(r.out(), built, done);
            if (r.out().contains("@done") && r.exit() == 0) return built.size();
            // the case after the last one that reported crashed, hung or failed
            String why = r.timedOut() ? "timed out after " + timeoutSeconds() + " s" : "exit status " + r.exit();
            if (done < built.size()) {
                built.get(done).error = "the program failed in this case (" + why + "): " + r.tail(1500).replace("\n", " | ");
                built.get(done).outputs = null;
                done++;
            }
            if (bareMetal() || done == before) return done;
        }
        return done;
    }

    private static long timeoutSeconds() {
        String s = System.getenv("KILN_RUN_TIMEOUT");
        return s == null ? 600 : Long.parseLong(s);
    }

    /** Reads {@code @case}/{@code @out} records into the entries from {@code from}; returns the next index. */
    private int parse(String out, List<Entry> built, int from) {
        Map<Integer, Entry> byIndex = new LinkedHashMap<>();
        for (Entry e : built) byIndex.put(e.model.index, e);
        int next = from;
        Entry cur = null;
        int outIdx = -1;
        StringBuilder hex = null;
        String[] lines = out.split("\n");
        for (String line : lines) {
            if (line.startsWith("@case ")) {
                finish(cur, outIdx, hex);
                hex = null;
                String[] p = line.split(" ");
                cur = byIndex.get(Integer.parseInt(p[1]));
                int rc = Integer.parseInt(p[2]);
                if (cur == null) continue;
                cur.outputs = new ArrayList<>();
                for (int i = 0; i < cur.model.outputs.size(); i++) cur.outputs.add(null);
                if (rc != 0) cur.error = cur.model.prefix + "_run returned " + rc
                        + (rc == -2 ? ": a run-time size passed its bound (set a larger one with --bound NODE=N)" : "");
                next = built.indexOf(cur) + 1;
            } else if (line.startsWith("@count ")) {
                String[] p = line.split(" ");
                if (cur != null) cur.counts.put(Integer.parseInt(p[2]), Integer.parseInt(p[3]));
            } else if (line.startsWith("@out ")) {
                finish(cur, outIdx, hex);
                String[] p = line.split(" ");
                outIdx = Integer.parseInt(p[2]);
                hex = new StringBuilder();
            } else if (line.startsWith("@done")) {
                finish(cur, outIdx, hex);
                hex = null;
            } else if (hex != null) {
                hex.append(line.strip());
            }
        }
        // why: the last case's outputs count only when the program went on past it
        return next;
    }

    private void finish(Entry cur, int outIdx, StringBuilder hex) {
        if (cur == null || hex == null) return;
        Value v = cur.code.graph().outputs().get(outIdx);
        byte[] bytes;
        try {
            bytes = HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            bytes = new byte[0];
        }
        if (bytes.length != v.type().byteSize()) {
            cur.error = "output " + outIdx + " came back with " + bytes.length + " of " + v.type().byteSize() + " bytes";
            return;
        }
        String tail = packedTailError(v.type(), bytes);
        if (tail != null) {
            cur.error = "output " + outIdx + " " + tail;
            return;
        }
        NdArray a = fromBytes(v.type(), bytes);
        // why: a bounded output holds its bound; the first count slices along its bounded axis are the result
        Integer count = cur.counts.get(outIdx);
        if (count != null) {
            int axis = dev.kiln.ops.Extents.of(cur.code.graph()).get(v);
            if (count > v.shape().dim(axis)) {
                cur.error = "output " + outIdx + " came back with count " + count + " over its bound " + v.shape().dim(axis);
                return;
            }
            a = dev.kiln.ops.Extents.trim(a, axis, count);
        }
        cur.outputs.set(outIdx, a);
    }

    /**
     * Why the packed bytes of sub-byte tensor {@code t} break the generated code's promise that the bits after the
     * last element in the last byte are zero, or null (also for other types).
     */
    public static String packedTailError(TensorType t, byte[] bytes) {
        if (!t.dtype().isSubByte() || bytes.length == 0) return null;
        long used = t.shape().numel() * t.dtype().bits() - 8L * (bytes.length - 1);
        int rest = (bytes[bytes.length - 1] & 0xFF) >>> used;
        return used >= 8 || rest == 0 ? null : String.format("has bits 0x%02x after its last element (they must be zero)", bytes[bytes.length - 1] & 0xFF);
    }

    /** Little-endian bytes of a tensor (as the generated C stores it, the sub-byte types packed) to an array. */
    public static NdArray fromBytes(TensorType t, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        NdArray a = NdArray.zeros(t);
        int n = a.size();
        if (t.dtype().isSubByte()) {
            int bits = t.dtype().bits(), mask = (1 << bits) - 1;
            for (int i = 0; i < n; i++) {
                int code = (bytes[(int) ((long) i * bits >>> 3)] >>> (i * bits & 7)) & mask;
                if (t.dtype().isFloat()) a.floats()[i] = dev.kiln.ir.SmallFloats.decode(t.dtype(), code);
                else a.setLong(i, t.dtype().isSigned() ? ((code ^ (1 << (bits - 1))) - (1 << (bits - 1))) : code);
            }
            return a;
        }
        for (int i = 0; i < n; i++) {
            switch (t.dtype()) {
                case F32: a.setDouble(i, b.getFloat()); break;
                case F64: a.setDouble(i, b.getDouble()); break;
                case I8: a.setLong(i, b.get()); break;
                case U8: case BOOL: a.setLong(i, b.get() & 0xFF); break;
                case I16: a.setLong(i, b.getShort()); break;
                case U16: a.setLong(i, b.getShort() & 0xFFFF); break;
                case I32: a.setLong(i, b.getInt()); break;
                case U32: a.setLong(i, b.getInt() & 0xFFFFFFFFL); break;
                case I64: case U64: a.setLong(i, b.getLong()); break;
                case F16: a.floats()[i] = dev.kiln.ir.Half.fromBits(b.getShort()); break;
                case BF16: a.floats()[i] = dev.kiln.ir.SmallFloats.decode(t.dtype(), b.getShort() & 0xFFFF); break;
                case F8E4M3FN: case F8E4M3FNUZ: case F8E5M2: case F8E5M2FNUZ: case F8E8M0:
                    a.floats()[i] = dev.kiln.ir.SmallFloats.decode(t.dtype(), b.get() & 0xFF);
                    break;
                default: throw new IllegalArgumentException("cannot read " + t.dtype() + " outputs");
            }
        }
        return a;
    }
}
