package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bounded shapes: the static shape is the bound, readers carry the run-time extent or are refused by name. */
class ExtentsTest {
    /** x -> non_zero -> gather(table, row 1 of the coordinates) : a bounded value read by a reader that carries it. */
    @Test
    void gatherCarriesTheExtentAndTheInterpreterTrims() {
        Graph g = new Graph("nz");
        Value x = g.addInput("x", TensorType.of(DType.F32, 6));
        Value nz = g.addNode(Ops.NON_ZERO, "nz", List.of(x), Attrs.EMPTY).output(0);
        assertEquals(Shape.of(1, 6), nz.shape(), "the static shape is the bound: every element may be non-zero");
        Value table = g.addConstant("table", NdArray.ofFloats(Shape.of(6), 10, 11, 12, 13, 14, 15));
        Value picked = g.addNode(Ops.GATHER, "pick", List.of(table, nz), Attrs.of("axis", 0L)).output(0);
        g.addOutput(picked);
        Map<Value, Integer> axes = Extents.of(g);
        assertEquals(1, axes.get(nz));
        assertEquals(1, axes.get(picked), "gather puts the indices' bounded axis 1 at axis 0 + 1");
        NdArray out = new Interpreter(g).run(List.of(NdArray.ofFloats(Shape.of(6), 0, 3, 0, 0, 5, 1))).get(0);
        assertEquals(Shape.of(1, 3), out.shape());
        assertArrayEquals(new float[] {11, 14, 15}, out.floats());
    }

    @Test
    void aReaderThatCannotTakeABoundedValueIsRefusedByName() {
        Graph g = new Graph("nz");
        Value x = g.addInput("x", TensorType.of(DType.F32, 6));
        Value nz = g.addNode(Ops.NON_ZERO, "nz", List.of(x), Attrs.EMPTY).output(0);
        g.addOutput(g.addNode(Ops.REDUCE_SUM, "total", List.of(nz), Attrs.of("axes", new long[] {1})).output(0));
        KilnException e = assertThrows(KilnException.class, () -> Extents.of(g));
        assertEquals(Code.BOUNDED_SHAPE, e.diagnostics().get(0).code());
        assertTrue(e.getMessage().contains("'total' cannot read 'nz'") && e.getMessage().contains("gather"), e.getMessage());
    }

    @Test
    void aUserBoundTightensTheShapeAndAnOverflowIsAnError() {
        Graph g = new Graph("nz");
        Value x = g.addInput("x", TensorType.of(DType.F32, 6));
        Value nz = g.addNode(Ops.NON_ZERO, "nz", List.of(x), Attrs.of("bound", 2L)).output(0);
        g.addOutput(nz);
        assertEquals(Shape.of(1, 2), nz.shape());
        assertEquals(Shape.of(1, 2), new Interpreter(g).run(List.of(NdArray.ofFloats(Shape.of(6), 0, 3, 0, 0, 5, 0))).get(0).shape());
        KilnException e = assertThrows(KilnException.class, () -> new Interpreter(g).run(List.of(NdArray.ofFloats(Shape.of(6), 1, 3, 0, 0, 5, 0))));
        assertTrue(e.getMessage().contains("more than its bound 2") && e.getMessage().contains("--bound nz=N"), e.getMessage());
    }

