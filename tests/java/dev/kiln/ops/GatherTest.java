package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import org.junit.jupiter.api.Test;

class GatherTest {
    private static Graph gather(long axis) {
        Graph g = new Graph("t");
        Value data = g.addInput("data", new TensorType(DType.BOOL, Shape.of(2, 3)));
        Value idx = g.addInput("idx", new TensorType(DType.I32, Shape.of(2)));
        g.addOutput(g.addNode(Ops.GATHER, "g", List.of(data, idx), Attrs.of("axis", axis)).output(0));
        return g;
    }

    private static final NdArray DATA = NdArray.ofLongs(DType.BOOL, Shape.of(2, 3), 1, 0, 0, 0, 1, 1);

    @Test
    void runtimeNegativeIndicesAlongAxis1() {
        NdArray y = new Interpreter(gather(1)).run(List.of(DATA, NdArray.ofLongs(DType.I32, Shape.of(2), -1, 0))).get(0);
        assertArrayEquals(new int[] {2, 2}, y.shape().dims());
        assertArrayEquals(new long[] {0, 1, 1, 0}, y.longs());
    }

    @Test
    void outOfRangeIndexFailsWithAMessage() {
        assertThrows(KilnException.class, () -> new Interpreter(gather(0)).run(List.of(DATA, NdArray.ofLongs(DType.I32, Shape.of(2), 0, 2))));
    }
}
