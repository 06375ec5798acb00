package dev.kiln.io;

import dev.kiln.ir.DType;
import dev.kiln.ir.Half;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Tensor elements as packed bytes, as .npy and .safetensors files hold them: one definition of the element codecs. */
final class RawTensors {
    private RawTensors() {}

    /** The array of type {@code dt} and {@code shape} whose elements are read in order from {@code data} (its byte order). */
    static NdArray decode(DType dt, Shape shape, ByteBuffer data) {
        NdArray a = NdArray.zeros(dt, shape);
        int n = a.size();
        for (int i = 0; i < n; i++) {
            switch (dt) {
                case F32: a.floats()[i] = data.getFloat(); break;
                case F64: a.doubles()[i] = data.getDouble(); break;
                case F16: a.floats()[i] = Half.fromBits(data.getShort()); break;
                case I8: a.longs()[i] = data.get(); break;
                case U8: a.longs()[i] = data.get() & 0xFF; break;
                case BOOL: a.longs()[i] = data.get() != 0 ? 1 : 0; break;
                case I16: a.longs()[i] = data.getShort(); break;
                case U16: a.longs()[i] = data.getShort() & 0xFFFF; break;
                case I32: a.longs()[i] = data.getInt(); break;
                case U32: a.longs()[i] = data.getInt() & 0xFFFFFFFFL; break;
                default: a.longs()[i] = data.getLong(); break;
            }
        }
        return a;
    }

    /** The elements of {@code a} packed little-endian. */
    static byte[] encodeLittleEndian(NdArray a) {
        ByteBuffer b = ByteBuffer.allocate(a.size() * a.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < a.size(); i++) {
            switch (a.dtype()) {
                case F32: b.putFloat(a.getFloat(i)); break;
                case F64: b.putDouble(a.getDouble(i)); break;
                case F16: b.putShort(Half.toBits(a.getFloat(i))); break;
                case I8: case U8: case BOOL: b.put((byte) a.getLong(i)); break;
                case I16: case U16: b.putShort((short) a.getLong(i)); break;
                case I32: case U32: b.putInt((int) a.getLong(i)); break;
                default: b.putLong(a.getLong(i)); break;
            }
        }
        return b.array();
    }
}
