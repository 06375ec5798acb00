package dev.kiln.frontend.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kiln.diag.KilnException;
import dev.kiln.frontend.onnx.proto.Onnx.TensorProto;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import org.junit.jupiter.api.Test;

/** Every storage form of issue 19's types: packed raw data, packed int32_data, bit patterns, and the short-data errors. */
class TensorProtosNarrowTest {
    private static NdArray decode(TensorProto t) { return TensorProtos.decode(t, null, "t.pb", 1 << 20); }

    @Test
    void int4RawDataPacksLowNibbleFirst() {
        // 5 values -8, 7, -1, 0, 3: nibbles 8,7 | F,0 | 3,(pad)
        TensorProto t = TensorProto.newBuilder().setDataType(22).addDims(5)
                .setRawData(ByteString.copyFrom(new byte[] {0x78, 0x0F, 0x03})).build();
        NdArray a = decode(t);
        assertEquals(DType.I4, a.dtype());
        assertArrayEquals(new long[] {-8, 7, -1, 0, 3}, a.longs());
        assertEquals(t.getRawData(), TensorProtos.encode(a, null).getRawData());
    }

    @Test
    void uint2Int32DataHoldsFourValuesPerEntry() {
        TensorProto t = TensorProto.newBuilder().setDataType(25).addDims(6).addInt32Data(0xE4).addInt32Data(0x0B).build();
        assertArrayEquals(new long[] {0, 1, 2, 3, 3, 2}, decode(t).longs());
        TensorProto raw = TensorProtos.encode(decode(t), null);
        assertEquals(ByteString.copyFrom(new byte[] {(byte) 0xE4, 0x0B}), raw.getRawData());
    }

    @Test
    void float4AndFloat8AndBf16BitPatterns() {
        NdArray f4 = decode(TensorProto.newBuilder().setDataType(23).addDims(3).setRawData(ByteString.copyFrom(new byte[] {(byte) 0xF1, 0x07})).build());
        assertArrayEquals(new float[] {0.5f, -6f, 6f}, f4.floats());
        NdArray f8 = decode(TensorProto.newBuilder().setDataType(17).addDims(2).addInt32Data(0x38).addInt32Data(0xFE).build());
        assertArrayEquals(new float[] {1f, -448f}, f8.floats());
        NdArray bf = decode(TensorProto.newBuilder().setDataType(16).addDims(1).setRawData(ByteString.copyFrom(new byte[] {(byte) 0xC0, 0x3F})).build());
        assertArrayEquals(new float[] {1.5f}, bf.floats());
        assertEquals(ByteString.copyFrom(new byte[] {(byte) 0xC0, 0x3F}), TensorProtos.encode(bf, null).getRawData());
        NdArray u64 = decode(TensorProto.newBuilder().setDataType(13).addDims(1).addUint64Data(-1L).build());
        assertEquals(0x1p64, u64.getDouble(0));
    }

    @Test
    void shortPackedDataIsRefusedWithTheSizes() {
        KilnException e = assertThrows(KilnException.class, () -> decode(TensorProto.newBuilder().setName("w").setDataType(22).addDims(5)
                .setRawData(ByteString.copyFrom(new byte[2])).build()));
        assertTrue(e.getMessage().contains("raw data has 2 bytes, shape [5] of i4 needs 3"), e.getMessage());
        e = assertThrows(KilnException.class, () -> decode(TensorProto.newBuilder().setName("w").setDataType(21).addDims(5)
                .addInt32Data(1).addInt32Data(2).build()));
        assertTrue(e.getMessage().contains("has 2 values, shape [5] needs 3 (u4 packs 2 values into each int32_data entry)"), e.getMessage());
    }
}
