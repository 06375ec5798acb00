package dev.kiln;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.frontend.onnx.OnnxImporter;
import dev.kiln.ir.Graph;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The facade the command line, the Maven plugin and tests use: load models, check, compile. */
public final class Kiln {
    private Kiln() {}

    /** Kiln's version, from the jar manifest or "dev" when run from classes. */
    public static String version() {
        String v = Kiln.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Loads a model file (ONNX by its {@code .onnx} extension) into a graph. */
    public static Graph load(Path model, ImportOptions options) {
        if (!Files.isRegularFile(model))
            throw new KilnException(Code.FILE_NOT_FOUND, Location.file(model.toString()), model + " (no such file)");
        String n = model.getFileName().toString();
        if (n.endsWith(".onnx")) return OnnxImporter.importFile(model, options);
        throw new KilnException(Code.USAGE, Location.file(model.toString()), "unknown model format '" + n + "'")
                .withHint("Kiln reads .onnx files");
    }

    /** The names of a model's runtime inputs as declared in the file, in order (before any freezing). */
    public static List<String> declaredInputs(Path model) {
        return OnnxImporter.declaredInputs(model);
    }
}
