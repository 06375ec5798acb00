package dev.kiln.backend.opencl;

import dev.kiln.ir.NdArray;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Little-endian bytes of tensors, as OpenCL buffers hold them (every device Kiln targets is little-endian). */
public final class ClBytes {
    private ClBytes() {}

    /** The elements of {@code a} as little-endian bytes of its dtype. */
    public static byte[] of(NdArray a) {
        int n = a.size();
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact((long) n * a.dtype().byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (a.dtype()) {
                case F32: b.putFloat(a.getFloat(i)); break;
                case F64: b.putDouble(a.getDouble(i)); break;
                case I8: case U8: case BOOL: b.put((byte) a.getLong(i)); break;
                case I16: case U16: b.putShort((short) a.getLong(i)); break;
                case I32: case U32: b.putInt((int) a.getLong(i)); break;
                case I64: case U64: b.putLong(a.getLong(i)); break;
                default: throw new IllegalArgumentException("cannot store " + a.dtype() + " tensors");
            }
        }
        return b.array();
    }
}
