package dev.kiln.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The narrow float types against values the ONNX spec states: ranges, ties to even, saturate, NaN and -0. */
class SmallFloatsTest {
    private static final DType[] F8 = {DType.F8E4M3FN, DType.F8E4M3FNUZ, DType.F8E5M2, DType.F8E5M2FNUZ};

    @Test
    void largestFiniteValuesAreTheSpecs() {
        assertEquals(448f, SmallFloats.decode(DType.F8E4M3FN, 0x7E));
        assertEquals(240f, SmallFloats.decode(DType.F8E4M3FNUZ, 0x7F));
        assertEquals(57344f, SmallFloats.decode(DType.F8E5M2, 0x7B));
        assertEquals(57344f, SmallFloats.decode(DType.F8E5M2FNUZ, 0x7F));
        assertEquals(6f, SmallFloats.decode(DType.F4E2M1, 0x7));
        assertEquals(-6f, SmallFloats.decode(DType.F4E2M1, 0xF));
        assertEquals(0x1p-9f, SmallFloats.decode(DType.F8E4M3FN, 0x01)); // smallest subnormal
        assertEquals(0x1p-16f, SmallFloats.decode(DType.F8E5M2, 0x01));
    }

    @Test
    void nanAndInfinityPatterns() {
        assertTrue(Float.isNaN(SmallFloats.decode(DType.F8E4M3FN, 0x7F)));
        assertTrue(Float.isNaN(SmallFloats.decode(DType.F8E4M3FN, 0xFF)));
        assertTrue(Float.isNaN(SmallFloats.decode(DType.F8E4M3FNUZ, 0x80)));
        assertTrue(Float.isNaN(SmallFloats.decode(DType.F8E5M2FNUZ, 0x80)));
        assertTrue(Float.isNaN(SmallFloats.decode(DType.F8E5M2, 0x7D)));
        assertEquals(Float.POSITIVE_INFINITY, SmallFloats.decode(DType.F8E5M2, 0x7C));
        assertEquals(Float.NEGATIVE_INFINITY, SmallFloats.decode(DType.F8E5M2, 0xFC));
    }

    @Test
    void everyCodeRoundTrips() {
        for (DType t : F8) {
            for (int c = 0; c < 256; c++) {
                float v = SmallFloats.decode(t, c);
                if (Float.isNaN(v)) continue;
                assertEquals(c, SmallFloats.encode(t, v, false), t + " code " + c);
            }
        }
        for (int c = 0; c < 16; c++) if (c != 8) assertEquals(c, SmallFloats.encode(DType.F4E2M1, SmallFloats.decode(DType.F4E2M1, c), true));
    }

    @Test
    void roundsToNearestTiesToEven() {
        assertEquals(0f, SmallFloats.round(DType.F4E2M1, 0.25f, true)); // between 0 and 0.5: even code 0
        assertEquals(2f, SmallFloats.round(DType.F4E2M1, 2.5f, true)); // between 2 and 3: even code 4
        assertEquals(4f, SmallFloats.round(DType.F4E2M1, 3.5f, true)); // between 3 and 4: even code 6
        assertEquals(1f, SmallFloats.round(DType.F8E4M3FN, 1.0625f, true)); // 1 + 1/16 between 1 and 1.125
        assertEquals(1.25f, SmallFloats.round(DType.F8E4M3FN, 1.1875f, true)); // between 1.125 and 1.25
        assertEquals(448f, SmallFloats.round(DType.F8E4M3FN, 464f, false)); // the midpoint to 480 ties to 448 (even)
        assertEquals(1.0078125f, SmallFloats.round(DType.BF16, 1.0078125f, true));
        assertEquals(1f, SmallFloats.round(DType.BF16, 1.00390625f, true)); // half an ulp: ties to even
        assertEquals(1.015625f, SmallFloats.round(DType.BF16, 1.01171875f, true)); // 1.5 ulp: ties to even upward
    }

