package dev.kiln.backend.opencl;

import dev.kiln.ir.NdArray;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Little-endian bytes of tensors, as OpenCL buffers hold them (every device Kiln targets is little-endian). */
public final class ClBytes {
    private ClBytes() {}

    /**
     * The elements of {@code a} as little-endian bytes of its dtype (narrow floats as their bits, the sub-byte types
     * packed two or four to a byte, {@link dev.kiln.kernels.PackedConstants#bytes}).
     */
    public static byte[] of(NdArray a) {
        if (a.dtype().isSubByte()) return dev.kiln.kernels.PackedConstants.bytes(a);
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
                case F16: b.putShort(dev.kiln.ir.Half.toBits(a.getFloat(i))); break;
                // why: a stored value is exact in its type, so encoding it (saturating) gives back its own bits
                case BF16: b.putShort((short) dev.kiln.ir.SmallFloats.encode(a.dtype(), a.getFloat(i), true)); break;
                case F8E4M3FN: case F8E4M3FNUZ: case F8E5M2: case F8E5M2FNUZ: case F8E8M0:
                    b.put((byte) dev.kiln.ir.SmallFloats.encode(a.dtype(), a.getFloat(i), true));
                    break;
                default: throw new IllegalArgumentException("cannot store " + a.dtype() + " tensors");
            }
        }
        return b.array();
    }
}
