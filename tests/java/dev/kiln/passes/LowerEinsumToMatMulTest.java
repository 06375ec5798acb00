package dev.kiln.passes;

import static dev.kiln.passes.FusionTesting.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** LowerEinsumToMatMul: matrix-product einsums become matmuls (same outputs), the others keep the generic loop. */
class LowerEinsumToMatMulTest {
    private static Graph model(String eq, int[]... shapes) {
        Random rnd = new Random(7);
        Graph g = new Graph("g");
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) ins.add(g.addInput("x" + i, TensorType.of(DType.F32, shapes[i])));
        // a constant operand is fine too: it is transposed like any other
        g.addOutput(g.addNode(Ops.EINSUM, "e", ins, Attrs.of("equation", eq)).output(0));
        g.addOutput(g.addNode(Ops.EINSUM, "w", List.of(ins.get(0), g.addConstant("c", random(rnd, DType.F32, shapes[0]))),
                Attrs.of("equation", elementwise(shapes[0].length))).output(0));
        return g;
    }

    /** An einsum multiplying two same-shaped operands element-wise ("ab,ab->ab"): batch labels only. */
    private static String elementwise(int rank) {
        String l = "abcdefgh".substring(0, rank);
        return l + "," + l + "->" + l;
    }

    private static FusionTesting.Run lower(String eq, int[]... shapes) {
        return FusionTesting.check(() -> model(eq, shapes), 1e-5, new LowerEinsumToMatMul());
    }

    @Test
    void matrixProductsBecomeMatmuls() {
        for (Object[] c : new Object[][] {
                {"ij,jk->ik", new int[] {3, 4}, new int[] {4, 5}},
                {"bhqd,bhkd->bhqk", new int[] {2, 2, 3, 4}, new int[] {2, 2, 5, 4}},
                {"bij,bjk->bki", new int[] {2, 3, 4}, new int[] {2, 4, 5}},
                {"i,i->", new int[] {7}, new int[] {7}},
                {"i,j->ij", new int[] {3}, new int[] {4}},
                {"ij,kj", new int[] {3, 4}, new int[] {5, 4}}}) {
            FusionTesting.Run r = lower((String) c[0], (int[]) c[1], (int[]) c[2]);
            assertTrue(r.changed(), (String) c[0]);
            assertEquals(0, r.count("einsum"), (String) c[0]);
            assertEquals(2, r.count("matmul"), (String) c[0]);
            assertEquals(List.of("e", "w"), r.graph().outputs().stream().map(Value::name).toList(), "output names kept");
        }
    }

    @Test
    void diagonalsOneSidedSumsAndBroadcastsKeepTheLoop() {
        FusionTesting.Run d = FusionTesting.check(() -> {
            Graph g = new Graph("g");
            Value x = g.addInput("x", TensorType.of(DType.F32, 4, 4));
            Value y = g.addInput("y", TensorType.of(DType.F32, 4, 3));
            Value z = g.addInput("z", TensorType.of(DType.F32, 1, 3));
            g.addOutput(g.addNode(Ops.EINSUM, "diag", List.of(x, y), Attrs.of("equation", "ii,ij->ij")).output(0));
            g.addOutput(g.addNode(Ops.EINSUM, "sum", List.of(x, y), Attrs.of("equation", "ab,bc->c")).output(0));
            g.addOutput(g.addNode(Ops.EINSUM, "bcast", List.of(y, z), Attrs.of("equation", "ij,ij->ij")).output(0));
            g.addOutput(g.addNode(Ops.EINSUM, "one", List.of(x), Attrs.of("equation", "ij->ji")).output(0));
            return g;
        }, 1e-5, new LowerEinsumToMatMul());
        assertEquals(4, d.count("einsum"));
        assertTrue(d.noted("a label repeats"));
        assertTrue(d.noted("summed within one operand"));
        assertTrue(d.noted("broadcasts"));
        assertTrue(d.noted("not a two-operand float einsum"));
    }
}
