package dev.kiln.toolchain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tests/setup-toolchains.sh} (README quick start, command 2) in controlled conditions: a PATH holding only
 * fake {@code dpkg-query}, {@code apt-get}, {@code sudo} and {@code id} that record their calls, so what the script
 * would install, and how, is checked without touching the machine's packages.
 */
class SetupToolchainsTest {
    private static final Path SCRIPT = TestFiles.root().resolve("tests/setup-toolchains.sh");

    @TempDir
    Path dir;

    /** The script's exit status and output. */
    record Run(int code, String out, String err) {}

    private Run run(Path path, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", SCRIPT.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", path.toString());
        pb.environment().putAll(env);
        Path out = dir.resolve("stdout"), err = dir.resolve("stderr");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the script hung");
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private void tool(Path bin, String name, String body) throws IOException {
        Path f = bin.resolve(name);
        Files.writeString(f, "#!/bin/bash\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** A PATH of fakes: dpkg-query says every package but those in $FAKE_MISSING is installed; calls go to $LOG. */
    private Path fakeApt(boolean aptFails) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        tool(bin, "dpkg-query", "for p in $FAKE_MISSING; do [ \"$p\" = \"${@: -1}\" ] && exit 1; done; printf 'install ok installed'");
        tool(bin, "apt-get", "echo \"apt-get $* DEBIAN_FRONTEND=$DEBIAN_FRONTEND\" >> \"$LOG\"" + (aptFails ? "; exit 100" : ""));
        tool(bin, "sudo", "echo \"sudo\" >> \"$LOG\"; exec \"$@\"");
        tool(bin, "id", "[ \"$1\" = -u ] && echo 1000");
        Files.createSymbolicLink(bin.resolve("env"), Path.of("/usr/bin/env"));
        return bin;
    }

    private String log() throws IOException {
        Path l = dir.resolve("log");
        return Files.exists(l) ? Files.readString(l) : "";
    }

    @Test
    void withoutAptItSaysWhatToInstallByHandAndFails() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Run r = run(empty, Map.of());
        assertEquals(3, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("apt-get is not available"), r.err());
        assertTrue(r.err().contains("Install by hand: arm-none-eabi-gcc"), r.err());
        for (String p : List.of("gcc-arm-none-eabi", "libnewlib-arm-none-eabi", "qemu-system-arm", "pocl-opencl-icd", "opencl-headers", "cmake", "make"))
            assertTrue(r.err().contains(p), "the message names " + p + ":\n" + r.err());
    }

    @Test
    void installsOnlyTheMissingPackagesThroughSudoWhenNotRoot() throws Exception {
        Path bin = fakeApt(false);
        Run r = run(bin, Map.of("FAKE_MISSING", "qemu-system-arm opencl-headers", "LOG", dir.resolve("log").toString()));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("missing qemu-system-arm: runs the Cortex-M test programs"), "names each package and why:\n" + r.out());
        assertTrue(r.out().contains("missing opencl-headers: CL/cl.h"), r.out());
        assertEquals("sudo\napt-get update -qq DEBIAN_FRONTEND=\nsudo\n"
                + "apt-get install -y -qq --no-install-recommends qemu-system-arm opencl-headers DEBIAN_FRONTEND=noninteractive\n", log());
    }

    @Test
    void checkModeListsWhatIsMissingAndInstallsNothing() throws Exception {
        Path bin = fakeApt(false);
        Run r = run(bin, Map.of("FAKE_MISSING", "cmake", "LOG", dir.resolve("log").toString()), "--check");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("1 of 15 packages missing: cmake"), r.out());
        assertEquals("", log(), "--check must not run apt-get");
    }

    @Test
    void doesNothingWhenEverythingIsInstalled() throws Exception {
        Path bin = fakeApt(false);
        for (String mode : new String[] {null, "--check"}) {
            Run r = mode == null ? run(bin, Map.of("LOG", dir.resolve("log").toString()))
                    : run(bin, Map.of("LOG", dir.resolve("log").toString()), mode);
            assertEquals(0, r.code(), r.out() + r.err());
            assertTrue(r.out().contains("nothing to do"), r.out());
        }
        assertEquals("", log(), "nothing to install, so apt-get must not run");
    }

    @Test
    void aFailedInstallFailsTheCommand() throws Exception {
        Path bin = fakeApt(true);
        Run r = run(bin, Map.of("FAKE_MISSING", "cmake", "LOG", dir.resolve("log").toString()));
        assertEquals(4, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("apt-get failed; install these packages and run again: cmake"), r.err());
        assertFalse(r.out().contains("installed 1 package"), r.out());
    }

    @Test
    void listNamesEveryPackageWithItsReasonAndBadOptionsAreUsageErrors() throws Exception {
        Path bin = fakeApt(false);
        Run r = run(bin, Map.of(), "--list");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(15, lines.size(), r.out());
        // the RISC-V and aarch64 targets' toolchains (RiscvAndAarch64TargetsTest needs them)
        for (String p : List.of("gcc-riscv64-unknown-elf", "picolibc-riscv64-unknown-elf", "qemu-system-misc", "gcc-aarch64-linux-gnu",
                "libc6-dev-arm64-cross", "qemu-user"))
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(p + " ")), p + " in\n" + r.out());
        for (String l : lines) assertTrue(l.matches("[a-z0-9.+-]+ +\\S.*"), "package and reason: " + l);
        assertEquals(2, run(bin, Map.of(), "--bogus").code());
    }
}
