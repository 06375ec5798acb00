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
        Exec.require(t.cc(), "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi");
        Exec.require("qemu-system-arm", "apt-get install qemu-system-arm");
        Exec.require("gcc", "apt-get install gcc (builds the qemu plugin)");
        Path plugin = plugin();
        long[] result = {-1};
        BuildFolders.use("kiln-icount-", dir -> result[0] = buildAndCount(dir, code, templates, plugin));
        return result[0];
    }

    private static long buildAndCount(Path dir, GeneratedCode code, Templates templates, Path plugin) {
        Target t = code.target();
        for (Map.Entry<String, String> f : code.files().entrySet()) write(dir.resolve(f.getKey()), f.getValue());
        write(dir.resolve("main.c"), templates.render("icountMain", "b", benchModel(code)));
        write(dir.resolve("kiln_startup_cortexm.c"), Resources.read("runtime-c/kiln_startup_cortexm.c"));
        write(dir.resolve("kiln_cortexm.ld"), Resources.read("runtime-c/kiln_cortexm.ld"));
        List<String> cmd = new ArrayList<>();
        cmd.add(t.cc());
        cmd.addAll(t.cflags());
        cmd.addAll(CProgramRunner.WARNINGS);
        cmd.addAll(List.of("-ffunction-sections", "-fdata-sections", "-I.", "-nostartfiles", "--specs=nano.specs",
                "--specs=rdimon.specs", "-Wl,--gc-sections", "-T", "kiln_cortexm.ld", "-L.", "kiln_startup_cortexm.c", "main.c",
                code.name() + ".c", code.name() + "_weights.c", "-o", "prog.elf", "-lm"));
        String board = null, last = null;
        for (Target.Board b : t.boards()) {
            write(dir.resolve("kiln_memory.ld"), templates.render("memoryMap", "b", new CProgramRunner.BoardModel(b)));
            Exec.Result r = Exec.run(cmd, dir, 600);
            if (r.exit() == 0) {
                board = b.name();
                break;
            }
            last = r.tail(2000);
            // why: a program too large for one board may fit the next; other build errors are final
            if (!last.contains("overflowed") && !last.contains("will not fit")) break;
        }
        if (board == null) throw new KilnException(Code.BUILD_FAILED, Location.NONE, "the counting program does not build for " + t.name() + ": " + last);
        String over = CProgramRunner.overFlash(t, code.name(), CProgramRunner.flashByModel(dir, t, java.util.Set.of(code.name())).get(code.name()));
        if (over != null) throw new KilnException(Code.BUILD_FAILED, Location.NONE, over);
        String start = symbol(dir, t, "kiln_marker_start"), stop = symbol(dir, t, "kiln_marker_stop");
        List<String> run = List.of("qemu-system-arm", "-M", board, "-semihosting-config", "enable=on,target=native", "-nographic",
                "-monitor", "none", "-plugin", plugin + ",start=" + start + ",stop=" + stop, "-d", "plugin", "-D", "icount.log",
                "-kernel", "prog.elf");
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
    private static HostBench.BenchModel benchModel(GeneratedCode code) {
        return HostBench.BenchModel.of(code, HostBench.inputs(code.graph()), 0);
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
