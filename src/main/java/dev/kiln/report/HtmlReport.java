package dev.kiln.report;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.ModelStats;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.memory.MemoryPlan;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code kiln inspect --html FILE}: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched)
 * with the totals of {@link ModelStats}, the optimized graph drawn by {@link GraphPicture}, the memory plan drawn
 * by {@link MemoryPicture}, the per-layer table and, for int8 models, each layer's error against the float
 * interpreter ({@link Int8Errors}). The same compiled model gives the same bytes.
 */
public final class HtmlReport {
    /**
     * The float side of an int8 comparison: the float graph (optimized like the int8 one but not lowered), float
     * input data by input name, and where that data came from.
     */
    public record FloatReference(Graph graph, Map<String, NdArray> inputs, String source) {}

    private HtmlReport() {}

    /**
     * The float reference of an int8 compile of {@code model}: the model imported with {@code io}, run through
     * {@code co}'s pipeline up to int8 lowering (the graph lowering would see, with the float fusions split the way
     * it splits them) but not lowered, and float input data: the first calibration sample of {@code calibrate}
     * when given, else the model folder's {@code test_data_set_0}, else seeded uniform [0, 1) data.
     */
    public static FloatReference floatReference(Path model, dev.kiln.frontend.onnx.ImportOptions io, dev.kiln.backend.Target target,
            dev.kiln.CompileOptions co, Path calibrate) {
        Graph g = dev.kiln.Kiln.load(model, io);
        dev.kiln.passes.PassOptions po = new dev.kiln.passes.PassOptions();
        po.dwsTolerance = co.passes().dwsTolerance;
        po.seed = co.passes().seed;
        java.util.List<dev.kiln.passes.Pass> before = new java.util.ArrayList<>();
        for (dev.kiln.passes.Pass p : dev.kiln.passes.Pipelines.level(co.level()).passes()) {
            if (p instanceof dev.kiln.passes.LowerToInt8) break;
            before.add(p);
        }
        new dev.kiln.passes.Pipeline("float reference", before).run(g, new dev.kiln.passes.PassContext(target, po));
        dev.kiln.quant.Int8Lowering.split(g, s -> { });
        Path tds = model.toAbsolutePath().getParent() == null ? null : model.toAbsolutePath().getParent().resolve("test_data_set_0");
        if (calibrate != null) return new FloatReference(g, dev.kiln.quant.Calibrator.load(calibrate, g).get(0), "first sample of " + calibrate);
        if (tds != null && java.nio.file.Files.isDirectory(tds))
            return new FloatReference(g, dev.kiln.quant.Calibrator.load(tds, g).get(0), "the model's test_data_set_0");
        java.util.Map<String, NdArray> in = new java.util.LinkedHashMap<>();
        java.util.Random rnd = new java.util.Random(1);
        for (dev.kiln.ir.Value v : g.inputs()) {
            NdArray a = NdArray.zeros(v.type());
            if (v.dtype().isFloat()) for (int i = 0; i < a.size(); i++) a.setDouble(i, rnd.nextDouble());
            in.put(v.name(), a);
        }
        return new FloatReference(g, in, "seeded random data, uniform in [0, 1)");
    }

    /** Whether the compiled graph computes in int8 (so the page has an int8 error section). */
    public static boolean isInt8(Graph g) {
        for (Node n : g.nodes()) if (OpKind.integer(n.op())) return true;
        return false;
    }

