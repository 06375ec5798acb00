package dev.kiln.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.memory.MemoryPlan.Kind;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.ops.Trait;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryPlannerTest {
    /** The C backend's rules, restated: aliases by trait, in place for element-wise ops on same-shaped inputs. */
    static final PlacementRules RULES = new PlacementRules() {
        @Override public boolean isAlias(Node n) { return n.op().has(Trait.ALIAS); }

        @Override public int inPlaceInput(Node n) {
            if (!n.op().has(Trait.ELEMENTWISE) || n.op().has(Trait.ALIAS)) return -1;
            for (int i = 0; i < n.numInputs(); i++) if (n.input(i).shape().equals(n.output(0).shape())) return i;
            return -1;
        }

        @Override public long scratchBytes(Node n) { return 0; }
    };

    static final PlacementRules NO_SHARING = new PlacementRules() {
        @Override public boolean isAlias(Node n) { return false; }
        @Override public int inPlaceInput(Node n) { return -1; }
        @Override public long scratchBytes(Node n) { return 0; }
    };

    private static Value op(Graph g, OpDef op, Value... ins) {
        return g.addNode(op, g.uniqueNodeName(op.name()), List.of(ins), Attrs.EMPTY).output(0);
    }

    private static final int N = 1000; // f32 elements: 4000 bytes per tensor

    @Test
    void aChainOfActivationsRunsInPlaceInOneBuffer() {
        Graph g = new Graph("chain");
        Value x = g.addInput("x", TensorType.of(DType.F32, N));
        Value a = op(g, Ops.RELU, x);
        Value b = op(g, Ops.SIGMOID, a);
        Value c = op(g, Ops.TANH, b);
        Value d = op(g, Ops.EXP, c);
        g.addOutput(d);
        MemoryPlan p = new MemoryPlanner(16, RULES).plan(g);
        assertEquals(Kind.INPUT, p.placement(x).kind());
        assertEquals(Kind.OUTPUT, p.placement(d).kind());
        assertSame(p.placement(a).buffer(), p.placement(b).buffer());
        assertEquals(4000, p.arenaBytes());
        assertEquals(8000, p.lowerBoundBytes(), "a and b are both live while b is computed");
        assertTrue(p.arenaBytes() < p.lowerBoundBytes());
    }

    @Test
    void aValueStillNeededIsNotOverwritten() {
        Graph g = new Graph("residual");
        Value x = g.addInput("x", TensorType.of(DType.F32, N));
        Value a = op(g, Ops.RELU, x);
        Value b = op(g, Ops.SIGMOID, a); // a is read again by the add below
        Value c = op(g, Ops.ADD, a, b);
        Value d = op(g, Ops.TANH, c);
        g.addOutput(d);
        MemoryPlan p = new MemoryPlanner(16, RULES).plan(g);
        assertFalse(p.placement(a).buffer() == p.placement(b).buffer());
        assertSame(p.placement(a).buffer(), p.placement(c).buffer(), "the add may overwrite a, its last reader");
        assertEquals(8000, p.arenaBytes());
        assertNoOverlap(p);
    }

    @Test
    void reshapeAliasesItsInputAndExtendsItsLife() {
        Graph g = new Graph("alias");
        Value x = g.addInput("x", TensorType.of(DType.F32, 10, 100));
        Value a = op(g, Ops.RELU, x);
        Value r = g.addNode(Ops.FLATTEN, "flat", List.of(a), Attrs.of("axis", 0L)).output(0);
        Value c = op(g, Ops.SIGMOID, r);
        g.addOutput(c);
        MemoryPlan p = new MemoryPlanner(16, RULES).plan(g);
        assertSame(p.placement(a).buffer(), p.placement(r).buffer());
        assertEquals(p.placement(a).offset(), p.placement(r).offset());
    }

    @Test
    void deadBuffersAreReusedAndTheBoundIsMetWithoutSharing() {
        Graph g = new Graph("reuse");
        Value v = g.addInput("x", TensorType.of(DType.F32, N));
        for (int i = 0; i < 6; i++) v = op(g, i % 2 == 0 ? Ops.RELU : Ops.NEG, v);
        g.addOutput(v);
        MemoryPlan p = new MemoryPlanner(16, NO_SHARING).plan(g);
        assertEquals(8000, p.lowerBoundBytes());
        assertEquals(8000, p.arenaBytes(), "two buffers alternate along a chain");
        assertNoOverlap(p);
    }

    @Test
    void offsetsAreAlignedAndSizesRoundedUp() {
        Graph g = new Graph("align");
        Value x = g.addInput("x", TensorType.of(DType.F32, 3));
        Value a = op(g, Ops.RELU, x);
        Value b = op(g, Ops.NEG, a);
        Value c = op(g, Ops.ADD, a, b);
        g.addOutput(c);
        MemoryPlan p = new MemoryPlanner(16, NO_SHARING).plan(g);
        for (MemoryPlan.Buffer buf : p.buffers()) {
            assertEquals(0, buf.offset() % 16);
            assertEquals(0, buf.bytes() % 16);
        }
        assertEquals(32, p.arenaBytes());
    }

    @Test
    void outputsThatAreInputsOrListedTwiceStayLiveToTheEnd() {
        Graph g = new Graph("outs");
        Value x = g.addInput("x", TensorType.of(DType.F32, N));
        Value a = op(g, Ops.RELU, x);
        Value b = op(g, Ops.NEG, a);
        g.addOutput(b);
        g.addOutput(b);
        g.addOutput(x);
        MemoryPlan p = new MemoryPlanner(16, NO_SHARING).plan(g);
        assertEquals(Kind.OUTPUT, p.placement(b).kind());
        assertEquals(0, p.placement(b).index());
        assertNoOverlap(p);
    }

    /** {@link #NO_SHARING} plus joins: a concat along axis 1 of one outer row names each input's byte offset. */
    static final PlacementRules JOINS = new PlacementRules() {
        @Override public boolean isAlias(Node n) { return false; }
        @Override public int inPlaceInput(Node n) { return -1; }
        @Override public long scratchBytes(Node n) { return 0; }

        @Override public long[] joinedAt(Node n) {
            if (n.op() != Ops.CONCAT) return null;
            long[] at = new long[n.numInputs()];
            for (int i = 0, off = 0; i < at.length; off += n.input(i).type().byteSize(), i++) at[i] = off;
            return at;
        }
    };

    @Test
    void joinedInputsAreWrittenInTheirSliceOfTheJoin() {
        Graph g = new Graph("join");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 8));
        Value y = g.addInput("y", TensorType.of(DType.F32, 1, 3));
        Value a = op(g, Ops.RELU, x); // at 0
        Value b = op(g, Ops.NEG, x); // at 32
        Value c = op(g, Ops.RELU, y); // at 64, 12 bytes
        Value d = op(g, Ops.NEG, x); // at 76: not aligned, gets its own buffer
        Value cat = g.addNode(Ops.CONCAT, "cat", List.of(a, b, c, d, x, a), Attrs.of("axis", 1L)).output(0);
        Value after = op(g, Ops.SIGMOID, cat);
        Node pad = g.addNode(Ops.CONCAT, "pad", List.of(b, y), Attrs.of("axis", 1L));
        g.addOutput(after);
        g.addOutput(pad.output(0));
        MemoryPlan p = new MemoryPlanner(16, JOINS).plan(g);
        MemoryPlan.Placement at = p.placement(cat);
        assertEquals(at.offset() + 32, p.placement(b).offset());
        assertEquals(at.offset() + 64, p.placement(c).offset());
        assertSame(at.buffer(), p.placement(c).buffer());
        assertFalse(at.buffer() == p.placement(a).buffer(), "a is listed twice: copied");
        assertFalse(at.buffer() == p.placement(d).buffer(), "an unaligned offset: copied");
        assertEquals(Kind.INPUT, p.placement(x).kind());
        assertTrue(at.buffer().lastStep() >= g.nodes().indexOf(pad),
                "b, read by the second concat, keeps the first concat's buffer alive");
        assertEquals(at.buffer().firstStep(), g.nodes().indexOf(b.producer()), "the buffer is live from its first input on");
        assertNoOverlap(p);
    }

    @Test
    void aJoinInsideAJoinPlacesItsInputsInTheOuterBuffer() {
        Graph g = new Graph("nested");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1, 8));
        Value a = op(g, Ops.RELU, x); // inner at 0
        Value b = op(g, Ops.NEG, x); // inner at 32
        Value inner = g.addNode(Ops.CONCAT, "inner", List.of(a, b), Attrs.of("axis", 1L)).output(0); // outer at 32
        Value c = op(g, Ops.SIGMOID, x); // outer at 0
        Value d = op(g, Ops.TANH, x); // inner2 at 0, inner2 at outer's 96, inner3 at inner2's 32: three deep
        Value e = op(g, Ops.RELU, c);
        Value inner3 = g.addNode(Ops.CONCAT, "inner3", List.of(e, x), Attrs.of("axis", 1L)).output(0);
        Value inner2 = g.addNode(Ops.CONCAT, "inner2", List.of(d, inner3), Attrs.of("axis", 1L)).output(0);
        Value outer = g.addNode(Ops.CONCAT, "outer", List.of(c, inner, inner2), Attrs.of("axis", 1L)).output(0);
        g.addOutput(op(g, Ops.SIGMOID, outer));
        g.addOutput(op(g, Ops.NEG, inner));
        MemoryPlan p = new MemoryPlanner(16, JOINS).plan(g);
        long o = p.placement(outer).offset();
        assertEquals(o + 32, p.placement(inner).offset());
        assertEquals(o + 32, p.placement(a).offset());
        assertEquals(o + 64, p.placement(b).offset());
        assertEquals(o, p.placement(c).offset());
        assertEquals(o + 96, p.placement(inner2).offset());
        assertEquals(o + 96, p.placement(d).offset());
        assertEquals(o + 128, p.placement(inner3).offset());
        assertEquals(o + 128, p.placement(e).offset());
        for (Value v : List.of(inner, a, b, c, d, e, inner2, inner3)) assertSame(p.placement(outer).buffer(), p.placement(v).buffer());
        assertTrue(p.placement(outer).buffer().lastStep() >= g.nodes().indexOf(g.outputs().get(1).producer()),
                "inner, read after the outer concat, keeps the outer buffer alive");
        assertNoOverlap(p);
    }

    /** No two buffers live at the same step share a byte. */
    static void assertNoOverlap(MemoryPlan p) {
        List<MemoryPlan.Buffer> bs = p.buffers();
        for (int i = 0; i < bs.size(); i++) {
            for (int j = i + 1; j < bs.size(); j++) {
                MemoryPlan.Buffer a = bs.get(i), b = bs.get(j);
                boolean timeOverlap = a.firstStep() <= b.lastStep() && b.firstStep() <= a.lastStep();
                boolean spaceOverlap = a.offset() < b.offset() + b.bytes() && b.offset() < a.offset() + a.bytes();
                assertFalse(timeOverlap && spaceOverlap, "buffers " + a + " and " + b + " overlap");
            }
            assertTrue(bs.get(i).offset() + bs.get(i).bytes() <= p.arenaBytes());
        }
    }

    /** A chain of dense layers with a narrow bottleneck (as in an autoencoder): greedy by size alone puts it on top. */
    @Test
    void aBottleneckFitsUnderTheWideLayersAroundIt() {
        Graph g = new Graph("bottleneck");
        Value v = g.addInput("x", TensorType.of(DType.F32, 1, 640));
        int[] widths = {128, 128, 128, 128, 8, 128, 128, 128, 128, 640};
        for (int w : widths) {
            Value wt = g.addConstant("w", dev.kiln.ir.NdArray.zeros(TensorType.of(DType.F32, v.shape().dim(1), w)));
            v = op(g, Ops.MATMUL, v, wt);
        }
        g.addOutput(v);
        MemoryPlan p = new MemoryPlanner(8, NO_SHARING).plan(g);
        assertEquals(1024, p.lowerBoundBytes());
        assertEquals(1024, p.arenaBytes(), p.strategy());
    }

    /**
     * A kernel that may write a larger output over its input, the input at the output's tail (the int8 1x1 kernels
     * on DSP targets): the input's buffer grows in front of it, so the larger output and the input need the output's
     * bytes only, and the kernel's scratch goes beside them. The bound counts tensors alone (no scratch).
     */
    @Test
    void aLargerOutputTakesItsInputsBufferWithTheInputAtItsTail() {
        Graph g = new Graph("tail");
        Value x = g.addInput("x", TensorType.of(DType.F32, N));
        Value a = op(g, Ops.RELU, x);
        Value b = g.addNode(Ops.CONCAT, "cat", List.of(a, a), Attrs.of("axis", 0L)).output(0);
        g.addOutput(op(g, Ops.TANH, b));
        PlacementRules growing = new PlacementRules() {
            @Override public boolean isAlias(Node n) { return false; }
            @Override public int inPlaceInput(Node n) { return n.op() == Ops.CONCAT ? 0 : RULES.inPlaceInput(n); }
            @Override public boolean inPlaceAtTail(Node n) { return n.op() == Ops.CONCAT; }
            @Override public long scratchBytes(Node n) { return n.op() == Ops.CONCAT ? 64 : 0; }
        };
        MemoryPlan p = new MemoryPlanner(16, growing).plan(g);
        assertEquals(3 * 4 * N, p.lowerBoundBytes(), "a and b are live while b is computed; scratch is not a tensor");
        assertSame(p.placement(a).buffer(), p.placement(b).buffer());
        assertEquals(p.placement(a).offset() + 4 * N, p.placement(b).offset() + 8 * N, "a ends where b ends");
        assertEquals(8 * N + 64, p.arenaBytes(), "b's bytes and the scratch");
        // without the tail rule the plan gives each its own bytes
        MemoryPlan apart = new MemoryPlanner(16, RULES).plan(g);
        assertEquals(3 * 4 * N, apart.arenaBytes());
    }
}
