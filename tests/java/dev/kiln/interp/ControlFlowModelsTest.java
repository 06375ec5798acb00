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
 * sample rate, and vad_lstm_if, whose LSTM sits in that If (issue 17's motivating case, state in and out). They pass {@code check} against ONNX Runtime's outputs on the interpreter at every level; the C and
 * OpenCL backends refuse them up front (control flow is not lowered there yet), which this test pins down.
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
    void theCBackendRefusesControlFlowNamingTheNode() {
        KilnCli.Run r = KilnCli.kiln("check", DIR.resolve("if_runtime").toString(), "--backend", "c");
        assertEquals(1, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("if 'choose': no C kernel for if"), r.out());
    }

    /**
     * The LSTM-inside-If VAD: C and OpenCL refuse its If up front, naming the node, until If is lowered there
     * (helper h17cf's work). When it is, this test flips: both backends must then print "1 passed, 0 failed" with rc 0.
     */
    @Test
    void theLstmInsideAnIfIsRefusedOnCAndOpenClNamingTheIf() {
        for (String[] b : new String[][] {{"c", "C"}, {"opencl", "OpenCL"}}) {
            KilnCli.Run r = KilnCli.kiln("check", DIR.resolve("vad_lstm_if").toString(), "--backend", b[0]);
            assertEquals(1, r.rc(), r.out() + r.err());
            assertTrue(r.out().contains("if 'by_rate': no " + b[1] + " kernel for if"), r.out());
        }
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

}
