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
 *
 * <p>{@code tests/models/bounded/two_heads} ({@code bounded_fixtures.py two_heads}): two PyTorch detection heads whose
 * TopK take k as graph inputs, their best boxes concatenated along the run-time sized axis, then
 * {@code Range(0, Gather(Shape(boxes), 0), 1)} (its bound derived: no {@code --bound}), Reshapes merging {@code [N, 4]}
 * into {@code [4N]} and splitting that into {@code [2N, 2]}, a Slice {@code [1:-1]} counting from the extent, and
 * NonMaxSuppression over the concatenated boxes and scores (only the first N are candidates); then the boxes stacked
 * into {@code [2, N, 4]} and reshaped to {@code [2, 4N]} and {@code [2, 2N, 2]} (the run-time sized axis not the
 * leading one), a Slice {@code [from : N - 1]} whose start is a graph input and whose end is computed from the
 * run-time Shape, {@code Range(0, (3N + 1) / 2 - 1, 1)} (its bound derived through the arithmetic), and Reshapes to
 * shapes computed from the run-time Shape ({@code x.view(x.size(0), -1)}, {@code [2, N, 4]} to
 * {@code [*shape[:2], 2, 2]}), and the NonZero of each head's scores above {@code 0.5 + from / 4} (none, some, all)
 * concatenated along their run-time sized axis 1 (extents from two nodes add), and head B's k highest and k lowest
 * scores (two TopK nodes) stacked along axis 0 (extents from two nodes, equal at run time); k and from =
 * (5, 3, 2), (0, 1, 0) and (32, 16, -5), compared with ONNX Runtime on each backend.
 */
class BoundedRangeTest {
    private static final Path DIR = TestFiles.models().resolve("bounded/range_runtime");
    private static final String[] BOUNDS = {"--bound", "steps=64", "--bound", "ramp=32"};
    private static final Path HEADS = TestFiles.models().resolve("bounded/two_heads");

    private static KilnCli.Run check(String backend, String... more) { return check(DIR, backend, more); }

    private static KilnCli.Run check(Path dir, String backend, String... more) {
        String[] args = new String[4 + more.length];
        args[0] = "check";
        args[1] = dir.toString();
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
        r = check(HEADS, "interp");
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("1 passed, 0 failed"), r.out());
    }

    @Test
    void extentsOfConcatSliceReshapeAndRangeAreBoundedAndDocumented(@org.junit.jupiter.api.io.TempDir Path tmp) throws java.io.IOException {
        KilnCli.Run r = KilnCli.kiln("compile", HEADS.resolve("model.onnx").toString(), "-o", tmp.resolve("out").toString());
        assertEquals(0, r.rc(), r.out() + r.err());
        String h = java.nio.file.Files.readString(tmp.resolve("out/two_heads.h"));
        // outputs: scores [1, 48] and boxes [48, 4] (32 + 16 packed), order [48] (Range's bound from Shape(boxes)),
        // flat [192], pairs [96, 2], inner [46, 4] (the most [1:-1] keeps of 48), selected [4, 3] (NMS keeps at most 4),
        // wide [2, 192], wide_pairs [2, 96, 2], tail [48, 4] (run-time start and end: any window), ramp3 [71] ((3*48+1)/2-1),
        // view [48, 4], grid [2, 48, 2, 2], above [2, 48] (32 + 16), extremes [2, 16]
        long[][] bounds = {{1, 48}, {0, 48}, {0, 48}, {0, 192}, {0, 96}, {0, 46}, {0, 4}, {1, 192}, {1, 96}, {0, 48}, {0, 71}, {0, 48}, {1, 48},
            {1, 48}, {1, 16}};
        for (int i = 0; i < bounds.length; i++) {
            assertTrue(h.contains("#define TWO_HEADS_OUTPUT_" + i + "_BOUND_AXIS " + bounds[i][0]), h);
            assertTrue(h.contains("#define TWO_HEADS_OUTPUT_" + i + "_BOUND " + bounds[i][1]), h);
        }
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
        r = check(HEADS, "c", "--sanitize");
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("1 passed, 0 failed"), r.out());
    }

    @Test
    void theOpenClBackendMatchesOnnxRuntime() {
        KilnCli.Run r = check("opencl", BOUNDS);
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("1 passed, 0 failed"), r.out());
        r = check(HEADS, "opencl");
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("1 passed, 0 failed"), r.out());
    }
}
