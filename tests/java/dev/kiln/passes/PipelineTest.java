package dev.kiln.passes;

import static dev.kiln.passes.PassTesting.op;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pipeline's instruments: verification after each pass, printing, timing, and crashes named by pass. */
class PipelineTest {
    /** A buggy pass: changes a reshape's target shape without updating its output's type. */
    static final class BreakReshape implements Pass {
        @Override
        public boolean run(Graph g, PassContext cx) {
            for (Node n : g.nodes()) if (n.op() == Ops.RESHAPE) n.setAttrs(Attrs.of("shape", new long[] {3, 2}));
            cx.report("reshaped");
            return true;
        }
    }

    /** A pass that crashes. */
    static final class Crash implements Pass {
        @Override
        public boolean run(Graph g, PassContext cx) { throw new IllegalStateException("boom"); }
    }

    static Graph graph() {
        Graph g = new Graph("g");
        Value x = g.addInput("x", TensorType.of(DType.F32, 2, 3));
        g.addOutput(op(g, Ops.RELU, List.of(op(g, Ops.RESHAPE, List.of(op(g, Ops.IDENTITY, List.of(x))), "shape", new long[] {6}))));
        return g;
    }

    @Test
    void verifyEachNamesThePassThatBrokeTheGraph() {
        Pipeline p = new Pipeline("test", List.of(new RemoveIdentities(), new BreakReshape(), new EliminateDeadNodes()));
        KilnException e = assertThrows(KilnException.class,
                () -> p.run(graph(), new PassContext(null, null), new Instruments(null, true, false, null)));
        assertEquals(Code.INTERNAL, e.code());
        assertTrue(e.getMessage().contains("pass BreakReshape left an invalid graph"), e.getMessage());
        // without the instrument the broken graph goes on unnoticed: verification is the instrument's doing
        assertDoesNotThrow(() -> p.run(graph(), new PassContext(null, null)));
    }

    @Test
    void aCrashingPassIsAnInternalErrorNamingIt() {
        Pipeline p = new Pipeline("test", List.of(new Crash()));
        KilnException e = assertThrows(KilnException.class, () -> p.run(graph(), new PassContext(null, null)));
        assertEquals(Code.INTERNAL, e.code());
        assertTrue(e.getMessage().contains("pass Crash failed"), e.getMessage());
    }

    @Test
    void verbosePrintsTimingsNodeCountsAndNotes() {
        List<String> lines = new ArrayList<>();
        Pipeline p = new Pipeline("test", List.of(new RemoveIdentities(), new BreakReshape()));
        p.run(graph(), new PassContext(null, null), new Instruments(null, false, true, lines::add));
        String all = String.join("\n", lines);
        assertTrue(lines.get(0).startsWith("pipeline test on 'g': 3 nodes, 2 passes"), all);
        assertTrue(all.matches("(?s).*RemoveIdentities +[0-9.]+ ms +3 -> +2 nodes +changed.*"), all);
        assertTrue(all.contains("    BreakReshape: reshaped"), all);
        assertTrue(lines.get(lines.size() - 1).matches("  total +[0-9.]+ ms +3 -> +2 nodes"), all);
    }

    @Test
    void printAfterPrintsTheGraphAfterThatPassOnly() {
        List<String> lines = new ArrayList<>();
        Pipeline p = new Pipeline("test", List.of(new RemoveIdentities(), new EliminateDeadNodes()));
        p.run(graph(), new PassContext(null, null), new Instruments("RemoveIdentities", false, false, lines::add));
        assertEquals(1, lines.size());
        assertTrue(lines.get(0).startsWith("# after RemoveIdentities\nmodel g"), lines.get(0));
        assertTrue(!lines.get(0).contains("identity("), lines.get(0));

        lines.clear();
        p.run(graph(), new PassContext(null, null), new Instruments(Instruments.ALL, false, false, lines::add));
        assertEquals(2, lines.size());

        KilnException e = assertThrows(KilnException.class,
                () -> p.run(graph(), new PassContext(null, null), new Instruments("FoldBatchNorms", false, false, lines::add)));
        assertEquals(Code.USAGE, e.code());
        assertTrue(e.getMessage().contains("RemoveIdentities, EliminateDeadNodes"), e.getMessage());
    }

    @Test
    void levelsGrowAndUnknownLevelsAreUsageErrors() {
        assertEquals(0, Pipelines.level(0).passes().size());
        for (int l = 1; l <= 3; l++) assertTrue(Pipelines.level(l).passes().size() >= Pipelines.level(l - 1).passes().size());
        assertEquals(Code.USAGE, assertThrows(KilnException.class, () -> Pipelines.level(4)).code());
    }
}
