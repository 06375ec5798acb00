package dev.kiln.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.CompileOptions;
import dev.kiln.Kiln;
import dev.kiln.TestFiles;
import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.ModelStats;
import dev.kiln.backend.Target;
import dev.kiln.backend.c.CBackend;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.memory.MemoryPlan;
import dev.kiln.ops.Ops;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The structure of {@code kiln inspect --html} pages: self-contained, complete pictures, fused labels, int8 errors, escaping. */
class HtmlReportTest {
    private static final Path RESNET8 = TestFiles.models().resolve("resnet8_cifar10_op13/model.onnx");
    private static final Path KWS_QDQ = TestFiles.models().resolve("ds_cnn_kws_int8_qdq/model.onnx");
    private static final Path PPOCR = TestFiles.models().resolve("ppocr_mobile_v2_cls/model.onnx");

    private static GeneratedCode compile(Path model) {
        return Kiln.compile(model, new ImportOptions(), "c", Target.load("host"),
                new Backend.Options(CBackend.defaultName(model), null, model.getFileName().toString()), CompileOptions.defaults());
    }

    private static String page(GeneratedCode code, HtmlReport.FloatReference ref) {
        return HtmlReport.render(code, new ModelStats(code), "model.onnx", "-O3", ref);
    }

    private static int count(String s, String regex) {
        Matcher m = Pattern.compile(regex).matcher(s);
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    @Test
    void pageIsSelfContained() {
        String html = page(compile(RESNET8), null);
        assertTrue(html.startsWith("<!DOCTYPE html>"), html.substring(0, 40));
        for (String banned : List.of("http:", "https:", "src=", "href=", "@import", "<script", "<link", "<img", "<iframe"))
            assertFalse(html.contains(banned), "the page refers outside itself: " + banned);
        Matcher m = Pattern.compile("url\\(\\s*(.)").matcher(html);
        while (m.find()) assertEquals("#", m.group(1), "url( may only name a fragment of the page");
        assertTrue(html.contains("<style>") && html.contains("<svg class=\"graph\"") && html.contains("<svg class=\"mem\""));
    }

    @Test
    void graphHasOneNodeElementPerNode() {
        GeneratedCode code = compile(RESNET8);
        String html = page(code, null);
        assertEquals(code.graph().nodes().size(), count(html, "<g class=\"node "));
        assertEquals(code.graph().inputs().size() + code.graph().outputs().size(), count(html, "<g class=\"io\""));
        assertEquals(code.graph().nodes().size(), count(html, "<tr><td class=\"n\">"), "one table row per layer");
    }

    @Test
    void memoryPictureHasOneRectPerBufferReachingTheArenaSize() {
        GeneratedCode code = compile(PPOCR);
        MemoryPlan plan = code.plan();
        String html = page(code, null);
        Matcher m = Pattern.compile("<rect class=\"buf[^\"]*\"[^>]*data-offset=\"(\\d+)\" data-bytes=\"(\\d+)\"").matcher(html);
        int rects = 0;
        long top = 0;
        while (m.find()) {
            rects++;
            top = Math.max(top, Long.parseLong(m.group(1)) + Long.parseLong(m.group(2)));
        }
        assertTrue(plan.buffers().size() > 20, "a model with many buffers: " + plan.buffers().size());
        assertEquals(plan.buffers().size(), rects);
        assertEquals(plan.arenaBytes(), top, "the highest rectangle ends at the arena size");
        assertTrue(html.contains("arena " + Html.group(plan.arenaBytes()) + " B"), "the arena line is labelled");
        assertTrue(html.contains(plan.arenaBytes() == plan.lowerBoundBytes() ? " B = liveness lower bound"
                : "liveness lower bound " + Html.group(plan.lowerBoundBytes()) + " B"), "the lower bound is labelled");
        assertTrue(count(html, "<rect class=\"peak\"") >= 1, "the peak step is shaded");
    }

    @Test
    void fusedGroupsAreLabelled() {
        String r8 = page(compile(RESNET8), null);
        assertTrue(r8.contains(">conv + relu + residual<"), "resnet8's residual convs show their fused add and relu");
        assertTrue(r8.contains(" fused\""), "fused nodes are drawn as fused");
        String ocr = page(compile(PPOCR), null);
        assertTrue(ocr.contains("depthwise + relu \u2192 pointwise"), "separable_conv shows its two convolutions");
        assertTrue(Pattern.compile(">\\w+ \u2192 \\w+").matcher(ocr).find(), "fused_elementwise shows its member ops");
    }

    @Test
    void int8ModelHasErrorTableAndFloatModelHasNone() {
        GeneratedCode q = compile(KWS_QDQ);
        HtmlReport.FloatReference ref = HtmlReport.floatReference(KWS_QDQ, new ImportOptions(), Target.load("host"), CompileOptions.defaults(), null);
        String html = page(q, ref);
        assertTrue(html.contains("<section id=\"int8\">"), "int8 section");
        assertTrue(html.contains("<th class=\"n\">rel RMS err</th>"), "error columns in the layer table");
        Int8Errors e = Int8Errors.compare(ref.graph(), q.graph(), ref.inputs(), ref.source());
        assertEquals(null, e.failure);
        assertTrue(e.errors.size() >= q.graph().nodes().size() / 2, "most layers matched by name: " + e.errors.size() + " " + e.unmatched);
        for (Int8Errors.Error x : e.errors.values()) assertTrue(x.relRms() < 0.25, "int8 close to float: " + x);
        assertEquals(e.errors.size(), count(html, "<g class=\"err\">"), "one bar per matched layer");

        String f = page(compile(RESNET8), null);
        assertFalse(f.contains("id=\"int8\"") || f.contains("rel RMS err"), "no int8 section for a float model");
        assertFalse(HtmlReport.isInt8(compile(RESNET8).graph()));
    }

    @Test
    void hostileNamesAreEscaped() {
        String evil = "<script>alert(\"x&y\")</script>'";
        Graph g = new Graph("evil");
        Value x = g.addInput(evil + "in", TensorType.of(DType.F32, 1, 4));
        Value y = g.addNode(Ops.RELU, evil, List.of(x), Attrs.EMPTY).output(0);
        Value z = g.addNode(Ops.SIGMOID, evil + "2", List.of(y), Attrs.EMPTY).output(0);
        g.addOutput(z);
        GeneratedCode code = new CBackend().generate(g, Target.load("host"), new Backend.Options("evil", null, "evil.onnx"));
        String html = HtmlReport.render(code, new ModelStats(code), evil + ".onnx", "-O3", null);
        assertFalse(html.contains("<script"), "a node name became markup");
        assertFalse(html.contains("\"x&y\""), "quotes and ampersands are escaped");
        assertTrue(html.contains("&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;"), "the name is shown escaped");
    }

    @Test
    void sameModelGivesTheSameBytes() {
        GeneratedCode a = compile(KWS_QDQ), b = compile(KWS_QDQ);
        HtmlReport.FloatReference ra = HtmlReport.floatReference(KWS_QDQ, new ImportOptions(), Target.load("host"), CompileOptions.defaults(), null);
        HtmlReport.FloatReference rb = HtmlReport.floatReference(KWS_QDQ, new ImportOptions(), Target.load("host"), CompileOptions.defaults(), null);
        assertEquals(page(a, ra), page(b, rb));
    }

    @Test
    void cliWritesTheReport(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path out = dir.resolve("sub/report.html");
        java.io.StringWriter o = new java.io.StringWriter(), err = new java.io.StringWriter();
        int rc = dev.kiln.cli.Main.execute(new java.io.PrintWriter(o), new java.io.PrintWriter(err), "inspect", RESNET8.toString(), "--int8",
                "--calibrate", RESNET8.getParent().resolve("test_data_set_0").toString(), "--html", out.toString());
        assertEquals(0, rc, err.toString());
        String html = java.nio.file.Files.readString(out);
        assertTrue(html.contains("<section id=\"int8\">") && html.contains("first sample of"), "int8 section from the calibration data");
        assertTrue(o.toString().contains("arena"), "the text table is still printed");
        assertNotNull(html);
    }

    @Test
    void peakOfLiveBuffersFitsTheArena() {
        // buffers live at the same step must occupy disjoint bytes, so their sum never exceeds the arena
        for (Path model : List.of(RESNET8, PPOCR, KWS_QDQ)) {
            MemoryPlan plan = compile(model).plan();
            MemoryPicture m = new MemoryPicture(plan);
            assertTrue(m.peakBytes() > 0 && m.peakBytes() <= plan.arenaBytes(), model + ": peak " + m.peakBytes() + " arena " + plan.arenaBytes());
            assertFalse(m.peakSteps().isEmpty());
        }
    }

    @Test
    void errorIsMaxAbsAndRelativeRms() {
        dev.kiln.ir.NdArray f = dev.kiln.ir.NdArray.ofFloats(dev.kiln.ir.Shape.of(2), 1f, 1f);
        dev.kiln.ir.NdArray d = dev.kiln.ir.NdArray.ofFloats(dev.kiln.ir.Shape.of(2), 1f, 2f);
        Int8Errors.Error e = Int8Errors.error(d, f);
        assertEquals(1.0, e.maxAbs(), 1e-12);
        assertEquals(Math.sqrt(0.5), e.relRms(), 1e-12);
        assertEquals(0.0, Int8Errors.error(f, f).relRms());
    }

    @Test
    void folderAsReportFileIsAUsageError(@org.junit.jupiter.api.io.TempDir Path dir) {
        java.io.StringWriter o = new java.io.StringWriter(), err = new java.io.StringWriter();
        int rc = dev.kiln.cli.Main.execute(new java.io.PrintWriter(o), new java.io.PrintWriter(err), "inspect", RESNET8.toString(), "--html",
                dir.toString());
        assertEquals(2, rc, err.toString());
        assertTrue(err.toString().contains("is a folder") && !err.toString().contains("\tat "), err.toString());
    }
}
