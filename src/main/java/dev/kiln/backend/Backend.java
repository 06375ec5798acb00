package dev.kiln.backend;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import java.nio.file.Path;
import java.util.ServiceLoader;

/**
 * A code generator: reads an optimized, shape-complete graph and produces source files. Discovered with
 * {@link ServiceLoader} ({@code META-INF/services/dev.kiln.backend.Backend}); a new backend is one package,
 * one template folder, one services line and a target descriptor.
 */
public interface Backend {
    /** Options of one generation. */
    record Options(String name, Path templates, String sourceName) {}

    /** The backend's name on the command line ({@code c}, {@code opencl}). */
    String kind();

    /**
     * The dialect the backend renders the shared kernel bodies of {@code templates/kernels/} in, or null for a
     * backend without kernel templates; every op then needs a template or a {@link dev.kiln.ops.NoKernel} refusal.
     */
    default dev.kiln.kernels.Dialect dialect() { return null; }

    /** Why the backend cannot run {@code n} on {@code t}, or null when it can. */
    String unsupportedReason(Graph g, Node n, Target t);

    /**
     * Generates code for {@code g}; reports every node it cannot run in one error
     * ({@link dev.kiln.diag.Code#UNSUPPORTED_BY_BACKEND}).
     */
    GeneratedCode generate(Graph g, Target t, Options o);

    /** The backend of that kind, or null. */
    static Backend find(String kind) {
        for (Backend b : ServiceLoader.load(Backend.class, Backend.class.getClassLoader())) if (b.kind().equals(kind)) return b;
        return null;
    }
}
