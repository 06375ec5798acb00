package dev.kiln.passes;

import static dev.kiln.passes.PassTesting.count;
import static dev.kiln.passes.PassTesting.op;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.GraphVerifier;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.memory.MemoryPlan;
import dev.kiln.memory.MemoryPlanner;
import dev.kiln.memory.PlacementRules;
import dev.kiln.ir.Node;
import dev.kiln.ops.Ops;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Regions through the pipeline and the memory planner: passes run inside them, a known If is inlined, branches share memory. */
class RegionsPassTest {
    private static final TensorType X = TensorType.of(DType.F32, 4);

    /** then: relu(identity(x) * (2 * 3)); else: neg(x) — the then branch has an identity and a constant product to clean. */
    static Graph branchy(Value[] cond) {
        Graph g = new Graph("branchy");
        Value c = g.addInput("c", TensorType.of(DType.BOOL));
        Value x = g.addInput("x", X);
        Graph then = new Graph("then");
        Value tx = then.addInput("x", X);
        Value six = op(then, Ops.MUL, List.of(then.addConstant("two", NdArray.ofFloats(Shape.scalar(), 2f)),
                then.addConstant("three", NdArray.ofFloats(Shape.scalar(), 3f))));
        then.addOutput(op(then, Ops.RELU, List.of(op(then, Ops.MUL, List.of(op(then, Ops.IDENTITY, List.of(tx)), six)))));
        Graph other = new Graph("else");
        Value ex = other.addInput("x", X);
        other.addOutput(op(other, Ops.NEG, List.of(ex)));
        g.addOutput(g.addNode(Ops.IF, "choose", List.of(c, x), Attrs.of("then_branch", then, "else_branch", other)).output(0));
        cond[0] = c;
        return g;
    }

    private static float[] run(Graph g, boolean c, float... x) {
        Map<String, NdArray> out = new Interpreter(g).run(Map.of("c", NdArray.ofLongs(DType.BOOL, Shape.scalar(), c ? 1 : 0),
                "x", NdArray.ofFloats(Shape.of(4), x)));
        return out.values().iterator().next().floats();
    }

    @Test
    void theInterpreterRunsTheBranchTheConditionPicks() {
        Graph g = branchy(new Value[1]);
        GraphVerifier.verify(g);
        assertArrayEquals(new float[] {0, 6, 0, 12}, run(g, true, -1, 1, -2, 2));
        assertArrayEquals(new float[] {1, -1, 2, -2}, run(g, false, -1, 1, -2, 2));
        String text = g.toString();
        assertTrue(text.contains("graph then {") && text.contains("graph else {"), text);
    }

    @Test
    void passesRunInsideRegionsWithoutKnowingTheOp() {
        Graph g = branchy(new Value[1]);
        Graph then = g.node("choose").attrs().getGraph("then_branch");
        assertEquals(1, count(then, Ops.IDENTITY));
        Pipelines.level(1).run(g, new PassContext(null, null));
        GraphVerifier.verify(g);
        assertEquals(1, count(g, Ops.IF), "a run-time condition keeps the If");
        assertEquals(0, count(then, Ops.IDENTITY), "RemoveIdentities ran inside the branch");
        assertEquals(2, then.nodes().size(), "FoldConstants folded 2 * 3 inside the branch: mul, relu remain");
        assertArrayEquals(new float[] {0, 6, 0, 12}, run(g, true, -1, 1, -2, 2));
    }

    @Test
    void anIfWithAConstantConditionBecomesItsTakenBranch() {
        Value[] c = new Value[1];
        Graph g = branchy(c);
        float[] before = run(g, true, -1, 1, -2, 2);
        g.freezeInput(c[0], NdArray.ofLongs(DType.BOOL, Shape.scalar(), 1));
        PassContext cx = new PassContext(null, null);
        assertTrue(Pipeline_runOne(new InlineRegions(), g, cx));
        GraphVerifier.verify(g);
        assertEquals(0, count(g, Ops.IF));
        assertEquals(1, count(g, Ops.RELU));
        Map<String, NdArray> out = new Interpreter(g).run(Map.of("x", NdArray.ofFloats(Shape.of(4), -1, 1, -2, 2)));
        assertArrayEquals(before, out.values().iterator().next().floats());
        assertTrue(cx.notes().stream().anyMatch(s -> s.contains("inlined region 'then' of choose")), cx.notes().toString());
    }

    private static boolean Pipeline_runOne(Pass p, Graph g, PassContext cx) {
        cx.enter(p.name());
        return p.run(g, cx);
    }

    /** No aliasing, no in-place, no kernel scratch: the plan shows only values and regions. */
    private static final PlacementRules PLAIN = new PlacementRules() {
        public boolean isAlias(Node n) { return false; }
        public int inPlaceInput(Node n) { return -1; }
        public long scratchBytes(Node n) { return 0; }
    };

    @Test
    void theTwoBranchesOfAnIfShareTheArenaTheLargerNeeds() {
        Graph g = new Graph("sizes");
        Value c = g.addInput("c", TensorType.of(DType.BOOL));
        Value x = g.addInput("x", TensorType.of(DType.F32, 1000));
        // small branch: one value of 4 floats; large branch: two live values of 1000 floats
        Graph small = new Graph("small");
        Value sx = small.addInput("x", TensorType.of(DType.F32, 1000));
        Value four = op(small, Ops.SLICE, List.of(sx), "starts", new long[] {0}, "ends", new long[] {4}, "axes", new long[] {0}, "steps", new long[] {1});
        small.addOutput(op(small, Ops.REDUCE_SUM, List.of(op(small, Ops.RELU, List.of(four))), "axes", new long[] {0}, "keepdims", 1L));
        Graph large = new Graph("large");
        Value lx = large.addInput("x", TensorType.of(DType.F32, 1000));
        Value a = op(large, Ops.RELU, List.of(lx));
        Value b = op(large, Ops.NEG, List.of(a));
        large.addOutput(op(large, Ops.REDUCE_SUM, List.of(op(large, Ops.ADD, List.of(a, b))), "axes", new long[] {0}, "keepdims", 1L));
        Node n = g.addNode(Ops.IF, "choose", List.of(c, x), Attrs.of("then_branch", small, "else_branch", large));
        g.addOutput(n.output(0));
        GraphVerifier.verify(g);

        MemoryPlanner planner = new MemoryPlanner(16, PLAIN);
        MemoryPlan p = planner.plan(g);
        long smallArena = p.regionPlan(small).arenaBytes(), largeArena = p.regionPlan(large).arenaBytes();
        assertEquals(16 + 16, smallArena, "the small branch holds 4 floats and their relu");
        assertEquals(3 * 4000, largeArena, "relu, neg and their sum live together in the large branch");
        assertEquals(largeArena, p.scratch(n).bytes(), "the If's scratch is the larger branch, not the sum");
        assertEquals(largeArena, p.arenaBytes());
    }
}
