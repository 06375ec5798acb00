package dev.kiln.toolchain;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs external tools (compilers, qemu) with a timeout, capturing their output. */
public final class Exec {
    private Exec() {}

    /** What a finished (or killed) process left: exit status, stdout, stderr, whether the timeout hit. */
    public record Result(int exit, String out, String err, boolean timedOut) {
        /** The last {@code n} characters of stderr (or stdout when stderr is empty). */
        public String tail(int n) {
            String s = err.isBlank() ? out : err;
            s = s.strip();
            return s.length() <= n ? s : "..." + s.substring(s.length() - n);
        }
    }

    /** Runs {@code cmd} in {@code dir}; kills it after {@code timeoutSeconds}. */
    public static Result run(List<String> cmd, Path dir, long timeoutSeconds) {
        return run(cmd, dir, timeoutSeconds, null);
    }

    /**
     * Runs {@code cmd} with its standard output going to {@code outFile} (read back into the result), for tools
     * such as qemu that make a pipe non-blocking and drop what does not fit.
     */
    public static Result run(List<String> cmd, Path dir, long timeoutSeconds, Path outFile) {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (outFile != null) pb.redirectOutput(outFile.toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new KilnException(Code.TOOL_MISSING, Location.NONE, "cannot run " + cmd.get(0) + ": " + e.getMessage());
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
        boolean done;
        try {
            done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new KilnException(Code.RUN_FAILED, Location.NONE, "interrupted while running " + cmd.get(0));
        }
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        String stdout = out.join();
        if (outFile != null) {
            try {
                stdout = Files.readString(outFile, StandardCharsets.UTF_8);
            } catch (IOException e) {
                stdout = "";
            }
        }
        return new Result(done ? p.exitValue() : -1, stdout, err.join(), !done);
    }

    private static String drain(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether {@code tool} is an executable on PATH (or an executable path). */
    public static boolean onPath(String tool) {
        if (tool.contains("/")) return Files.isExecutable(Path.of(tool));
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String d : path.split(File.pathSeparator)) if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) return true;
        return false;
    }

    /** Fails with a message saying what to install when {@code tool} is missing. */
    public static void require(String tool, String install) {
        if (!onPath(tool))
            throw new KilnException(Code.TOOL_MISSING, Location.NONE, tool + " is not installed (not found on PATH)")
                    .withHint("install it: " + install);
    }
}
