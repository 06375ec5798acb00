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
import dev.kiln.frontend.onnx.TensorProtos;
import dev.kiln.ir.NdArray;
import dev.kiln.toolchain.Exec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The detection head of {@code tests/models/detection/ssd_head_nms} (made by {@code tests/tools/detection_fixtures.py}):
 * a PyTorch-exported conv head with box decoding, then TopK of 32 candidates and NonMaxSuppression (at most 16 boxes),
 * whose selected indices gather the kept boxes. ONNX Runtime keeps 11 of the 16; the interpreter matches it at every
 * level, with the arena shapes at the bound. The C and OpenCL backends match it too, and the C API returns the box count.
 * {@code ssd_head_topk_k} is the same head with TopK's k a graph input (run-time k, bounded by the 128 anchors), the
 * best k boxes gathered and their corners sliced; ORT's outputs for k = 5 and 12.
 */
class DetectionModelTest {
    private static final Path DIR = TestFiles.models().resolve("detection");

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3})
    void matchesOnnxRuntimeOnTheInterpreter(int level) {
        KilnCli.Run r = KilnCli.kiln("check", DIR.toString(), "--backend", "interp", "-O", Integer.toString(level));
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("2 passed, 0 failed"), r.out());
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
        KilnCli.Run r = KilnCli.kiln("check", DIR.resolve("ssd_head_nms").toString(), "--backend", "interp", "--bound", "nms=4");
        assertEquals(1, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("gives 11 along axis 0, more than its bound 4 (set a larger one with --bound nms=N)"), r.out());
        r = KilnCli.kiln("check", DIR.resolve("ssd_head_nms").toString(), "--backend", "interp", "--bound", "nms=12");
        assertEquals(0, r.rc(), r.out() + r.err());
    }

    @Test
    void aRunTimeKStaysAnInputAndBoundsTheOutputs() {
        Graph g = OnnxImporter.importFile(DIR.resolve("ssd_head_topk_k/model.onnx"), new ImportOptions());
        assertEquals(List.of("image", "k"), g.inputs().stream().map(v -> v.name()).toList(), "k is not frozen");
        assertEquals(Shape.of(1, 128), g.outputs().get(0).shape(), "the bound is TopK's input axis");
        assertEquals(Shape.of(1, 128, 2), g.outputs().get(2).shape());
        assertEquals(1, Extents.of(g).get(g.outputs().get(2)), "the gather and the corner slice carry the count");
        assertEquals(Shape.of(1, 8), OnnxImporter.importFile(DIR.resolve("ssd_head_topk_k/model.onnx"),
                new ImportOptions().bound("best_k", 8)).outputs().get(0).shape(), "--bound tightens it");
    }

    @Test
    void theCBackendMatchesOnnxRuntime() {
        KilnCli.Run r = KilnCli.kiln("check", DIR.toString(), "--backend", "c", "--sanitize");
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("2 passed, 0 failed"), r.out());
        r = KilnCli.kiln("check", DIR.resolve("ssd_head_topk_k").toString(), "--backend", "c", "--bound", "best_k=8");
        assertEquals(1, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("test_data_set_1: c1_run returned -2"), "k = 5 fits a bound of 8, k = 12 does not: " + r.out());
        r = KilnCli.kiln("check", DIR.resolve("ssd_head_nms").toString(), "--backend", "c", "--bound", "nms=4");
        assertEquals(1, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("_run returned -2: a run-time size passed its bound"), r.out());
    }

    @Test
    void theOpenClBackendMatchesOnnxRuntime() {
        KilnCli.Run r = KilnCli.kiln("check", DIR.toString(), "--backend", "opencl");
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("2 passed, 0 failed"), r.out());
        r = KilnCli.kiln("check", DIR.resolve("ssd_head_topk_k").toString(), "--backend", "opencl", "--bound", "best_k=8");
        assertEquals(1, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("'best_k' gives 12 along axis 1, more than its bound 8"), r.out());
        r = KilnCli.kiln("check", DIR.resolve("ssd_head_nms").toString(), "--backend", "opencl", "--bound", "nms=4");
        assertEquals(1, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("'nms' gives 11 along axis 0, more than its bound 4 (set a larger one with --bound nms=N)"), r.out());
    }

    @Test
    void theOpenClHostHeaderDocumentsTheCounts() throws Exception {
        Path out = tmp.resolve("detcl");
        KilnCli.Run r = KilnCli.kiln("compile", DIR.resolve("ssd_head_nms/model.onnx").toString(), "--backend", "opencl", "-o", out.toString(), "--name", "det");
        assertEquals(0, r.rc(), r.out() + r.err());
        String h = Files.readString(out.resolve("det_cl.h"));
        assertTrue(h.contains("int det_cl_counts(det_cl *m, size_t *counts);") && h.contains(" *   output 1: axis 0, at most 16 (node 'nms')"), h);
    }

    /**
     * The generated header documents each bounded output's bound and its count pointer, and det_run called from a
     * plain C program (with the test input, ASan/UBSan) returns ONNX Runtime's box count, 11 of at most 16.
     */
    @Test
    void theGeneratedApiReturnsTheBoxCount() throws Exception {
        Path out = tmp.resolve("det");
        KilnCli.Run r = KilnCli.kiln("compile", DIR.resolve("ssd_head_nms/model.onnx").toString(), "-o", out.toString(), "--name", "det");
        assertEquals(0, r.rc(), r.out() + r.err());
        String h = Files.readString(out.resolve("det.h"));
        assertTrue(h.contains("#define DET_OUTPUT_1_BOUND_AXIS 0") && h.contains("#define DET_OUTPUT_1_BOUND 16"), h);
        assertTrue(h.contains("int det_run(const float *in_image, int64_t *out_selected, size_t *out_selected_count, float *out_detections, "
                + "size_t *out_detections_count, void *arena);"), h);
        assertTrue(h.contains("out_detections_count: slices of out_detections along axis 0, at most 16"), h);
        assertTrue(Files.readString(out.resolve("README.md")).contains("| `out_detections` | 0 | 16 |"), "the README's table of bounded outputs");
        NdArray image = TensorProtos.readPb(DIR.resolve("ssd_head_nms/test_data_set_0/input_0.pb"), 1 << 24);
        NdArray boxes = TensorProtos.readPb(DIR.resolve("ssd_head_nms/test_data_set_0/output_1.pb"), 1 << 24);
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include \"det.h\"\n\nstatic const float image[DET_INPUT_0_SIZE] = {\n");
        for (int i = 0; i < image.size(); i++) c.append(Float.toString(image.getFloat(i))).append("f,").append(i % 8 == 7 ? "\n" : " ");
        c.append("};\nstatic uint64_t arena[DET_ARENA_WORDS];\nstatic int64_t selected[DET_OUTPUT_0_SIZE];\n")
                .append("static float boxes[DET_OUTPUT_1_SIZE];\n\nint main(void)\n{\n    size_t ns = 99, nb = 99, counts[DET_NUM_OUTPUTS] = {0};\n")
                .append("    const void *in[1] = {image};\n    void *outs[2] = {selected, boxes};\n")
                .append("    if (det_run(image, selected, &ns, boxes, &nb, arena) != 0) return 1;\n")
                .append("    printf(\"%lu %lu\\n\", (unsigned long)ns, (unsigned long)nb);\n")
                .append("    for (int i = 0; i < DET_OUTPUT_1_SIZE; ++i) printf(\"%.9g\\n\", (double)boxes[i]);\n")
                .append("    if (det_run(image, selected, NULL, boxes, NULL, arena) != 0) return 2;\n")
                .append("    if (det_run_counted(in, outs, counts, arena) != 0) return 3;\n")
                .append("    printf(\"%lu %lu\\n\", (unsigned long)counts[0], (unsigned long)counts[1]);\n    return 0;\n}\n");
        Files.writeString(out.resolve("main.c"), c.toString());
        Exec.require("gcc", "apt-get install gcc");
        Exec.Result built = Exec.run(List.of("gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-fsanitize=address,undefined",
                "-fno-sanitize-recover=all", "main.c", "det.c", "det_weights.c", "-lm", "-o", "det"), out, 180);
        assertEquals(0, built.exit(), () -> "gcc failed: " + built.tail(2000));
        Exec.Result ran = Exec.run(List.of("./det"), out, 120);
        assertEquals(0, ran.exit(), () -> "the program failed: " + ran.tail(2000));
        String[] lines = ran.out().strip().split("\n");
        assertEquals("11 11", lines[0], "ONNX Runtime keeps 11 boxes");
        assertEquals(11, boxes.shape().dim(0));
        for (int i = 0; i < boxes.size(); i++) {
            double got = Double.parseDouble(lines[1 + i]), want = boxes.getDouble(i);
            assertEquals(want, got, 1e-4 + 1e-4 * Math.abs(want), "box value " + i);
        }
        assertEquals("11 11", lines[65], "det_run_counted");
    }
}