    /**
     * x -> non_zero [1, B] -> reshape [B] (the bounded axis kept, now leading) -> slice [0:B] (kept whole) -> gather;
     * a reshape that would split the bounded axis and a slice that shortens it are refused, naming the node.
     */
    @Test
    void reshapeAndSliceCarryTheExtentWhenTheyKeepTheBoundedAxis() {
        Graph g = new Graph("nz");
        Value x = g.addInput("x", TensorType.of(DType.F32, 6));
        Value nz = g.addNode(Ops.NON_ZERO, "nz", List.of(x), Attrs.EMPTY).output(0);
        Value flat = g.addNode(Ops.RESHAPE, "flat", List.of(nz), Attrs.of("shape", new long[] {6})).output(0);
        Value whole = g.addNode(Ops.SLICE, "whole", List.of(flat), Attrs.of("starts", new long[] {0}, "ends", new long[] {Long.MAX_VALUE})).output(0);
        Value table = g.addConstant("table", NdArray.ofFloats(Shape.of(6), 10, 11, 12, 13, 14, 15));
        Value picked = g.addNode(Ops.GATHER, "pick", List.of(table, whole), Attrs.of("axis", 0L)).output(0);
        g.addOutput(picked);
        Map<Value, Integer> axes = Extents.of(g);
        assertEquals(0, axes.get(flat), "reshape [1, B] -> [B] moves the extent to axis 0");
        assertEquals(0, axes.get(picked));
        NdArray out = new Interpreter(g).run(List.of(NdArray.ofFloats(Shape.of(6), 0, 3, 0, 0, 5, 1))).get(0);
        assertArrayEquals(new float[] {11, 14, 15}, out.floats());

        Graph h = new Graph("nz");
        Value hx = h.addInput("x", TensorType.of(DType.F32, 6));
        Value hn = h.addNode(Ops.NON_ZERO, "nz", List.of(hx), Attrs.EMPTY).output(0);
        h.addOutput(h.addNode(Ops.RESHAPE, "split", List.of(hn), Attrs.of("shape", new long[] {2, 3})).output(0));
        assertTrue(assertThrows(KilnException.class, () -> Extents.of(h)).getMessage().contains("'split' cannot read 'nz'"));
        Graph k = new Graph("nz");
        Value kx = k.addInput("x", TensorType.of(DType.F32, 6));
        Value kn = k.addNode(Ops.NON_ZERO, "nz", List.of(kx), Attrs.EMPTY).output(0);
        k.addOutput(k.addNode(Ops.SLICE, "later", List.of(kn), Attrs.of("starts", new long[] {1}, "ends", new long[] {6}, "axes", new long[] {1})).output(0));
        assertTrue(assertThrows(KilnException.class, () -> Extents.of(k)).getMessage().contains("'later' cannot read 'nz'"));
    }

    /**
     * A Concat along another axis than the bounded one carries one extent: two values bounded by one node pass, the
     * interpreter trims the result to the extent; values bounded by two different nodes are refused by name.
     */
    @Test
    void concatAlongAnotherAxisNeedsOneSourceOfTheExtent() {
        Graph g = new Graph("nz");
        Value x = g.addInput("x", TensorType.of(DType.F32, 6));
        Value nz = g.addNode(Ops.NON_ZERO, "nz", List.of(x), Attrs.EMPTY).output(0);
        Value both = g.addNode(Ops.CONCAT, "both", List.of(nz, nz), Attrs.of("axis", 0L)).output(0);
        g.addOutput(both);
        assertEquals(1, Extents.of(g).get(both));
        assertEquals(nz.producer(), Extents.sources(g).get(both));
        NdArray out = new Interpreter(g).run(List.of(NdArray.ofFloats(Shape.of(6), 0, 3, 0, 0, 5, 1))).get(0);
        assertEquals(Shape.of(2, 3), out.shape());
        assertArrayEquals(new long[] {1, 4, 5, 1, 4, 5}, out.longs());

        Graph h = new Graph("nz");
        Value hx = h.addInput("x", TensorType.of(DType.F32, 6));
        Value a = h.addNode(Ops.NON_ZERO, "a", List.of(hx), Attrs.EMPTY).output(0);
        Value b = h.addNode(Ops.NON_ZERO, "b", List.of(hx), Attrs.EMPTY).output(0);
        h.addOutput(h.addNode(Ops.CONCAT, "mixed", List.of(a, b), Attrs.of("axis", 0L)).output(0));
        KilnException e = assertThrows(KilnException.class, () -> Extents.sources(h));
        assertTrue(e.getMessage().contains("concat 'mixed' joins values whose sizes along axis 1") && e.getMessage().contains("('a' and 'b')"),
                e.getMessage());
    }

