package dev.kiln.toolchain;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Resources;
import dev.kiln.backend.Target;
import dev.kiln.backend.Templates;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts the guest instructions of one inference of generated C on a qemu board: builds the model with a main that
 * calls {@code kiln_marker_start(); <model>_run(); kiln_marker_stop();}, and runs it under qemu with Kiln's TCG
 * plugin ({@code runtime-c/qemu/kiln_icount.c}, built once with the host's gcc into a cache folder), which counts
 * the instructions executed between the two markers. Instruction counts are exactly repeatable, unlike wall time.
 * {@link #countPerFunction} also splits the count over the model's functions (one per kernel, named
 * {@code <model>_k<index>_<op>}): the program is then built with {@code -fno-inline-functions-called-once -fno-inline-small-functions} so that
 * each kernel keeps its own function, and the plugin is handed their address ranges.
 */
public final class QemuInstructionCounter {
    private static final String PLUGIN_SOURCE = "runtime-c/qemu/kiln_icount.c";
    private static final Pattern COUNT = Pattern.compile("kiln_icount (\\d+)");
    private static final Pattern FUNCTION = Pattern.compile("kiln_icount_fn (\\S+) (\\d+)");

    /**
     * Instructions of one inference: the total, and per function of the model (name to instructions, in address
     * order; a function's count includes the library helpers it calls, such as memcpy).
     */
    public record Counts(long total, Map<String, Long> functions) {}

    private QemuInstructionCounter() {}

    /** Guest instructions of one {@code <model>_run} call of {@code code} (deterministic random inputs). */
    public static long count(GeneratedCode code, Templates templates) {
        return run(code, templates, false).total();
    }

    /**
     * Guest instructions of one {@code <model>_run} call of {@code code}, in total and per function of the model
     * (kernels {@code <model>_k<index>_<op>}, the run function, region functions); the kernels are kept out of line.
     */
    public static Counts countPerFunction(GeneratedCode code, Templates templates) {
        return run(code, templates, true);
    }

    private static Counts run(GeneratedCode code, Templates templates, boolean perFunction) {
        Target t = code.target();
        // why: only qemu targets have a guest to count; the host is timed by HostBench instead
        if (!t.isCross())
            throw new KilnException(Code.USAGE, Location.NONE, "instruction counts need a qemu target, not " + t.name())
                    .withHint("use -t cortex-m4f (or another Cortex-M target)");
        Emulator.of(t).require(true);
        Path plugin = plugin();
        Counts[] result = {null};
        BuildFolders.use("kiln-icount-", dir -> result[0] = buildAndCount(dir, code, templates, plugin, perFunction));
        return result[0];
    }

    private static Counts buildAndCount(Path dir, GeneratedCode code, Templates templates, Path plugin, boolean perFunction) {
        Target t = code.target();
        for (Map.Entry<String, String> f : code.files().entrySet()) write(dir.resolve(f.getKey()), f.getValue());
        Emulator emu = Emulator.of(t);
        write(dir.resolve("main.c"), templates.render("icountMain", "b", benchModel(code, emu)));
        List<String> compile = new ArrayList<>();
        compile.add(t.cc());
        compile.addAll(t.cflags());
        compile.addAll(CProgramRunner.WARNINGS);
        compile.addAll(List.of("-ffunction-sections", "-fdata-sections", "-I."));
        // why: a kernel called once is inlined into the run function, and then has no address range of its own
        if (perFunction) compile.addAll(List.of("-fno-inline-functions-called-once", "-fno-inline-small-functions"));
        List<String> inputs = new ArrayList<>(emu.writeRuntime(dir));
        inputs.addAll(List.of("main.c", code.name() + ".c", code.name() + "_weights.c"));
        String board = emu.link(dir, compile, inputs, "prog.elf", templates);
        String over = CProgramRunner.overFlash(t, code.name(), CProgramRunner.flashByModel(dir, "prog.elf", t, java.util.Set.of(code.name())).get(code.name()));
        if (over != null) throw new KilnException(Code.BUILD_FAILED, Location.NONE, over);
        String start = symbol(dir, t, "kiln_marker_start"), stop = symbol(dir, t, "kiln_marker_stop");
        String args = plugin + ",start=" + start + ",stop=" + stop;
        if (perFunction) {
            write(dir.resolve("functions.txt"), functions(dir, t, code.name()));
            args += ",functions=" + dir.resolve("functions.txt").toAbsolutePath();
        }
        List<String> run = emu.run(board, List.of("-plugin", args, "-d", "plugin", "-D", "icount.log"), "prog.elf", List.of());
        Exec.Result r = Exec.run(run, dir, 600, dir.resolve("run.out"));
        if (r.timedOut()) throw new KilnException(Code.RUN_FAILED, Location.NONE, "qemu did not finish within 600 s");
        if (r.exit() != 0)
            throw new KilnException(Code.RUN_FAILED, Location.NONE, "the counting program failed under qemu (exit status " + r.exit() + "): " + r.tail(1500));
        String log;
        try {
            log = Files.readString(dir.resolve("icount.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            log = "";
        }
        Matcher m = COUNT.matcher(log);
        if (!m.find()) throw new KilnException(Code.RUN_FAILED, Location.NONE, "qemu's instruction counter reported nothing: " + log + r.tail(1000));
        Map<String, Long> fns = new java.util.LinkedHashMap<>();
        Matcher f = FUNCTION.matcher(log);
        while (f.find()) fns.merge(f.group(1), Long.parseLong(f.group(2)), Long::sum);
        return new Counts(Long.parseLong(m.group(1)), fns);
    }

    /**
     * The model's functions in prog.elf as "start size name" lines for the plugin: every function symbol named
     * {@code <model>_...}; a compiler clone ({@code name.constprop.0}, {@code name.part.0}) counts for its origin.
     */
    private static String functions(Path dir, Target t, String model) {
        Exec.Result r = Exec.run(List.of(t.toolchain() + "-nm", "-S", "--defined-only", "prog.elf"), dir, 60);
        if (r.exit() != 0) throw new KilnException(Code.BUILD_FAILED, Location.NONE, "cannot list the counting program's functions: " + r.tail(500));
        StringBuilder b = new StringBuilder();
        for (String line : r.out().split("\n")) {
            String[] p = line.trim().split("\\s+");
            if (p.length != 4 || !(p[2].equals("t") || p[2].equals("T")) || !p[3].startsWith(model + "_")) continue;
            int dot = p[3].indexOf('.');
            b.append(p[0]).append(' ').append(p[1]).append(' ').append(dot < 0 ? p[3] : p[3].substring(0, dot)).append('\n');
        }
        return b.toString();
    }

    /** The model object of {@code icountMain}: the inputs {@link HostBench} times with, one run. */
    private static HostBench.BenchModel benchModel(GeneratedCode code, Emulator emu) {
        HostBench.BenchModel b = HostBench.BenchModel.of(code, HostBench.inputs(code.graph()), 0);
        b.semihostingInit = emu.semihostingInit();
        return b;
    }

    /** The address of {@code name} in prog.elf, from the target's nm. */
    private static String symbol(Path dir, Target t, String name) {
        Exec.Result r = Exec.run(List.of(t.toolchain() + "-nm", "prog.elf"), dir, 60);
        if (r.exit() == 0) {
            for (String line : r.out().split("\n")) {
                String[] p = line.trim().split("\\s+");
                if (p.length == 3 && p[2].equals(name)) return "0x" + p[0];
            }
        }
        throw new KilnException(Code.BUILD_FAILED, Location.NONE, "cannot find " + name + " in the counting program: " + r.tail(500));
    }

    /** The plugin library, built on first use into a cache folder keyed by its source's hash. */
    private static synchronized Path plugin() {
        String src = Resources.read(PLUGIN_SOURCE);
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(src.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path dir = cacheRoot().resolve("qemu-plugin-" + hash);
        Path lib = dir.resolve("libkiln_icount.so");
        if (Files.isRegularFile(lib)) return lib;
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempDirectory(dir, "build-");
            write(tmp.resolve("kiln_icount.c"), src);
            Exec.Result r = Exec.run(List.of("gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-o", "libkiln_icount.so",
                    "kiln_icount.c"), tmp, 120);
            if (r.exit() != 0) throw new KilnException(Code.BUILD_FAILED, Location.NONE, "the qemu counting plugin does not build: " + r.tail(1500));
            // why: another Kiln may build the same plugin at the same time; a rename publishes a whole file only
            Files.move(tmp.resolve("libkiln_icount.so"), lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            GeneratedCode.deleteTree(tmp);
            return lib;
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.file(dir.toString()), "cannot build the qemu plugin in " + dir + ": " + e.getMessage())
                    .withHint("set KILN_CACHE to a writable folder");
        }
    }

    /** Kiln's cache folder: $KILN_CACHE, else $XDG_CACHE_HOME/kiln, else ~/.cache/kiln. */
    static Path cacheRoot() {
        String k = System.getenv("KILN_CACHE");
        if (k != null && !k.isBlank()) return Path.of(k);
        String x = System.getenv("XDG_CACHE_HOME");
        if (x != null && !x.isBlank()) return Path.of(x, "kiln");
        return Path.of(System.getProperty("user.home"), ".cache", "kiln");
    }

    private static void write(Path f, String text) {
        try {
            Files.writeString(f, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.file(f.toString()), "cannot write " + f + ": " + e.getMessage());
        }
    }
}
