package dev.kiln.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SafeTensors: a file laid out by hand after the format description, round trips, and corrupt files. */
class SafeTensorsTest {
    /**
     * Written with Python's struct and json (no safetensors library): __metadata__ {format: pt},
     * fc.weight F32 [[1.5,-2],[0,3]], idx I64 [7,-8,9], u U8 [255,1].
     */
    private static final String HAND_MADE = "6gAAAAAAAAB7Il9fbWV0YWRhdGFfXyI6IHsiZm9ybWF0IjogInB0In0sICJmYy53ZWlnaHQiOiB7ImR0eXBlIjogIkYzMiIsICJzaGFwZSI6IFsyLCAyXSwgImRhdGFfb2Zmc2V0cyI6IFswLCAxNl19LCAiaWR4IjogeyJkdHlwZSI6ICJJNjQiLCAic2hhcGUiOiBbM10sICJkYXRhX29mZnNldHMiOiBbMTYsIDQwXX0sICJ1IjogeyJkdHlwZSI6ICJVOCIsICJzaGFwZSI6IFsyXSwgImRhdGFfb2Zmc2V0cyI6IFs0MCwgNDJdfX0AAMA/AAAAwAAAAAAAAEBABwAAAAAAAAD4/////////wkAAAAAAAAA/wE=";

    @TempDir Path dir;

    @Test
    void readsAFileWrittenAfterTheFormatDescription() throws Exception {
        Path p = dir.resolve("m.safetensors");
        Files.write(p, Base64.getDecoder().decode(HAND_MADE));
        Map<String, NdArray> m = SafeTensors.read(p, 1 << 20);
        assertEquals(List.of("fc.weight", "idx", "u"), List.copyOf(m.keySet()), "__metadata__ is not a tensor");
        assertEquals(Shape.of(2, 2), m.get("fc.weight").shape());
        assertArrayEquals(new float[] {1.5f, -2f, 0f, 3f}, m.get("fc.weight").floats());
        assertEquals(DType.I64, m.get("idx").dtype());
        assertArrayEquals(new long[] {7, -8, 9}, m.get("idx").longs());
        assertArrayEquals(new long[] {255, 1}, m.get("u").longs());
    }

    @Test
    void roundTripsEveryType() throws Exception {
        Map<String, NdArray> in = new LinkedHashMap<>();
        in.put("f32", NdArray.ofFloats(Shape.of(2), 1.5f, -0.25f));
        in.put("f16", NdArray.ofFloats(DType.F16, Shape.of(2), new float[] {0.5f, -3f}));
        in.put("f64", NdArray.ofDoubles(Shape.of(1), Math.PI));
        in.put("i8", NdArray.ofLongs(DType.I8, Shape.of(2), -128, 127));
        in.put("u8", NdArray.ofLongs(DType.U8, Shape.of(2), 0, 255));
        in.put("i16", NdArray.ofLongs(DType.I16, Shape.of(2), -32768, 32767));
        in.put("i32", NdArray.ofLongs(DType.I32, Shape.of(1, 2), Integer.MIN_VALUE, Integer.MAX_VALUE));
        in.put("i64", NdArray.ofLongs(DType.I64, Shape.of(1), Long.MIN_VALUE));
        in.put("bool", NdArray.ofLongs(DType.BOOL, Shape.of(3), 1, 0, 1));
        in.put("scalar", NdArray.ofFloats(Shape.scalar(), 7f));
        byte[] bytes = SafeTensors.toBytes(in);
        long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + headerLen) % 8, "data starts 8-byte aligned");
        Map<String, NdArray> out = SafeTensors.parse(bytes, "mem", 1 << 20);
        assertEquals(in.size(), out.size());
        for (String k : in.keySet()) {
            assertEquals(in.get(k).type(), out.get(k).type(), k);
            assertArrayEquals(in.get(k).toLongArray(), out.get(k).toLongArray(), k);
            assertArrayEquals(in.get(k).toDoubleArray(), out.get(k).toDoubleArray(), k);
        }
    }

    @Test
    void truncatedDataIsAClearError() {
        byte[] whole = Base64.getDecoder().decode(HAND_MADE);
        KilnException e = assertThrows(KilnException.class, () -> SafeTensors.parse(Arrays.copyOf(whole, whole.length - 3), "t.safetensors", 1 << 20));
        assertEquals(Code.BAD_ARCHIVE, e.code());
        assertTrue(e.getMessage().contains("t.safetensors") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void badHeadersAreClearErrors() {
        assertEquals(Code.BAD_ARCHIVE, assertThrows(KilnException.class, () -> SafeTensors.parse(new byte[5], "s", 100)).code());
        byte[] hugeLen = new byte[16];
        hugeLen[0] = (byte) 0xFF;
        hugeLen[1] = (byte) 0xFF;
        assertEquals(Code.BAD_ARCHIVE, assertThrows(KilnException.class, () -> SafeTensors.parse(hugeLen, "s", 100)).code());
        KilnException json = assertThrows(KilnException.class, () -> SafeTensors.parse(withHeader("{\"a\": {\"dtype\": \"F32\", "), "s", 100));
        assertTrue(json.getMessage().contains("JSON"), json.getMessage());
        KilnException dt = assertThrows(KilnException.class, () -> SafeTensors.parse(withHeader("{\"a\": {\"dtype\": \"BF16\", \"shape\": [1], \"data_offsets\": [0, 2]}}"), "s", 100));
        assertTrue(dt.getMessage().contains("BF16"), dt.getMessage());
        KilnException size = assertThrows(KilnException.class, () -> SafeTensors.parse(withHeader("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}"), "s", 100));
        assertTrue(size.getMessage().contains("needs 8"), size.getMessage());
    }

    private static byte[] withHeader(String json) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }
}
