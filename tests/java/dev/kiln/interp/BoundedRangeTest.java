package dev.kiln.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnCli;
import dev.kiln.TestFiles;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code tests/models/bounded/range_runtime} (made by {@code tests/tools/bounded_fixtures.py}): two Range nodes over
 * graph inputs, an int64 one ({@code steps}, 10 then 0 elements) whose indices gather table rows and a float ramp
 * ({@code ramp}, 7 then 0), compared with ONNX Runtime. Their lengths are run-time extents bounded with {@code --bound}.
 */
class BoundedRangeTest {
    private static final Path DIR = TestFiles.models().resolve("bounded/range_runtime");
    private static final String[] BOUNDS = {"--bound", "steps=64", "--bound", "ramp=32"};

    private static KilnCli.Run check(String backend, String... more) {
        String[] args = new String[4 + more.length];
        args[0] = "check";
        args[1] = DIR.toString();
        args[2] = "--backend";
        args[3] = backend;
        System.arraycopy(more, 0, args, 4, more.length);
        return KilnCli.kiln(args);
    }

    private static String[] with(String... more) {
        String[] r = new String[BOUNDS.length + more.length];
        System.arraycopy(BOUNDS, 0, r, 0, BOUNDS.length);
        System.arraycopy(more, 0, r, BOUNDS.length, more.length);
        return r;
    }

    @Test
    void theInterpreterMatchesOnnxRuntimeWithinTheBounds() {
        KilnCli.Run r = check("interp", BOUNDS);
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("1 passed, 0 failed"), r.out());
        r = check("interp", "--bound", "steps=8", "--bound", "ramp=32");
        assertEquals(1, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("'steps' gives 10 along axis 0, more than its bound 8 (set a larger one with --bound steps=N)"), r.out());
    }

    @Test
    void withoutABoundTheErrorNamesTheNodeAndTheOption() {
        KilnCli.Run r = KilnCli.kiln("compile", DIR.resolve("model.onnx").toString(), "-o", DIR.resolve("never").toString());
        assertEquals(2, r.rc(), r.out() + r.err());
        assertTrue(r.err().contains("Range 'steps' has a length known only at run time (limit is 'n') and no bound")
                && r.err().contains("--bound steps=N"), r.err());
        assertTrue(!DIR.resolve("never").toFile().exists(), "nothing written");
    }

    @Test
    void theCBackendMatchesOnnxRuntime() {
        KilnCli.Run r = check("c", with("--sanitize"));
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("1 passed, 0 failed"), r.out());
        r = check("c", "--bound", "steps=64", "--bound", "ramp=4");
        assertEquals(1, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("test_data_set_0: c0_run returned -2"), r.out());
    }

    @Test
    void theOpenClBackendMatchesOnnxRuntime() {
        KilnCli.Run r = check("opencl", BOUNDS);
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("1 passed, 0 failed"), r.out());
    }
}
