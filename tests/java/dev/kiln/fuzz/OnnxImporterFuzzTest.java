package dev.kiln.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.diag.KilnException;
import dev.kiln.frontend.onnx.OnnxImporter;
import java.nio.file.Path;

/**
 * Fuzzes the ONNX importer with arbitrary bytes as a {@code .onnx} file: it must either import the model or
 * reject it with a {@link KilnException}; any other exception, a hang or running out of memory is a crash.
 * Plain {@code mvn test} replays the corpus in {@code tests/fuzz/dev/kiln/fuzz/OnnxImporterFuzzTestInputs/};
 * {@code JAZZER_FUZZ=1} fuzzes (see README, "Fuzzing").
 */
class OnnxImporterFuzzTest {
    private static final Path DIR = FuzzLimits.scratchDir("kiln-fuzz-onnx");
    private static final Path MODEL = DIR.resolve("model.onnx");

    @FuzzTest(maxDuration = "10m")
    void importOnnx(byte[] bytes) {
        // why: through a file, as the command line reads models; external data then resolves inside DIR
        FuzzLimits.write(MODEL, bytes);
        try {
            OnnxImporter.importFile(MODEL, FuzzLimits.importOptions());
        } catch (KilnException e) {
            FuzzLimits.checkRejection(e);
        }
    }
}
