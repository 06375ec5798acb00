package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

class MatMulIntegerTest {
    @Test
    void subtractsPerRowAndPerColumnZeroPoints() {
        Graph g = new Graph("t");
        Value a = g.addConstant("a", NdArray.ofLongs(DType.U8, Shape.of(2, 2), 1, 2, 3, 4));
        Value b = g.addConstant("b", NdArray.ofLongs(DType.U8, Shape.of(2, 2), 5, 6, 7, 8));
        Value az = g.addConstant("az", NdArray.ofLongs(DType.U8, Shape.of(2), 1, 2));
        Value bz = g.addConstant("bz", NdArray.ofLongs(DType.U8, Shape.of(2), 5, 0));
        g.addOutput(g.addNode(Ops.MATMUL_INTEGER, "mm", List.of(a, b, az, bz), Attrs.EMPTY).output(0));
        NdArray y = new Interpreter(g).run(List.of()).get(0);
        // (a - az) = [[0, 1], [1, 2]], (b - bz) = [[0, 6], [2, 8]]
        assertArrayEquals(new long[] {2, 8, 4, 22}, y.longs());
    }
}
