package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.diag.KilnException;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Loop and Scan: inference (static shapes, bounds) and reference evaluation. */
class ControlFlowOpsTest {
    private static final TensorType V = TensorType.of(DType.F32, 2);

    /** body(i, c, acc, x): acc + x; scan output acc + x. */
    private static Graph accumulate(boolean scan) {
        Graph b = new Graph("body");
        b.addInput("i", TensorType.of(DType.I64));
        Value c = b.addInput("c", TensorType.of(DType.BOOL));
        Value acc = b.addInput("acc", V);
        Value x = b.addInput("x", V);
        Value sum = b.addNode(Ops.ADD, "add", List.of(acc, x), Attrs.EMPTY).output(0);
        b.addOutput(c);
        b.addOutput(sum);
        if (scan) b.addOutput(sum);
        return b;
    }

    private static Graph loop(Value[] m, long tripCount, long bound) {
        Graph g = new Graph("loops");
        Value acc = g.addInput("acc", V);
        Value x = g.addInput("x", V);
        Value trips = tripCount >= 0 ? g.addConstant("m", NdArray.ofI64(tripCount).reshape(Shape.scalar())) : g.addInput("m", TensorType.of(DType.I64));
        m[0] = trips;
        Attrs a = Attrs.of("body", accumulate(bound <= 0), "captures", 1L);
        if (bound > 0) a = a.with("max_trip_count", bound);
        Node n = g.addNode(Ops.LOOP, "loop", java.util.Arrays.asList(trips, null, acc, x), a, bound > 0 ? 1 : 2);
        for (Value o : n.outputs()) g.addOutput(o);
        return g;
    }

    @Test
    void aConstantTripCountGivesStackedScanOutputs() {
        Graph g = loop(new Value[1], 3, 0);
        assertEquals(Shape.of(3, 2), g.outputs().get(1).shape());
        List<NdArray> r = new Interpreter(g).run(List.of(NdArray.ofFloats(Shape.of(2), 1, 2), NdArray.ofFloats(Shape.of(2), 10, 20)));
        assertArrayEquals(new float[] {31, 62}, r.get(0).floats());
        assertArrayEquals(new float[] {11, 22, 21, 42, 31, 62}, r.get(1).floats());
    }

    @Test
    void aRunTimeTripCountNeedsABoundNamingTheNodeAndTheOption() {
        KilnException e = assertThrows(KilnException.class, () -> loop(new Value[1], -1, 0));
        assertTrue(e.getMessage().contains("loop") && e.getMessage().contains("--max-trip-count loop=N"), e.getMessage());
        Graph g = loop(new Value[1], -1, 5);
        NdArray acc = NdArray.ofFloats(Shape.of(2), 0, 0), x = NdArray.ofFloats(Shape.of(2), 1, 2);
        List<NdArray> r = new Interpreter(g).run(List.of(acc, x, NdArray.ofI64(4).reshape(Shape.scalar())));
        assertArrayEquals(new float[] {4, 8}, r.get(0).floats());
        KilnException over = assertThrows(KilnException.class, () -> new Interpreter(g).run(List.of(acc, x, NdArray.ofI64(6).reshape(Shape.scalar()))));
        assertTrue(over.getMessage().contains("--max-trip-count loop=5"), over.getMessage());
    }

    @Test
    void scanWalksBackwardsAlongItsAxisAndStacksInReverse() {
        Graph b = new Graph("body");
        Value s = b.addInput("s", TensorType.of(DType.F32, 2));
        Value slice = b.addInput("col", TensorType.of(DType.F32, 2));
        Value sum = b.addNode(Ops.ADD, "add", List.of(s, slice), Attrs.EMPTY).output(0);
        b.addOutput(sum);
        b.addOutput(sum);
        Graph g = new Graph("scan");
        Value init = g.addInput("init", TensorType.of(DType.F32, 2));
        Value xs = g.addInput("xs", TensorType.of(DType.F32, 2, 3));
        Node n = g.addNode(Ops.SCAN, "scan", List.of(init, xs), Attrs.of("body", b, "num_scan_inputs", 1L,
                "scan_input_axes", new long[] {1}, "scan_input_directions", new long[] {1},
                "scan_output_axes", new long[] {-1}, "scan_output_directions", new long[] {1}), 2);
        g.addOutput(n.output(0));
        g.addOutput(n.output(1));
        assertEquals(Shape.of(2, 3), n.output(1).shape());
        // columns walked 2, 1, 0: running sums 3, 5, 6 (row 0) and 6, 11, 15 (row 1), stored back from the end
        Map<String, NdArray> r = new Interpreter(g).run(Map.of("init", NdArray.ofFloats(Shape.of(2), 0, 0),
                "xs", NdArray.ofFloats(Shape.of(2, 3), 1, 2, 3, 4, 5, 6)));
        assertArrayEquals(new float[] {6, 15}, r.get(n.output(0).name()).floats());
        assertArrayEquals(new float[] {6, 5, 3, 15, 11, 6}, r.get(n.output(1).name()).floats());
    }

    @Test
    void aCarriedValueThatChangesShapeIsRefusedNamingTheNode() {
        Graph b = new Graph("body");
        b.addInput("i", TensorType.of(DType.I64));
        Value c = b.addInput("c", TensorType.of(DType.BOOL));
        Value v = b.addInput("v", V);
        b.addOutput(c);
        b.addOutput(b.addNode(Ops.CONCAT, "grow", List.of(v, v), Attrs.of("axis", 0L)).output(0));
        Graph g = new Graph("grows");
        Value v0 = g.addInput("v", V);
        KilnException e = assertThrows(KilnException.class, () -> g.addNode(Ops.LOOP, "grower",
                java.util.Arrays.asList(g.addConstant("m", NdArray.ofI64(2).reshape(Shape.scalar())), null, v0), Attrs.of("body", b), 1));
        assertTrue(e.getMessage().contains("grower") || e.diagnostics().get(0).location().toString().contains("grower"), e.getMessage());
        assertTrue(e.getMessage().contains("loop-carried value 0"), e.getMessage());
    }
}
