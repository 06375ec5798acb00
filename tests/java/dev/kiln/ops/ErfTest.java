package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Checks Kiln's erf and erfc against high-precision values, in both the series and the continued-fraction ranges. */
class ErfTest {
    @Test
    void erfMatchesReferenceValues() {
        assertEquals(0.0, Erf.erf(0.0));
        assertEquals(0.5204998778130465, Erf.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, Erf.erf(1.0), 1e-15);
        assertEquals(-0.9661051464753108, Erf.erf(-1.5), 1e-15);
        assertEquals(0.9953222650189527, Erf.erf(2.0), 1e-15);
        assertEquals(0.9999779095030014, Erf.erf(3.0), 1e-15);
        assertEquals(0.9999999845827421, Erf.erf(4.0), 1e-15);
        assertEquals(1.0, Erf.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, Erf.erf(Double.NEGATIVE_INFINITY));
        assertEquals(Double.NaN, Erf.erf(Double.NaN));
    }

    @Test
    void erfcKeepsRelativePrecisionInTheTail() {
        assertEquals(1.541725790028002e-08, Erf.erfc(4.0), 1e-22);
        assertEquals(1.5374597944280349e-12, Erf.erfc(5.0), 1e-26);
        assertEquals(2.088487583762545e-45, Erf.erfc(10.0), 1e-58);
        assertEquals(2.0 - 1.541725790028002e-08, Erf.erfc(-4.0), 1e-15);
        assertEquals(0.0, Erf.erfc(30.0));
    }
}
