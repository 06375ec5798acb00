package dev.kiln.cli;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.ModelStats;
import dev.kiln.backend.Target;
import dev.kiln.report.HtmlReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kiln inspect}: per-layer table and totals of a model compiled for a target. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show per-layer MACs, parameters and arena placement, and totals (arena, weights, code bytes).",
        footer = {"", "Examples:", "  kiln inspect tests/models/resnet8_cifar10_op13/model.onnx -t cortex-m4f",
                "  kiln inspect model.onnx --json > stats.json",
                "  kiln inspect model.onnx --int8 --calibrate calib.npy --html report.html"})
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The model (.onnx or .kiln).")
    Path model;

    @Option(names = "--json", description = "Print JSON (arena_bytes, arena_lower_bound_bytes, weights_bytes, code_bytes, macs, params, nodes, layers).")
    boolean json;

    @Option(names = "--html", paramLabel = "FILE",
            description = "Also write a self-contained HTML report: graph picture, memory plan picture, layer table (and int8 error per layer).")
    Path html;

    @Option(names = "--mark", paramLabel = "NODE", description = "With --html: highlight this node (the layer kiln check --per-layer names).")
    String mark;

    @Mixin
    CliOptions options;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        // why: a folder given as the report file would fail only after the whole compile, with a confusing message
        if (html != null && java.nio.file.Files.isDirectory(html))
            throw new dev.kiln.diag.KilnException(dev.kiln.diag.Code.USAGE, dev.kiln.diag.Location.file(html.toString()),
                    "--html " + html + " is a folder").withHint("give the report's file name, e.g. --html report.html");
        Target t = Target.load(options.target);
        GeneratedCode code = options.compileDefault(model, null, t);
        ModelStats st = new ModelStats(code);
        st.codeBytes = dev.kiln.toolchain.CodeSize.codeBytes(code);
        if (html != null) writeHtml(code, st, t);
        if (json) {
            out.print(st.json(model.toString(), t.name()));
        } else {
            out.printf("%-4s %-18s %-28s %-22s %14s %10s %-7s %10s %10s%n", "#", "op", "name", "output", "MACs", "params",
                    "storage", "offset", "bytes");
            // why: a region's nodes follow their control node, indented, named by region; their MACs are one run's
            for (ModelStats.Layer l : st.layers)
                out.printf("%-4s %-18s %-28s %-22s %,14d %,10d %-7s %10s %,10d%n", l.depth() == 0 ? Integer.toString(l.index()) : "",
                        clip("  ".repeat(l.depth()) + l.op(), 18), clip(l.depth() == 0 ? l.name() : l.region() + "/" + l.name(), 28),
                        clip(l.output(), 22), l.macs(), l.params(), l.storage(), l.offset() < 0 ? "-" : Long.toString(l.offset()), l.bytes());
            out.println();
            CompileCommand.summary(out, code, st);
            if (options.int8) floatReport(out, code.graph());
        }
        out.flush();
        return Main.OK;
    }

    /** Writes the {@code --html} report; an int8 model gets its float reference for the per-layer error section. */
    private void writeHtml(GeneratedCode code, ModelStats st, Target t) {
        dev.kiln.CompileOptions co = options.compileOptions();
        HtmlReport.FloatReference ref = HtmlReport.isInt8(code.graph())
                ? HtmlReport.floatReference(model, options.importOptions(), t, co, options.int8 ? options.calibrate : null) : null;
        String settings = "-O" + co.level() + ", memory plan: " + code.plan().strategy();
        if (mark != null && code.graph().node(mark) == null)
            throw new dev.kiln.diag.KilnException(dev.kiln.diag.Code.USAGE, dev.kiln.diag.Location.NONE, "--mark: there is no node '" + mark + "' after optimization")
                    .withHint("use the node name kiln check --per-layer printed, with the same -t and -O");
        HtmlReport.write(html, HtmlReport.render(code, st, model.toString(), settings, ref, mark));
        spec.commandLine().getErr().println("wrote " + html);
    }

    /** With --int8: the nodes int8 lowering left in float (op and node name), or that there are none. */
    static void floatReport(PrintWriter out, dev.kiln.ir.Graph g) {
        java.util.List<dev.kiln.ir.Node> left = dev.kiln.quant.Int8Lowering.floatNodes(g);
        if (left.isEmpty()) {
            out.println("int8: every node is integer (no float left)");
            return;
        }
        out.println("int8: " + left.size() + " node(s) left in float:");
        for (dev.kiln.ir.Node n : left) out.println("  " + n.op().name() + " " + n.name());
    }

    private static String clip(String s, int n) { return s.length() <= n ? s : s.substring(0, n - 1) + "…"; }
}
