package dev.kiln.check;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import org.junit.jupiter.api.Test;

class CompareTest {
    private static NdArray f(float... v) { return NdArray.ofFloats(Shape.of(v.length), v); }

    @Test
    void elementsWithinRtolAndAtolPass() {
        assertNull(Compare.mismatch(f(1f, 2f), f(1.0009f, 2f), 1e-3, 1e-7));
        String why = Compare.mismatch(f(1f, 2f), f(1.0011f, 2f), 1e-3, 1e-7);
        assertNotNull(why);
        assertTrue(why.startsWith("1 of 2 elements differ; worst at [0]"), why);
    }

    /** blazeface_front_128's case: 0.0029 in an output reaching 138.7, 4.2e-6 away from ONNX Runtime's value. */
    @Test
    void aSmallElementMayBeOffByUlpsOfItsOutputsLargestMagnitude() {
        assertNull(Compare.mismatch(f(138.7f, 0.0029209256f), f(138.7f, 0.0029166937f), 1e-3, 1e-7));
        // 8 float32 ulps of 138.7 (1.5e-5 each) is the floor; 2e-4 is past it
        String why = Compare.mismatch(f(138.7f, 0.0029f), f(138.7f, 0.0031f), 1e-3, 1e-7);
        assertNotNull(why);
        assertTrue(why.contains("8 float32 ulps of the output's largest magnitude 138.7"), why);
        // the floor follows the output's scale: alone, the same element fails
        assertNotNull(Compare.mismatch(f(0.0029209256f), f(0.0029166937f), 1e-3, 1e-7));
        // infinities and NaNs do not make the scale
        assertNotNull(Compare.mismatch(f(Float.POSITIVE_INFINITY, Float.NaN, 0.003f), f(Float.POSITIVE_INFINITY, Float.NaN, 0.0031f), 1e-3, 1e-7));
    }

    @Test
    void integersCompareExactly() {
        NdArray a = NdArray.ofI64(1, 2, 3), b = NdArray.ofI64(1, 2, 4);
        assertNull(Compare.mismatch(a, a, 1, 1));
        assertNotNull(Compare.mismatch(a, b, 1, 1));
    }
}
