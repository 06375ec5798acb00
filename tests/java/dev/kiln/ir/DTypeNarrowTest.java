package dev.kiln.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The integer types issue 19 adds: sub-byte wrapping and packing sizes, and u64's unsigned order and conversions. */
class DTypeNarrowTest {
    @Test
    void subByteTypesWrapLikeTwosComplement() {
        assertEquals(7, DType.I4.wrap(-9));
        assertEquals(-8, DType.I4.wrap(8));
        assertEquals(7, DType.U4.wrap(-9));
        assertEquals(1, DType.I2.wrap(-3));
        assertEquals(-2, DType.I2.wrap(2));
        assertEquals(3, DType.U2.wrap(-1));
        assertEquals(-8, DType.I4.minValue());
        assertEquals(3, DType.U2.maxValue());
    }

    @Test
    void packedSizes() {
        assertEquals(3, DType.I4.packedBytes(5));
        assertEquals(3, DType.U2.packedBytes(9));
        assertEquals(2, DType.F4E2M1.packedBytes(4));
        assertEquals(10, DType.U64.packedBytes(10) / 8);
        assertTrue(DType.I2.isSubByte() && !DType.F8E4M3FN.isSubByte());
        assertEquals(DType.I4, DType.fromOnnx(22));
        assertEquals(DType.F8E5M2FNUZ, DType.fromShortName("f8e5m2fnuz"));
    }

    @Test
    void u64IsUnsigned() {
        long big = 0xFFFF_FFFF_FFFF_FFFFL; // 2^64 - 1
        assertTrue(DType.U64.compare(big, 1) > 0);
        assertEquals(0x1p64, DType.U64.toDouble(big));
        assertEquals(0x1p63, DType.U64.toDouble(Long.MIN_VALUE));
        NdArray a = NdArray.zeros(DType.U64, Shape.of(2));
        a.setDouble(0, 0x1p63 + 4096);
        a.setDouble(1, 0x1p65);
        assertEquals(Long.MIN_VALUE + 4096, a.getLong(0));
        assertEquals(-1L, a.getLong(1));
        assertEquals(0x1p63 + 4096, a.getDouble(0));
        assertEquals((float) 0x1p64, NdArray.ofLongs(DType.U64, Shape.of(1), big).cast(DType.F32).getFloat(0));
    }
}
