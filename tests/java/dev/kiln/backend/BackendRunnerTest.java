package dev.kiln.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.diag.KilnException;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runners come from the Backend service: a backend without one says so; the built-in ones make theirs. */
class BackendRunnerTest {
    /** A backend that only generates code. */
    private static final class CompileOnly implements Backend {
        @Override public String kind() { return "compile-only"; }
        @Override public String unsupportedReason(Graph g, Node n, Target t) { return null; }
        @Override public GeneratedCode generate(Graph g, Target t, Options o) { throw new UnsupportedOperationException(); }
    }

    @Test
    void aBackendWithoutARunnerSaysWhy() {
        KilnException e = assertThrows(KilnException.class,
                () -> new CompileOnly().runner(new Backend.RunOptions("host", false, null, Map.of(), null)));
        assertTrue(e.getMessage().contains("backend 'compile-only' has no runner"), e.getMessage());
    }

    @Test
    void theBuiltInBackendsMakeTheirRunnersAndTargets() {
        Backend c = Backend.find("c"), cl = Backend.find("opencl");
        assertTrue(c.runner(new Backend.RunOptions("host", false, null, Map.of(), null)) instanceof dev.kiln.toolchain.CProgramRunner);
        assertEquals("host", c.compileTarget("host"));
        assertEquals(c.kind(), Backend.compiledDefault().kind(), "C compiles by default (first in service order to declare it)");
        assertEquals(java.util.List.of("c", "opencl"), Backend.kinds());
        assertEquals("opencl-gpu", cl.compileTarget("host"));
        assertEquals("opencl-cpu", cl.compileTarget("opencl-cpu"));
        assertTrue(cl.settings().stream().anyMatch(s -> s.name().equals("opencl.device") && s.option().equals("--opencl-device")));
        KilnException e = assertThrows(KilnException.class,
                () -> cl.runner(new Backend.RunOptions("host", false, null, Map.of("opencl.binding", "pyopencl"), null)));
        assertTrue(e.getMessage().contains("unknown OpenCL binding 'pyopencl'"), e.getMessage());
    }
}