    /** Writes the page atomically to {@code file}. */
    public static void write(Path file, String html) {
        dev.kiln.io.OutputFiles.writeAtomically(file, html.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The page for compiled {@code code} with statistics {@code st}; {@code model} and {@code settings} (target,
     * level) are shown in the header; {@code ref} (may be null) gives the int8 error section.
     */
    public static String render(GeneratedCode code, ModelStats st, String model, String settings, FloatReference ref) {
        return render(code, st, model, settings, ref, null);
    }

    /**
     * The report with node {@code marked} (may be null) highlighted: the first layer out of tolerance that
     * {@code kiln check --per-layer} named; a note at the top links to its row in the layers table.
     */
    public static String render(GeneratedCode code, ModelStats st, String model, String settings, FloatReference ref, String marked) {
        Graph g = code.graph();
        MemoryPlan plan = code.plan();
        Int8Errors errs = ref != null && isInt8(g) ? Int8Errors.compare(ref.graph(), g, ref.inputs(), ref.source()) : null;
        Html h = new Html();
        h.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").text("kiln inspect: " + code.name())
                .raw("</title>\n<style>\n").raw(CSS).raw("</style>\n</head>\n<body>\n");
        header(h, code, st, model, settings, errs != null);
        if (marked != null)
            h.raw("<p class=\"mark\">").text("check --per-layer: the first layer out of tolerance is ").raw("<a href=\"#marked\">").text(marked)
                    .raw("</a></p>\n");
        h.raw("<section id=\"graph\">\n<h2>Graph <span class=\"note\">").text(g.nodes().size() + " nodes after optimization, "
                + "left to right in data-flow order; hover a node for its name and attributes")
                .raw("</span></h2>\n");
        legend(h);
        // a checkbox and CSS (no script) shrink the drawing to the page's width for an overview
        h.raw("<input type=\"checkbox\" id=\"fit\"><label for=\"fit\" class=\"fit\">fit to width</label>\n");
        GraphLayout layout = GraphLayout.of(g);
        h.raw("<div class=\"ovbox\">\n");
        GraphPicture.overview(h, layout);
        h.raw("</div>\n<div class=\"scroll gscroll\">\n");
        GraphPicture.svg(h, g, layout);
        h.raw("</div>\n</section>\n");
        memory(h, plan);
        if (errs != null) int8(h, g, errs);
        table(h, g, st, errs, marked);
        h.raw("<footer>").text("kiln " + dev.kiln.Kiln.version()).raw(" &middot; kiln inspect --html</footer>\n</body>\n</html>\n");
        return h.toString();
    }

    private static void header(Html h, GeneratedCode code, ModelStats st, String model, String settings, boolean int8) {
        h.raw("<header>\n<h1>").text(code.name()).raw(" <span class=\"for\">").text("for " + code.target().name()).raw("</span></h1>\n");
        h.raw("<p class=\"sub\">").text(model + "  \u00b7  " + settings + (int8 ? "  \u00b7  int8" : "")).raw("</p>\n<div class=\"cards\">\n");
        card(h, "nodes", Html.group(st.layers.size()), st.nodes.size() + " op kinds");
        card(h, "MACs", Html.group(st.macs), "multiply-accumulates per run");
        card(h, "params", Html.group(st.params), "weight elements");
        card(h, "weights", Html.group(st.weightsBytes) + " B", "flash, constant tables included");
        card(h, "arena", Html.group(st.arenaBytes) + " B", "lower bound " + Html.group(st.lowerBoundBytes) + " B");
        card(h, "code", st.codeBytes < 0 ? "n/a" : Html.group(st.codeBytes) + " B",
                st.codeBytes < 0 ? "the target's size tool is not installed" : "text of the compiled model");
        h.raw("</div>\n<p class=\"ops\">");
        int i = 0;
        for (Map.Entry<String, Integer> e : st.nodes.entrySet())
            h.raw(i++ == 0 ? "" : " ").raw("<span>").text(e.getKey() + " \u00d7" + e.getValue()).raw("</span>");
        h.raw("</p>\n</header>\n");
    }

    private static void card(Html h, String label, String value, String note) {
        h.raw("<div class=\"card\"><div class=\"label\">").text(label).raw("</div><div class=\"value\">").text(value)
                .raw("</div><div class=\"note\">").text(note).raw("</div></div>\n");
    }

    private static void legend(Html h) {
        h.raw("<p class=\"legend\">");
        for (OpKind k : OpKind.values())
            h.raw("<span><i").attr("style", "background:" + k.fill + ";border-color:" + k.stroke).raw("></i>").text(k.label).raw("</span>");
        h.raw("<span><i class=\"fusedkey\"></i>fused (bold border: activation, residual or members)</span>");
        h.raw("<span><b class=\"i8\">i8</b> computes in int8</span></p>\n");
    }

    private static void memory(Html h, MemoryPlan plan) {
        MemoryPicture m = new MemoryPicture(plan);
        List<Integer> peaks = m.peakSteps();
        h.raw("<section id=\"memory\">\n<h2>Memory plan <span class=\"note\">").text(plan.buffers().size() + " arena buffers, "
                + plan.strategy() + ", " + plan.alignment() + "-byte aligned").raw("</span></h2>\n<p class=\"explain\">");
        String at = peaks.isEmpty() ? "" : peaks.size() == 1 ? "step " + peaks.get(0)
                : "steps " + peaks.get(0) + (peaks.size() > 2 ? "\u2026" : ", ") + peaks.get(peaks.size() - 1) + " (" + peaks.size() + " steps)";
        h.text("Each rectangle is a tensor's buffer in the arena, from the step that writes it to the step that last reads it; "
                + "its height is its size. The arena is " + Html.group(plan.arenaBytes()) + " bytes; the liveness lower bound is "
                + Html.group(plan.lowerBoundBytes()) + " bytes."
                + (peaks.isEmpty() ? " Nothing lives in the arena." : " The most bytes live at once, " + Html.group(m.peakBytes())
                        + ", are at " + at + " (shaded): that is what sizes the arena."));
        h.raw("</p>\n<div class=\"scroll\">\n");
        m.svg(h);
        h.raw("</div>\n</section>\n");
    }

    private static void int8(Html h, Graph g, Int8Errors e) {
        h.raw("<section id=\"int8\">\n<h2>int8 error against the float interpreter <span class=\"note\">").text("input: " + e.source)
                .raw("</span></h2>\n");
        if (e.failure != null) {
            h.raw("<p class=\"explain\">").text("The comparison could not run: " + e.failure).raw("</p>\n</section>\n");
            return;
        }
        h.raw("<p class=\"explain\">").text("Each int8 layer's output, dequantized, against the float graph's value of the same name "
                + "(same passes, not lowered): relative RMS error (bars) and largest absolute error. " + e.errors.size() + " of "
                + g.nodes().size() + " layers matched.").raw("</p>\n");
        double max = 0;
        for (Int8Errors.Error x : e.errors.values()) max = Math.max(max, x.relRms());
        double rowH = 17, labelW = 330, barW = 560;
        int rows = e.errors.size();
        double height = rows * rowH + 10;
        h.raw("<div class=\"scroll escroll\">\n<svg class=\"errors\"").attr("width", labelW + barW + 160)
                .attr("height", height).raw(">\n");
        int r = 0;
        for (int i = 0; i < g.nodes().size(); i++) {
            Node n = g.nodes().get(i);
            Int8Errors.Error x = e.errors.get(n);
            if (x == null) continue;
            double y = 5 + r++ * rowH;
            double w = max > 0 ? Math.max(1, x.relRms() / max * barW) : 1;
            OpKind k = OpKind.of(n.op());
            h.raw("<g class=\"err\"><title>").text(n.name() + "\nrelative RMS " + fmt(x.relRms()) + ", max abs " + fmt(x.maxAbs())).raw("</title>");
            h.raw("<text class=\"tick\"").attr("x", labelW - 6).attr("y", y + 12).raw(" text-anchor=\"end\">")
                    .text(i + "  " + Html.clip(Fusion.title(n) + "  " + n.name(), 52)).raw("</text>");
            h.raw("<rect").attr("x", labelW).attr("y", y + 2).attr("width", w).attr("height", rowH - 4).attr("fill", k.stroke).raw("/>");
            h.raw("<text class=\"tick\"").attr("x", labelW + w + 6).attr("y", y + 12).raw(">").text(fmt(x.relRms())).raw("</text></g>\n");
        }
        h.raw("</svg>\n</div>\n");
        if (!e.unmatched.isEmpty()) {
            h.raw("<details><summary>").text(e.unmatched.size() + " layer(s) without a float counterpart (not compared)").raw("</summary><ul>\n");
            for (String s : e.unmatched) h.raw("<li>").text(s).raw("</li>\n");
            h.raw("</ul></details>\n");
        }
        h.raw("</section>\n");
    }

    private static void table(Html h, Graph g, ModelStats st, Int8Errors e, String marked) {
        boolean err = e != null && e.failure == null;
        h.raw("<section id=\"layers\">\n<h2>Layers</h2>\n<table>\n<thead><tr><th>#</th><th>op</th><th>name</th><th>output</th>"
                + "<th class=\"n\">MACs</th><th class=\"n\">params</th><th>storage</th><th class=\"n\">offset</th><th class=\"n\">bytes</th>");
        if (err) h.raw("<th class=\"n\">max abs err</th><th class=\"n\">rel RMS err</th>");
        h.raw("</tr></thead>\n<tbody>\n");
        for (ModelStats.Layer l : st.layers) {
            Node n = l.node();
            OpKind k = OpKind.of(n.op());
            boolean inner = l.depth() > 0;
            // why: a region's nodes follow their control node's row, indented and named by region (MACs of one run)
            h.raw(n.name().equals(marked) && !inner ? "<tr id=\"marked\" class=\"marked\"><td class=\"n\">" : inner ? "<tr class=\"region\"><td class=\"n\">" : "<tr><td class=\"n\">")
                    .text(inner ? "" : Integer.toString(l.index())).raw("</td><td").attr("style", inner ? "padding-left:" + (6 + 18 * l.depth()) + "px" : "")
                    .raw("><i class=\"sw\"").attr("style", "background:" + k.fill + ";border-color:" + k.stroke).raw("></i>").text(Fusion.title(n));
            if (inner) h.raw("<div class=\"members\">").text("in " + l.region() + ", per run").raw("</div>");
            String m = Fusion.members(n);
            if (!m.isEmpty()) h.raw("<div class=\"members\">").text(m).raw("</div>");
            h.raw("</td><td class=\"name\">").text(l.name()).raw("</td><td>").text(GraphPicture.shape(n.output(0).type())).raw("</td><td class=\"n\">")
                    .text(Html.group(l.macs())).raw("</td><td class=\"n\">").text(Html.group(l.params())).raw("</td><td>").text(l.storage())
                    .raw("</td><td class=\"n\">").text(l.offset() < 0 ? "-" : Html.group(l.offset())).raw("</td><td class=\"n\">")
                    .text(Html.group(l.bytes())).raw("</td>");
            if (err) {
                Int8Errors.Error x = e.errors.get(n);
                h.raw("<td class=\"n\">").text(x == null ? "-" : fmt(x.maxAbs())).raw("</td><td class=\"n\">").text(x == null ? "-" : fmt(x.relRms()))
                        .raw("</td>");
            }
            h.raw("</tr>\n");
        }
        h.raw("</tbody>\n</table>\n</section>\n");
    }

    private static String fmt(double v) { return String.format(Locale.ROOT, "%.3g", v); }

    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;padding:18px 24px;color:#1d2330;background:#f6f7f9}
            header h1{margin:0;font-size:26px}
            p.mark{background:#fde2e1;border:1px solid #d9534f;padding:6px 10px;border-radius:4px}
            tr.marked td{background:#fde2e1;font-weight:600}
            header h1 .for{font-weight:400;color:#667}
            .sub{margin:2px 0 10px;color:#556;font-size:13px}
            .cards{display:flex;flex-wrap:wrap;gap:10px}
            .card{background:#fff;border:1px solid #dde0e6;border-radius:8px;padding:8px 14px;min-width:150px}
            .card .label{font-size:12px;color:#667;text-transform:uppercase;letter-spacing:.04em}
            .card .value{font-size:21px;font-weight:600}
            .card .note{font-size:11px;color:#778}
            .ops{font-size:12px;color:#445;margin:8px 0 0}
            .ops span{background:#e8eaef;border-radius:4px;padding:1px 6px;display:inline-block;margin:2px 0}
            section{background:#fff;border:1px solid #dde0e6;border-radius:8px;margin:14px 0;padding:10px 14px}
            h2{font-size:17px;margin:2px 0 6px}
            h2 .note{font-size:12px;font-weight:400;color:#778;margin-left:8px}
            .explain{font-size:13px;color:#334;margin:4px 0 8px;max-width:1100px}
            .scroll{overflow:auto;border:1px solid #eceef2;border-radius:6px;background:#fcfcfd}
            .gscroll{max-height:600px}
            #fit{margin:0 4px 6px 0;vertical-align:-2px}
            .ovbox{border:1px solid #eceef2;border-radius:6px;padding:6px;margin-bottom:8px;background:#fcfcfd;text-align:center}
            svg.overview{display:block;margin:auto;overflow:hidden}
            svg.overview .ov{stroke-width:3}
            svg.overview .ovedge{fill:none;stroke:#8a93a6;stroke-width:3}
            svg.overview .ovrow{stroke:#c9cdd6;stroke-width:4;stroke-dasharray:24 16}
            label.fit{font-size:12px;color:#445}
            #fit:checked ~ .gscroll svg{width:100%;height:auto}
            .escroll{max-height:420px}
            .legend{font-size:12px;margin:4px 0 8px}
            .legend span{margin-right:14px;white-space:nowrap;display:inline-block}
            .legend i,i.sw{display:inline-block;width:12px;height:12px;border:1.5px solid;border-radius:3px;vertical-align:-2px;margin-right:5px}
            .legend i.fusedkey{border:3px solid #555;background:#fff;width:9px;height:9px}
            b.i8{font-size:10px;color:#fff;background:#445;border-radius:3px;padding:0 3px}
            svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;font-size:11px;fill:#1d2330}
            svg .op{font-weight:600;font-size:11.5px}
            svg .shape{fill:#333;font-size:10.5px}
            svg .sub{fill:#667;font-size:9.5px}
            svg .badge{font-size:9px;font-weight:700;fill:#445}
            svg .edge{fill:none;stroke:#8a93a6;stroke-width:1.3}
            svg .edge:hover{stroke:#d33;stroke-width:2.5}
            svg .io rect{fill:#fff;stroke:#445;stroke-width:1.2}
            svg .node:hover rect{filter:brightness(.93)}
            svg.mem .grid{stroke:#e3e6ec}
            svg.mem .peak{fill:#ffc21a;opacity:.28;stroke:#d99a00;stroke-dasharray:4 3;pointer-events:none}
            svg.mem .peaklabel{font-weight:700;fill:#b07800}
            svg.mem .buf{stroke-width:1;opacity:.95}
            svg.mem .buf:hover{opacity:1;stroke-width:2}
            svg.mem .scratch{stroke-dasharray:3 2}
            svg.mem .buflabel{font-size:10px;pointer-events:none}
            svg.mem .arena{stroke:#d12f2f;stroke-width:1.6}
            svg.mem .arenalabel,svg.mem .boundlabel{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
            svg.mem .arenalabel{fill:#d12f2f;font-weight:600}
            svg.mem .bound{stroke:#2f5fd1;stroke-width:1.4;stroke-dasharray:6 4}
            svg.mem .boundlabel{fill:#2f5fd1}
            svg .tick{font-size:10px;fill:#556}
            svg .axis{font-size:11px;fill:#445}
            table{border-collapse:collapse;font-size:12px;width:100%}
            th{text-align:left;border-bottom:2px solid #dde0e6;padding:4px 8px;position:sticky;top:0;background:#fff}
            td{border-bottom:1px solid #eef0f3;padding:3px 8px;vertical-align:top}
            td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
            td.name{color:#556;max-width:360px;overflow-wrap:anywhere}
            .members{font-size:11px;color:#667}
            details{font-size:12px;margin-top:8px}
            footer{font-size:11px;color:#889;margin-top:10px}
            """;
}
