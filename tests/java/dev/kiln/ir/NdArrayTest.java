package dev.kiln.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.io.Npy;
import dev.kiln.ops.Broadcast;
import org.junit.jupiter.api.Test;

class NdArrayTest {
    @Test
    void integerStorageWrapsLikeC() {
        NdArray a = NdArray.ofLongs(DType.I8, Shape.of(3), 127, 128, -129);
        assertArrayEquals(new long[] {127, -128, 127}, a.longs());
        NdArray u = NdArray.ofLongs(DType.U8, Shape.of(2), 256, -1);
        assertArrayEquals(new long[] {0, 255}, u.longs());
    }

    @Test
    void castTruncatesTowardZero() {
        NdArray f = NdArray.ofFloats(Shape.of(4), 1.9f, -1.9f, 300f, Float.NaN);
        assertArrayEquals(new long[] {1, -1, 300, 0}, f.cast(DType.I32).longs());
        assertArrayEquals(new long[] {1, 1, 1, 1}, f.cast(DType.BOOL).longs());
    }

    @Test
    void halfRoundsToNearestEven() {
        assertEquals(1.0f, Half.round(1.0f + 1f / 4096));
        assertEquals(65504f, Half.round(65504f));
        assertEquals(Float.POSITIVE_INFINITY, Half.round(65520f));
        assertEquals(5.9604645e-8f, Half.round(5.9604645e-8f));
        for (int bits = 0; bits < 0x7C00; bits += 37) assertEquals(bits, Half.toBits(Half.fromBits((short) bits)));
    }

    @Test
    void broadcastShapesAndIndexMaps() {
        assertEquals(Shape.of(2, 3, 4), Broadcast.shape(Shape.of(3, 1), Shape.of(2, 1, 4)));
        assertThrows(IllegalArgumentException.class, () -> Broadcast.shape(Shape.of(3), Shape.of(4)));
        assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2}, Broadcast.indexMap(Shape.of(3, 1), Shape.of(3, 2)));
        assertArrayEquals(new int[] {0, 1, 0, 1, 0, 1}, Broadcast.indexMap(Shape.of(2), Shape.of(3, 2)));
    }

    @Test
    void npyRoundTripsEveryType() {
        for (DType t : DType.values()) {
            NdArray a = NdArray.zeros(t, Shape.of(2, 3));
            for (int i = 0; i < a.size(); i++) a.setLong(i, i - 2);
            NdArray b = Npy.parse(Npy.toBytes(a), "mem", 1 << 20);
            // why: NumPy lacks bf16, float8, float4 and sub-byte integers; they are written widened, exactly
            assertEquals(a.cast(Npy.storedAs(t)), b, t.toString());
            assertEquals(a, b.cast(t), t.toString());
        }
        NdArray s = NdArray.scalar(DType.F32, 2.5);
        assertEquals(s, Npy.parse(Npy.toBytes(s), "mem", 1 << 20));
    }

    @Test
    void npyRejectsDamagedFiles() {
        byte[] good = Npy.toBytes(NdArray.ofFloats(Shape.of(4), 1, 2, 3, 4));
        assertThrows(dev.kiln.diag.KilnException.class, () -> Npy.parse(java.util.Arrays.copyOf(good, good.length - 1), "m", 1 << 20));
        assertThrows(dev.kiln.diag.KilnException.class, () -> Npy.parse("hello world!".getBytes(), "m", 1 << 20));
    }
}