    /**
     * axisOf walks each node once: nodes appended after a call are walked on the next call, and a graph whose walked
     * nodes changed (a node removed) is walked anew, so removed values lose their axis.
     */
    @Test
    void axisOfWalksOnlyTheNodesAppendedSinceTheLastCall() {
        Graph g = new Graph("nz");
        Value x = g.addInput("x", TensorType.of(DType.F32, 6));
        Value nz = g.addNode(Ops.NON_ZERO, "nz", List.of(x), Attrs.EMPTY).output(0);
        assertEquals(1, Extents.axisOf(g, nz));
        Value flat = g.addNode(Ops.RESHAPE, "flat", List.of(nz), Attrs.of("shape", new long[] {6})).output(0);
        assertEquals(0, Extents.axisOf(g, flat), "an appended reader is walked on the next call");
        Value plain = g.addNode(Ops.RELU, "plain", List.of(x), Attrs.EMPTY).output(0);
        assertEquals(null, Extents.axisOf(g, plain));
        g.removeNode(plain.producer());
        g.removeNode(flat.producer());
        Value sum = g.addNode(Ops.REDUCE_SUM, "total", List.of(nz), Attrs.of("axes", new long[] {1})).output(0);
        KilnException e = assertThrows(KilnException.class, () -> Extents.axisOf(g, sum));
        assertTrue(e.getMessage().contains("'total' cannot read 'nz'"), e.getMessage());
        g.removeNode(sum.producer());
        assertEquals(1, Extents.axisOf(g, nz), "after a refusal and the reader's removal the graph is walked anew");
    }

    /** A bounded_slice whose start and end are run-time inputs resolves them against the extent; its bound is any window's. */
    @Test
    void aSliceWithRunTimeIndicesResolvesThemAgainstTheExtent() {
        Graph g = new Graph("nz");
        Value x = g.addInput("x", TensorType.of(DType.F32, 6));
        Value from = g.addInput("from", TensorType.of(DType.I64, 1));
        Value to = g.addInput("to", TensorType.of(DType.I64, 1));
        Value nz = g.addNode(Ops.NON_ZERO, "nz", List.of(x), Attrs.EMPTY).output(0);
        Value flat = g.addNode(Ops.RESHAPE, "flat", List.of(nz), Attrs.of("shape", new long[] {6})).output(0);
        Value cut = g.addNode(Ops.BOUNDED_SLICE, "cut", java.util.Arrays.asList(flat, from, to),
                Attrs.of("axis", 0L, "start", 0L, "end", 0L, "step", 2L)).output(0);
        g.addOutput(cut);
        assertEquals(Shape.of(3), cut.shape(), "run-time indices: the bound is ceil(6 / 2)");
        NdArray xs = NdArray.ofFloats(Shape.of(6), 1, 0, 2, 3, 4, 5);
        NdArray out = new Interpreter(g).run(List.of(xs, NdArray.ofLongs(DType.I64, Shape.of(1), new long[] {-4}),
                NdArray.ofLongs(DType.I64, Shape.of(1), new long[] {1L << 50}))).get(0);
        assertArrayEquals(new long[] {2, 4}, out.longs(), "[-4::2] of the 5 non-zero positions 0, 2, 3, 4, 5");
    }

    /** A bounded_concat along another axis joins extents of different nodes when they are equal at run time, else fails the run. */
    @Test
    void aConcatOfExtentsFromTwoNodesAlongAnotherAxisNeedsThemEqual() {
        Graph g = new Graph("nz");
        Value x = g.addInput("x", TensorType.of(DType.F32, 4));
        Value z = g.addInput("z", TensorType.of(DType.F32, 4));
        Value a = g.addNode(Ops.NON_ZERO, "a", List.of(x), Attrs.EMPTY).output(0);
        Value b = g.addNode(Ops.NON_ZERO, "b", List.of(z), Attrs.EMPTY).output(0);
        Value both = g.addNode(Ops.BOUNDED_CONCAT, "both", List.of(a, b), Attrs.of("axis", 0L, "bounded", new long[] {0, 0}, "along", 1L)).output(0);
        g.addOutput(both);
        assertEquals(1, Extents.of(g).get(both));
        assertEquals(both.producer(), Extents.sources(g).get(both), "the join computes its own extent");
        NdArray out = new Interpreter(g).run(List.of(NdArray.ofFloats(Shape.of(4), 0, 3, 0, 5), NdArray.ofFloats(Shape.of(4), 1, 1, 0, 0))).get(0);
        assertArrayEquals(new long[] {1, 3, 0, 1}, out.longs());
        Exception e = assertThrows(RuntimeException.class,
                () -> new Interpreter(g).run(List.of(NdArray.ofFloats(Shape.of(4), 0, 3, 0, 5), NdArray.ofFloats(Shape.of(4), 1, 1, 1, 0))));
        assertTrue(e.getMessage().contains("run-time sizes along axis 1 differ: 2 and 3"), e.getMessage());
    }

