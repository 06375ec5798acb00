package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class QLinearMatMulTest {
    @Test
    void requantizesExactHalvesToEven() {
        // a = [1, 1], b = [[5, 7], [0, 0]]: acc = [5, 7]; times 0.5 gives 2.5 and 3.5, which round to 2 and 4
        Graph g = new Graph("t");
        List<Value> ins = new ArrayList<>();
        ins.add(g.addConstant("a", NdArray.ofLongs(DType.U8, Shape.of(1, 2), 1, 1)));
        ins.add(g.addConstant("as", NdArray.ofFloats(Shape.scalar(), 1f)));
        ins.add(g.addConstant("az", NdArray.ofLongs(DType.U8, Shape.scalar(), 0)));
        ins.add(g.addConstant("b", NdArray.ofLongs(DType.I8, Shape.of(2, 2), 5, 7, 0, 0)));
        ins.add(g.addConstant("bs", NdArray.ofFloats(Shape.scalar(), 0.5f)));
        ins.add(g.addConstant("bz", NdArray.ofLongs(DType.I8, Shape.scalar(), 0)));
        ins.add(g.addConstant("ys", NdArray.ofFloats(Shape.scalar(), 1f)));
        ins.add(g.addConstant("yz", NdArray.ofLongs(DType.U8, Shape.scalar(), 10)));
        g.addOutput(g.addNode(Ops.QLINEAR_MATMUL, "mm", ins, Attrs.EMPTY).output(0));
        NdArray y = new Interpreter(g).run(List.of()).get(0);
        assertArrayEquals(new long[] {12, 14}, y.longs());
    }
}
