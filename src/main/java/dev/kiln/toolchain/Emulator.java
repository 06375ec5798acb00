package dev.kiln.toolchain;

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
import java.util.ArrayList;
import java.util.List;

/**
 * How a cross target's test and benchmark programs are linked and run under qemu, as its descriptor says: qemu's
 * system emulator on one of the target's boards (bare metal, output through semihosting) or qemu's user mode (a
 * static Linux program). The descriptor keys are {@code qemu} (the emulator command), {@code qemu.mode}
 * ({@code system} or {@code user}), {@code qemu.args} (more emulator options), {@code qemu.semihosting} (the
 * {@code -semihosting-config} value, {@code enable=on,target=native} unless set), {@code link.files} (Kiln runtime files
 * copied beside the program; the {@code .c} ones are compiled into it), {@code link.flags} (with the chosen board's
 * {@code {flash.origin}}, {@code {flash.length}}, {@code {ram.origin}}, {@code {ram.length}}), {@code semihosting.init}
 * (a C function the program calls before printing, if its C library needs one) and {@code packages} (what to
 * install when a tool is missing). {@link CProgramRunner} and {@link QemuInstructionCounter} both build through it.
 */
public final class Emulator {
    private final Target target;

    private Emulator(Target target) { this.target = target; }

    /** The emulator of cross target {@code t}. */
    public static Emulator of(Target t) { return new Emulator(t); }

    /** The qemu command ({@code qemu-system-arm}, {@code qemu-aarch64}). */
    public String command() { return target.property("qemu", "qemu-system-arm"); }

    /** Whether programs run as Linux processes under qemu's user mode rather than bare metal on a board. */
    public boolean userMode() { return target.property("qemu.mode", "system").equals("user"); }

    /** The C function a bare-metal program calls before it prints (newlib's {@code initialise_monitor_handles}), or null. */
    public String semihostingInit() {
        String s = target.property("semihosting.init", "");
        return s.isEmpty() ? null : s;
    }

    /** Fails with what to install when the target's compiler or qemu is missing (and the host gcc when {@code plugin}). */
    public void require(boolean plugin) {
        String install = "run 'bash tests/setup-toolchains.sh' or apt-get install " + target.property("packages", "");
        Exec.require(target.cc(), install);
        Exec.require(command(), install);
        if (plugin) Exec.require("gcc", "apt-get install gcc (builds the qemu plugin)");
    }

    /** Writes the descriptor's {@code link.files} into {@code dir}; returns the names of the C sources among them. */
    public List<String> writeRuntime(Path dir) {
        List<String> sources = new ArrayList<>();
        for (String f : words("link.files")) {
            String text = Resources.read(f);
            if (text == null) throw new KilnException(Code.BAD_TARGET, Location.NONE, "target " + target.name() + ": link.files names " + f + ", which Kiln lacks");
            String name = Path.of(f).getFileName().toString();
            write(dir.resolve(name), text);
            if (name.endsWith(".c")) sources.add(name);
        }
        return sources;
    }

    /**
     * Links {@code prog} in {@code dir}: {@code compile} (compiler and flags) then the link flags, {@code inputs}
     * (sources and objects) and {@code -o prog -lm}; on a board target it tries the boards in order until one holds
     * the program and returns that board's name (null in user mode).
     */
    public String link(Path dir, List<String> compile, List<String> inputs, String prog, Templates harness) {
        if (userMode()) {
            Exec.Result r = Exec.run(command(compile, null, inputs, prog), dir, 600);
            if (r.exit() != 0) throw linkFailed(r.tail(2000));
            return null;
        }
        String last = null;
        for (Target.Board b : target.boards()) {
            write(dir.resolve("kiln_memory.ld"), harness.render("memoryMap", "b", new CProgramRunner.BoardModel(b)));
            Exec.Result r = Exec.run(command(compile, b, inputs, prog), dir, 600);
            if (r.exit() == 0) return b.name();
            last = r.tail(2000);
            // why: a program too large for one board may fit the next; other link errors are final
            if (!last.contains("overflowed") && !last.contains("will not fit")) break;
        }
        throw linkFailed(last);
    }

    private KilnException linkFailed(String why) {
        return new KilnException(Code.BUILD_FAILED, Location.NONE, "linking for " + target.name() + " failed: " + why);
    }

    private List<String> command(List<String> compile, Target.Board b, List<String> inputs, String prog) {
        List<String> cmd = new ArrayList<>(compile);
        for (String f : words("link.flags")) cmd.add(b == null ? f : f.replace("{flash.origin}", b.flash().originHex())
                .replace("{flash.length}", Long.toString(b.flash().length())).replace("{ram.origin}", b.ram().originHex())
                .replace("{ram.length}", Long.toString(b.ram().length())));
        cmd.addAll(inputs);
        cmd.addAll(List.of("-o", prog, "-lm"));
        return cmd;
    }

    /** The command line that runs {@code prog} (in the current folder) on {@code board} with {@code options} and {@code args}. */
    public List<String> run(String board, List<String> options, String prog, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(command());
        if (!userMode()) cmd.addAll(List.of("-M", board));
        cmd.addAll(words("qemu.args"));
        if (!userMode())
            cmd.addAll(List.of("-semihosting-config", target.property("qemu.semihosting", "enable=on,target=native"), "-nographic", "-monitor", "none"));
        cmd.addAll(options);
        if (userMode()) cmd.add("./" + prog);
        else cmd.addAll(List.of("-kernel", prog));
        cmd.addAll(args);
        return cmd;
    }

    private List<String> words(String key) {
        String v = target.property(key, "");
        return v.isEmpty() ? List.of() : List.of(v.split("\\s+"));
    }

    private static void write(Path f, String text) {
        try {
            Files.writeString(f, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.file(f.toString()), "cannot write " + f + ": " + e.getMessage());
        }
    }
}
