package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.diag.KilnException;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResizeTest {
    private static NdArray resize(NdArray x, Attrs attrs) {
        Graph g = new Graph("t");
        Value xv = g.addInput("x", x.type());
        g.addOutput(g.addNode(Ops.RESIZE, "r", List.of(xv), attrs).output(0));
        return new Interpreter(g).run(List.of(x)).get(0);
    }

    @Test
    void simpleNearestRoundsUpWhenDownscaling() {
        // ONNX Resize-10 semantics (asymmetric): x = 1 maps to 1 / 0.6 = 1.67, taken as 2
        NdArray x = NdArray.ofFloats(Shape.of(1, 4), 1, 2, 3, 4);
        NdArray y = resize(x, Attrs.of("mode", "nearest", "coordinate_transformation_mode", "asymmetric", "nearest_mode", "simple",
                "sizes", new long[] {1, 2}, "scales", new double[] {1, 0.6f}));
        assertArrayEquals(new float[] {1, 3}, y.floats());
    }

    @Test
    void cropAndResizeGivesTheExtrapolationValueOutsideTheInput() {
        NdArray x = NdArray.ofFloats(Shape.of(1, 3), 0, 10, 20);
        NdArray y = resize(x, Attrs.of("mode", "linear", "coordinate_transformation_mode", "tf_crop_and_resize",
                "sizes", new long[] {1, 3}, "scales", new double[] {1, 1}, "roi", new double[] {0, 0.5, 1, 1.5},
                "extrapolation_value", -1.0));
        assertArrayEquals(new float[] {10, 20, -1}, y.floats());
    }

    @Test
    void rejectsSizesOfTheWrongRank() {
        NdArray x = NdArray.ofFloats(Shape.of(1, 3), 0, 10, 20);
        KilnException e = assertThrows(KilnException.class,
                () -> resize(x, Attrs.of("sizes", new long[] {6}, "scales", new double[] {2})));
        assertTrue(e.getMessage().contains("sizes has 1 values, the input has rank 2"), e.getMessage());
    }
}
