package dev.kiln.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnCli;
import dev.kiln.TestFiles;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code kiln check --per-layer} on a planted error: {@code tests/templates/planted_max_pool} overrides the max_pool
 * kernel of C and OpenCL to move its first output element by 10; the per-layer comparison names that layer (float
 * LeNet-5 on C and OpenCL, its int8 QDQ twin on C in output steps) and reports the layers before it within tolerance.
 */
class PerLayerTest {
    private static final Path PLANTED = TestFiles.root().resolve("tests/templates/planted_max_pool");
    private static final Path LENET = TestFiles.models().resolve("digits_lenet5_op13"), LENET8 = TestFiles.models().resolve("digits_lenet5_int8_qdq");

    private static String perLayer(String backend, Path model, String... extra) {
        String[] base = {"check", "--backend", backend, "--templates", PLANTED.toString(), "--per-layer", model.toString()};
        KilnCli.Run r = KilnCli.kiln(java.util.stream.Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(extra)).toArray(String[]::new));
        assertEquals(1, r.rc(), r.out() + r.err());
        return r.out();
    }

    @Test
    void namesThePlantedLayerOnC() {
        String out = perLayer("c", LENET);
        assertTrue(out.contains("first layer out of tolerance: node '/features/features.2/MaxPool' (max_pool)"), out);
        assertTrue(out.contains("max |difference| 10.0"), out);
        assertTrue(out.contains("layers before it (1):") && out.contains("node '/features/features.0/Conv' (conv)"), out);
        assertTrue(out.contains("--mark '/features/features.2/MaxPool'"), out);
    }

    @Test
    void namesThePlantedLayerOnOpenCl() {
        String out = perLayer("opencl", LENET);
        assertTrue(out.contains("first layer out of tolerance: node '/features/features.2/MaxPool' (max_pool)"), out);
    }

    @Test
    void namesThePlantedLayerOfAnInt8ModelInOutputSteps() {
        String out = perLayer("c", LENET8, "--steps", "1");
        assertTrue(out.contains("first layer out of tolerance: node '/features/features.2/MaxPool_1' (max_pool)"), out);
        assertTrue(out.contains("10.00 output steps"), out);
    }

    @Test
    void aPassingCaseGetsNoPerLayerReport() {
        KilnCli.Run r = KilnCli.kiln("check", "--backend", "interp", "--per-layer", LENET.toString());
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(!r.out().contains("per-layer"), r.out());
    }

    @Test
    void inspectHtmlMarksTheNamedLayer(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path html = tmp.resolve("r.html");
        KilnCli.Run r = KilnCli.kiln("inspect", LENET.resolve("model.onnx").toString(), "--html", html.toString(), "--mark", "/features/features.2/MaxPool");
        assertEquals(0, r.rc(), r.err());
        String page = java.nio.file.Files.readString(html);
        assertTrue(page.contains("<tr id=\"marked\" class=\"marked\">"), "the row is marked");
        assertTrue(page.contains("the first layer out of tolerance is <a href=\"#marked\">/features/features.2/MaxPool</a>"), "the note links to it");
        KilnCli.Run bad = KilnCli.kiln("inspect", LENET.resolve("model.onnx").toString(), "--html", html.toString(), "--mark", "nosuchnode");
        assertEquals(2, bad.rc(), bad.err());
    }
}
