package dev.kiln.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnCli;
import dev.kiln.TestFiles;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.frontend.onnx.OnnxImporter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Shape;
import dev.kiln.ops.Extents;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The detection head of {@code tests/models/detection/ssd_head_nms} (made by {@code tests/tools/detection_fixtures.py}):
 * a PyTorch-exported conv head with box decoding, then TopK of 32 candidates and NonMaxSuppression (at most 16 boxes),
 * whose selected indices gather the kept boxes. ONNX Runtime keeps 11 of the 16; the interpreter matches it at every
 * level, with the arena shapes at the bound. The C and OpenCL backends refuse NonMaxSuppression up front (bounded
 * shapes are not lowered there yet), which this test pins down.
 */
class DetectionModelTest {
    private static final Path DIR = TestFiles.models().resolve("detection");

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3})
    void matchesOnnxRuntimeOnTheInterpreter(int level) {
        KilnCli.Run r = KilnCli.kiln("check", DIR.toString(), "--backend", "interp", "-O", Integer.toString(level));
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("1 passed, 0 failed"), r.out());
    }

    @Test
    void theBoundsComeFromTheOps() {
        Graph g = OnnxImporter.importFile(DIR.resolve("ssd_head_nms/model.onnx"), new ImportOptions());
        assertEquals(Shape.of(16, 3), g.outputs().get(0).shape(), "max_output_boxes_per_class 16 x 1 class x 1 batch");
        assertEquals(Shape.of(16, 1, 4), g.outputs().get(1).shape());
        assertEquals(0, Extents.of(g).get(g.outputs().get(1)), "the gathers carry the count to the boxes");
    }

    @Test
    void aUserBoundTightensTheArenaAndTooSmallABoundFailsTheRun() {
        KilnCli.Run r = KilnCli.kiln("check", DIR.toString(), "--backend", "interp", "--bound", "nms=4");
        assertEquals(1, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("gives 11 along axis 0, more than its bound 4 (set a larger one with --bound nms=N)"), r.out());
        r = KilnCli.kiln("check", DIR.toString(), "--backend", "interp", "--bound", "nms=12");
        assertEquals(0, r.rc(), r.out() + r.err());
    }

    @Test
    void theCBackendRefusesNonMaxSuppressionNamingTheNode() {
        KilnCli.Run r = KilnCli.kiln("check", DIR.resolve("ssd_head_nms").toString(), "--backend", "c");
        assertEquals(1, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("non_max_suppression 'nms': no C kernel for non_max_suppression"), r.out());
    }
}
