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
 */
public final class QemuInstructionCounter {
    private static final String PLUGIN_SOURCE = "runtime-c/qemu/kiln_icount.c";
    private static final Pattern COUNT = Pattern.compile("kiln_icount (\\d+)");

    private QemuInstructionCounter() {}

    /** Guest instructions of one {@code <model>_run} call of {@code code} (deterministic random inputs). */
    public static long count(GeneratedCode code, Templates templates) {
        Target t = code.target();
        // why: only qemu targets have a guest to count; the host is timed by HostBench instead
        if (!t.isCross())
            throw new KilnException(Code.USAGE, Location.NONE, "instruction counts need a qemu target, not " + t.name())
                    .withHint("use -t cortex-m4f (or another Cortex-M target)");
        Emulator.of(t).require(true);
        Path plugin = plugin();
        long[] result = {-1};
        BuildFolders.use("kiln-icount-", dir -> result[0] = buildAndCount(dir, code, templates, plugin));
        return result[0];
    }

    private static long buildAndCount(Path dir, GeneratedCode code, Templates templates, Path plugin) {
        Target t = code.target();
        for (Map.Entry<String, String> f : code.files().entrySet()) write(dir.resolve(f.getKey()), f.getValue());
        Emulator emu = Emulator.of(t);
        write(dir.resolve("main.c"), templates.render("icountMain", "b", benchModel(code, emu)));
        List<String> compile = new ArrayList<>();
        compile.add(t.cc());
        compile.addAll(t.cflags());
        compile.addAll(CProgramRunner.WARNINGS);
        compile.addAll(List.of("-ffunction-sections", "-fdata-sections", "-I."));
        List<String> inputs = new ArrayList<>(emu.writeRuntime(dir));
        inputs.addAll(List.of("main.c", code.name() + ".c", code.name() + "_weights.c"));
        String board = emu.link(dir, compile, inputs, "prog.elf", templates);
        String over = CProgramRunner.overFlash(t, code.name(), CProgramRunner.flashByModel(dir, "prog.elf", t, java.util.Set.of(code.name())).get(code.name()));
        if (over != null) throw new KilnException(Code.BUILD_FAILED, Location.NONE, over);
        String start = symbol(dir, t, "kiln_marker_start"), stop = symbol(dir, t, "kiln_marker_stop");
        List<String> run = emu.run(board, List.of("-plugin", plugin + ",start=" + start + ",stop=" + stop, "-d", "plugin", "-D", "icount.log"),
                "prog.elf", List.of());
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
        return Long.parseLong(m.group(1));
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
