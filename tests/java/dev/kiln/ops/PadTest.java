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
import dev.kiln.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

class PadTest {
    private static long[] pad(String mode, long begin, long end, long... data) {
        NdArray x = NdArray.ofLongs(DType.U8, Shape.of(data.length), data);
        Graph g = new Graph("t");
        Value in = g.addInput("x", x.type());
        g.addOutput(g.addNode(Ops.PAD, "p", List.of(in), Attrs.of("pads", new long[] {begin, end}, "mode", mode, "value", 9.0)).output(0));
        return new Interpreter(g).run(List.of(x)).get(0).longs();
    }

    @Test
    void reflectRepeatsPastTheEdge() {
        assertArrayEquals(new long[] {3, 2, 1, 2, 3, 2, 1, 2}, pad("reflect", 2, 3, 1, 2, 3));
    }

    @Test
    void edgeAndWrap() {
        assertArrayEquals(new long[] {1, 1, 1, 2, 3, 3}, pad("edge", 2, 1, 1, 2, 3));
        assertArrayEquals(new long[] {2, 3, 1, 2, 3, 1, 2, 3, 1}, pad("wrap", 2, 4, 1, 2, 3));
    }

    @Test
    void constantValueAndNegativePadsCrop() {
        assertArrayEquals(new long[] {9, 1, 2, 3, 9}, pad("constant", 1, 1, 1, 2, 3));
        assertArrayEquals(new long[] {2, 3, 9}, pad("constant", -1, 1, 1, 2, 3));
    }

    @Test
    void unknownModeIsRejected() {
        assertThrows(KilnException.class, () -> pad("symmetric", 1, 1, 1, 2, 3));
    }
}
