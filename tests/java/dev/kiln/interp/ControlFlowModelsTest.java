package dev.kiln.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnCli;
import dev.kiln.TestFiles;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.frontend.onnx.OnnxImporter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.kernels.KernelPlacement;
import dev.kiln.memory.MemoryPlan;
import dev.kiln.memory.MemoryPlanner;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.Pipelines;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The control-flow models of {@code tests/models/control_flow} (made by {@code tests/tools/control_flow_fixtures.py}):
 * a Loop over time steps, a Scan, a run-time If, a streaming VAD-like model whose cell sits in an If on the
 * sample rate, and vad_lstm_if, whose LSTM sits in that If (issue 17's motivating case, state in and out). They
 * pass {@code check} against ONNX Runtime's outputs on the interpreter at every level, on C (host, sanitizers; one
 * program for all six) and on OpenCL (the host runs the control flow).
 */
class ControlFlowModelsTest {
    private static final Path DIR = TestFiles.models().resolve("control_flow");

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3})
    void everyModelMatchesOnnxRuntimeOnTheInterpreter(int level) {
        KilnCli.Run r = KilnCli.kiln("check", DIR.toString(), "--backend", "interp", "-O", Integer.toString(level));
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("6 passed, 0 failed"), r.out());
    }

    @Test
    void everyModelMatchesOnnxRuntimeOnC() {
        KilnCli.Run r = KilnCli.kiln("check", DIR.toString(), "--backend", "c", "--sanitize");
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("6 passed, 0 failed"), r.out());
    }

    @Test
    void theArenaOfTheRunTimeIfHoldsItsLargerBranch() {
        Graph g = OnnxImporter.importFile(DIR.resolve("if_runtime/model.onnx"), new ImportOptions());
        Pipelines.level(3).run(g, new PassContext(null, null));
        MemoryPlan p = new MemoryPlanner(16, KernelPlacement.rules(n -> new dev.kiln.kernels.KernelModel(0, "m", n))).plan(g);
        Node n = g.node("choose");
        Graph mlp = n.attrs().getGraph("then_branch"), linear = n.attrs().getGraph("else_branch");
        long big = p.regionPlan(mlp).arenaBytes(), small = p.regionPlan(linear).arenaBytes();
        assertTrue(big >= 64 * 4 && small < big, big + " vs " + small);
        assertEquals(Math.max(big, small), p.scratch(n).bytes());
        assertEquals(big, p.arenaBytes(), "the model's arena is the MLP branch's, not both branches' sum");
    }

    @Test
    void everyModelMatchesOnnxRuntimeOnOpenCl() {
        KilnCli.Run r = KilnCli.kiln("check", DIR.toString(), "--backend", "opencl");
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("6 passed, 0 failed"), r.out());
    }

    /** inspect lists each branch's nodes under the If, with one run's MACs; the If's line counts the larger branch. */
    @Test
    void inspectShowsTheBranchesWithTheirMacs(@org.junit.jupiter.api.io.TempDir Path tmp) throws java.io.IOException {
        String model = DIR.resolve("if_runtime/model.onnx").toString();
        KilnCli.Run json = KilnCli.kiln("inspect", model, "--json");
        assertEquals(0, json.rc(), json.out() + json.err());
        java.util.Map<String, Long> sums = new java.util.TreeMap<>();
        long ifMacs = -1;
        for (String line : json.out().split("\n")) {
            if (!line.contains("\"index\"")) continue;
            long macs = Long.parseLong(field(line, "macs"));
            String region = field(line, "region");
            if (region != null) sums.merge(region, macs, Long::sum);
            else if ("if".equals(field(line, "op"))) ifMacs = macs;
        }
        assertEquals(java.util.Set.of("then_branch", "else_branch"), sums.keySet(), json.out());
        assertTrue(sums.get("then_branch") > sums.get("else_branch"), sums.toString());
        assertEquals(sums.get("then_branch"), ifMacs, json.out());
        KilnCli.Run text = KilnCli.kiln("inspect", model, "--html", tmp.resolve("r.html").toString());
        assertEquals(0, text.rc(), text.out() + text.err());
        assertTrue(text.out().contains("then_branch/") && text.out().contains("else_branch/"), text.out());
        String html = java.nio.file.Files.readString(tmp.resolve("r.html"));
        assertTrue(html.contains("in then_branch, per run") && html.contains("in else_branch, per run"), "the HTML report lists the branches' nodes");
    }

    /** The value of JSON field {@code name} on one line (quotes removed), or null. */
    private static String field(String line, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\": \"?([^\",}]*)").matcher(line);
        return m.find() ? m.group(1) : null;
    }
}
