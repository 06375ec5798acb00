package dev.kiln;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.frontend.dsl.DslImporter;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.frontend.onnx.OnnxImporter;
import dev.kiln.ir.Graph;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.Pipelines;
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

    /** Loads a model file into a graph: ONNX ({@code .onnx}) or the Kiln DSL ({@code .kiln}), by extension. */
    public static Graph load(Path model, ImportOptions options) {
        if (!Files.isRegularFile(model))
            throw new KilnException(Code.FILE_NOT_FOUND, Location.file(model.toString()), model + " (no such file)");
        String n = model.getFileName().toString();
        if (n.endsWith(".onnx")) return OnnxImporter.importFile(model, options);
        if (n.endsWith(".kiln")) return DslImporter.importFile(model, options);
        throw new KilnException(Code.USAGE, Location.file(model.toString()), "unknown model format '" + n + "'")
                .withHint("Kiln reads .onnx and .kiln files");
    }

    /**
     * Compiles a model file for a target with the backend of kind {@code backend} at {@code -O3}: load,
     * optimise, plan, generate in memory. Nothing is written; see
     * {@link dev.kiln.backend.GeneratedCode#writeFolderAtomically}.
     */
    public static dev.kiln.backend.GeneratedCode compile(Path model, ImportOptions options, String backend,
            dev.kiln.backend.Target target, dev.kiln.backend.Backend.Options o) {
        return compile(model, options, backend, target, o, CompileOptions.defaults());
    }

    /**
     * Compiles a model file for a target with the backend of kind {@code backend}: load, run the pass pipeline
     * of {@code co}'s level, plan, generate in memory. Nothing is written.
     */
    public static dev.kiln.backend.GeneratedCode compile(Path model, ImportOptions options, String backend,
            dev.kiln.backend.Target target, dev.kiln.backend.Backend.Options o, CompileOptions co) {
        dev.kiln.backend.Backend b = dev.kiln.backend.Backend.find(backend);
        if (b == null) throw new KilnException(Code.USAGE, Location.NONE, "unknown backend '" + backend + "'").withHint("available: " + String.join(", ", dev.kiln.backend.Backend.kinds()));
        Graph g = load(model, options);
        optimize(g, target, co);
        return b.generate(g, target, o);
    }

    /**
     * The target a compiled backend generates for: {@code target} (a name or a descriptor file), or the one the
     * backend stands for the C default {@code host} ({@link dev.kiln.backend.Backend#compileTarget}).
     */
    public static dev.kiln.backend.Target compiledTarget(String backend, String target) {
        dev.kiln.backend.Backend b = dev.kiln.backend.Backend.find(backend);
        return dev.kiln.backend.Target.load(b == null ? target : b.compileTarget(target));
    }

    /**
     * Runs the pass pipeline of {@code co}'s level on {@code g} in place, for {@code target} (null: the
     * interpreter only), under {@code co}'s instruments; returns the context with the passes' notes.
     */
    public static PassContext optimize(Graph g, dev.kiln.backend.Target target, CompileOptions co) {
        PassContext cx = new PassContext(target, co.passes());
        Pipelines.level(co.level()).run(g, cx, co.instruments());
        return cx;
    }

    /** The names of a model's runtime inputs as declared in the file, in order (before any freezing). */
    public static List<String> declaredInputs(Path model) {
        if (model.getFileName() != null && model.getFileName().toString().endsWith(".kiln")) {
            if (!Files.isRegularFile(model))
                throw new KilnException(Code.FILE_NOT_FOUND, Location.file(model.toString()), model + " (no such file)");
            return DslImporter.declaredInputs(model);
        }
        return OnnxImporter.declaredInputs(model);
    }
}
