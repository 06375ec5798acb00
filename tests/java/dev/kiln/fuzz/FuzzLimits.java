package dev.kiln.fuzz;

import dev.kiln.diag.KilnException;
import dev.kiln.frontend.onnx.ImportOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Shared settings of the fuzz targets: small tensor limits, so that the fuzzer looks for crashes rather than
 * for inputs that ask for gigabytes (which the limit turns into a {@link KilnException}), and a scratch folder.
 */
final class FuzzLimits {
    /** The largest tensor a fuzz input may declare: 1 MiB. */
    static final long MAX_TENSOR_BYTES = 1L << 20;

    private FuzzLimits() {}

    /** Import options with the fuzzing tensor limit. */
    static ImportOptions importOptions() {
        return new ImportOptions().maxTensorBytes(MAX_TENSOR_BYTES);
    }

    /** A fresh, empty scratch folder under the system temporary folder, deleted when the JVM exits. */
    static Path scratchDir(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code bytes} to {@code file}, replacing what it held. */
    static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        file.toFile().deleteOnExit();
    }

    /**
     * Checks that a rejection is a well-formed diagnostic: at least one, each rendering to a non-empty message
     * (a message template whose arguments do not fit would throw here).
     */
    static void checkRejection(KilnException e) {
        if (e.diagnostics().isEmpty()) throw new AssertionError("KilnException without a diagnostic", e);
        String m = e.getMessage();
        if (m == null || m.isBlank()) throw new AssertionError("KilnException with an empty message", e);
    }
}