    @Test
    void saturateFollowsTheCastTable() {
        // saturate: beyond the range and infinities become the largest finite value, sign kept
        for (DType t : F8) {
            float max = SmallFloats.decode(t, t == DType.F8E4M3FN ? 0x7E : t == DType.F8E5M2 ? 0x7B : 0x7F);
            assertEquals(max, SmallFloats.round(t, 1e6f, true), t.toString());
            assertEquals(-max, SmallFloats.round(t, -1e6f, true), t.toString());
            assertEquals(max, SmallFloats.round(t, Float.POSITIVE_INFINITY, true), t.toString());
            assertTrue(Float.isNaN(SmallFloats.round(t, Float.NaN, true)), t.toString());
        }
        // no saturate: infinity for E5M2, NaN for the types without one
        assertEquals(Float.POSITIVE_INFINITY, SmallFloats.round(DType.F8E5M2, 1e6f, false));
        assertEquals(Float.NEGATIVE_INFINITY, SmallFloats.round(DType.F8E5M2, Float.NEGATIVE_INFINITY, false));
        for (DType t : new DType[] {DType.F8E4M3FN, DType.F8E4M3FNUZ, DType.F8E5M2FNUZ}) {
            assertTrue(Float.isNaN(SmallFloats.round(t, 1e6f, false)), t.toString());
            assertTrue(Float.isNaN(SmallFloats.round(t, Float.NEGATIVE_INFINITY, false)), t.toString());
        }
        assertEquals(6f, SmallFloats.round(DType.F4E2M1, Float.POSITIVE_INFINITY, false)); // float4 always saturates
    }

    @Test
    void e8m0RoundsToPowersOfTwoByMode() {
        assertEquals(0x7C, SmallFloats.encodeE8M0(0.124f, "up", true)); // 0.125
        assertEquals(0x7B, SmallFloats.encodeE8M0(0.124f, "down", true)); // 0.0625
        assertEquals(0x80, SmallFloats.encodeE8M0(1.1f, "up", true)); // 2
        assertEquals(0x7F, SmallFloats.encodeE8M0(1.4f, "nearest", true)); // 1
        assertEquals(0x80, SmallFloats.encodeE8M0(1.5f, "nearest", true)); // halfway rounds up
        assertEquals(0x00, SmallFloats.encodeE8M0(0f, "up", true)); // 2^-127, the smallest
        assertEquals(0xFE, SmallFloats.encodeE8M0(Float.POSITIVE_INFINITY, "up", true));
        assertEquals(0xFF, SmallFloats.encodeE8M0(Float.POSITIVE_INFINITY, "up", false));
        assertEquals(0xFF, SmallFloats.encodeE8M0(Float.MAX_VALUE, "up", false)); // 2^128 does not exist
        assertEquals(0x1p-127f, SmallFloats.decode(DType.F8E8M0, 0));
        assertTrue(Float.isNaN(SmallFloats.decode(DType.F8E8M0, 0xFF)));
    }

    @Test
    void negativeZero() {
        assertEquals(0x80, SmallFloats.encode(DType.F8E4M3FN, -0f, true));
        assertEquals(0x80, SmallFloats.encode(DType.F8E5M2, -1e-30f, true)); // underflows to -0
        assertEquals(0x00, SmallFloats.encode(DType.F8E4M3FNUZ, -0f, true)); // FNUZ has no -0: 0x80 is NaN
        assertEquals(0x00, SmallFloats.encode(DType.F8E5M2FNUZ, -1e-30f, true));
        assertEquals(0x80, SmallFloats.encode(DType.F8E5M2FNUZ, Float.NaN, true));
    }

    @Test
    void storedValuesAreRoundedToTheirType() {
        NdArray a = NdArray.zeros(DType.F8E4M3FN, Shape.of(2));
        a.setDouble(0, 1000);
        a.setDouble(1, 0.3);
        assertEquals(448f, a.getFloat(0));
        assertEquals(0.3125f, a.getFloat(1));
        NdArray e = NdArray.ofFloats(DType.F8E5M2, Shape.of(1), new float[] {Float.POSITIVE_INFINITY});
        assertEquals(Float.POSITIVE_INFINITY, e.getFloat(0)); // an E5M2 infinity is a value, kept
        assertTrue(Float.isNaN(NdArray.ofFloats(DType.F32, Shape.of(1), new float[] {1e6f}).cast(DType.F8E4M3FN, false).getFloat(0)));
    }
}
