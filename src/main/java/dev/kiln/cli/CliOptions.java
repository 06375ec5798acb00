package dev.kiln.cli;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.frontend.onnx.ImportOptions;
import java.util.List;

/** Builds library options from command-line values shared by several commands. */
final class CliOptions {
    private CliOptions() {}

    static ImportOptions importOptions(List<String> inputShapes, Long maxTensorBytes) {
        ImportOptions o = new ImportOptions();
        if (inputShapes != null) {
            for (String s : inputShapes) {
                if (!o.parseInputShape(s))
                    throw new KilnException(Code.USAGE, Location.NONE, "--input-shape '" + s + "' is not NAME=DIMS")
                            .withHint("for example --input-shape input=1x3x224x224");
            }
        }
        if (maxTensorBytes != null) {
            if (maxTensorBytes <= 0) throw new KilnException(Code.USAGE, Location.NONE, "--max-tensor-bytes must be positive");
            o.maxTensorBytes(maxTensorBytes);
        }
        return o;
    }
}