    /** ONNX Slice against the run-time extent: negative indices count from it, and the bound is the most any extent keeps. */
    @Test
    void aSliceOfTheBoundedAxisResolvesAgainstTheExtent() {
        assertArrayEquals(new long[] {1, 3}, BoundedSlice.window(5, 1, -1, 1), "[1:-1] of 5");
        assertArrayEquals(new long[] {0, 2}, BoundedSlice.window(2, -3, BoundedSlice.FAR, 1), "[-3:] of 2 takes both");
        assertArrayEquals(new long[] {4, 3}, BoundedSlice.window(5, -1, -BoundedSlice.FAR, -2), "[::-2] of 5 from the last");
        assertArrayEquals(new long[] {0, 0}, BoundedSlice.window(0, 0, 3, 1));
        Graph g = new Graph("nz");
        Value x = g.addInput("x", TensorType.of(DType.F32, 6));
        Value nz = g.addNode(Ops.NON_ZERO, "nz", List.of(x), Attrs.EMPTY).output(0);
        // [-3:2] keeps at most 2 (extent 2 or 3, say) although the bound is 6; a later extent keeps fewer
        Value s = g.addNode(Ops.BOUNDED_SLICE, "s", List.of(nz), Attrs.of("axis", 1L, "start", -3L, "end", 2L, "step", 1L)).output(0);
        g.addOutput(s);
        assertEquals(Shape.of(1, 2), s.shape());
        NdArray out = new Interpreter(g).run(List.of(NdArray.ofFloats(Shape.of(6), 0, 3, 0, 0, 5, 1))).get(0);
        assertArrayEquals(new long[] {1, 4}, out.longs(), "extent 3: [-3:2] is [0:2] of 1, 4, 5");
    }

    /** Splitting a bounded axis scales its extent; an extent that does not fill whole slices fails the run. */
    @Test
    void aReshapeSplittingTheBoundedAxisDividesTheExtent() {
        Graph g = new Graph("nz");
        Value x = g.addInput("x", TensorType.of(DType.F32, 6));
        Value nz = g.addNode(Ops.NON_ZERO, "nz", List.of(x), Attrs.EMPTY).output(0);
        Value flat = g.addNode(Ops.RESHAPE, "flat", List.of(nz), Attrs.of("shape", new long[] {6})).output(0);
        Value pairs = g.addNode(Ops.BOUNDED_RESHAPE, "pairs", List.of(flat),
                Attrs.of("shape", new long[] {3, 2}, "axis", 0L, "multiply", 1L, "divide", 2L)).output(0);
        g.addOutput(pairs);
        assertEquals(pairs.producer(), Extents.sources(g).get(pairs));
        NdArray out = new Interpreter(g).run(List.of(NdArray.ofFloats(Shape.of(6), 0, 3, 0, 7, 5, 1))).get(0);
        assertEquals(Shape.of(2, 2), out.shape());
        assertArrayEquals(new long[] {1, 3, 4, 5}, out.longs());
        KilnException e = assertThrows(KilnException.class, () -> new Interpreter(g).run(List.of(NdArray.ofFloats(Shape.of(6), 0, 3, 0, 0, 5, 1))));
        assertTrue(e.getMessage().contains("'pairs'") && e.getMessage().contains("do not fill whole slices"), e.getMessage());
    }

    @Test
    void padAndTrim() {
        NdArray a = NdArray.ofFloats(Shape.of(2, 2), 1, 2, 3, 4);
        NdArray p = Extents.pad(a, Shape.of(2, 3));
        assertArrayEquals(new float[] {1, 2, 0, 3, 4, 0}, p.floats());
        assertArrayEquals(new float[] {1, 3}, Extents.trim(p, 1, 1).floats());
    }
}
