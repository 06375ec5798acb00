package dev.kiln.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.TestFiles;
import dev.kiln.diag.KilnException;
import dev.kiln.frontend.dsl.DslImporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes the Kiln DSL parser and importer with arbitrary text: it must either import the model or reject it
 * with a {@link KilnException}; any other exception, a hang or running out of memory is a crash. The model's
 * folder holds {@code tiny_mlp.npz}, so inputs naming it also exercise the weight binding.
 */
class DslImporterFuzzTest {
    private static final Path DIR = FuzzLimits.scratchDir("kiln-fuzz-dsl");

    static {
        try {
            Path npz = DIR.resolve("tiny_mlp.npz");
            Files.copy(TestFiles.root().resolve("tests/dsl/tiny_mlp/tiny_mlp.npz"), npz);
            npz.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void importDsl(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        try {
            DslImporter.importText(text, "fuzz.kiln", DIR, FuzzLimits.importOptions());
        } catch (KilnException e) {
            FuzzLimits.checkRejection(e);
        }
    }
}
