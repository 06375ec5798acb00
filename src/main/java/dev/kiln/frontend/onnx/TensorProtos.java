package dev.kiln.frontend.onnx;

import com.google.protobuf.ByteString;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.frontend.onnx.proto.Onnx.StringStringEntryProto;
import dev.kiln.frontend.onnx.proto.Onnx.TensorProto;
import dev.kiln.ir.DType;
import dev.kiln.ir.Half;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Converts ONNX TensorProtos to NdArrays and back, with every storage form ONNX allows and strict checks. */
public final class TensorProtos {
    private TensorProtos() {}

    /**
     * Decodes a tensor. {@code baseDir} is the model's folder, against which external data is resolved
     * (null forbids external data); {@code where} names the file for messages.
     */
    public static NdArray decode(TensorProto t, Path baseDir, String where, long maxBytes) {
        String name = t.getName().isEmpty() ? "(unnamed)" : t.getName();
        Location at = Location.file(where);
        DType dt = DType.fromOnnx(t.getDataType());
        if (dt == null) throw new KilnException(Code.UNKNOWN_DTYPE, at, name, onnxTypeName(t.getDataType()));
        long[] dims = new long[t.getDimsCount()];
        long numel = 1;
        for (int i = 0; i < dims.length; i++) {
            dims[i] = t.getDims(i);
            if (dims[i] < 0) throw new KilnException(Code.BAD_TENSOR_DATA, at, name, "negative dimension " + dims[i]);
            // why: an empty tensor passes the size limit whatever its other dimensions, but a Shape holds ints only
            if (dims[i] > Integer.MAX_VALUE) throw new KilnException(Code.BAD_TENSOR_DATA, at, name, "dimension " + dims[i] + " is larger than 2^31-1");
            if (dims[i] != 0 && numel > Long.MAX_VALUE / dims[i]) throw new KilnException(Code.TENSOR_TOO_LARGE, at, name, "more than 2^63", maxBytes);
            numel *= dims[i];
        }
        long bytes = numel > Long.MAX_VALUE / dt.byteSize() ? Long.MAX_VALUE : numel * dt.byteSize();
        if (bytes > maxBytes || numel > Integer.MAX_VALUE - 8)
            throw new KilnException(Code.TENSOR_TOO_LARGE, at, name, bytes, maxBytes).withHint("raise the limit with --max-tensor-bytes if this model is genuine");
        Shape shape = Shape.of(dims);
        int n = (int) numel;
        ByteString raw = t.getRawData();
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            raw = readExternal(t, baseDir, at, name, (long) n * dt.byteSize());
        }
        if (!raw.isEmpty() || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            long want = (long) n * dt.byteSize();
            if (raw.size() != want)
                throw new KilnException(Code.BAD_TENSOR_DATA, at, name, "raw data has " + raw.size() + " bytes, shape " + shape + " of " + dt + " needs " + want);
            return fromRaw(dt, shape, raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
        }
        return fromTyped(t, dt, shape, n, at, name);
    }

    private static NdArray fromRaw(DType dt, Shape shape, ByteBuffer b) {
        int n = shape.size();
        switch (dt) {
            case F32: {
                float[] f = new float[n];
                b.asFloatBuffer().get(f);
                return NdArray.ofFloats(shape, f);
            }
            case F16: {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) f[i] = Half.fromBits(b.getShort());
                return NdArray.ofFloats(DType.F16, shape, f);
            }
            case F64: {
                double[] d = new double[n];
                b.asDoubleBuffer().get(d);
                return NdArray.ofDoubles(shape, d);
            }
            default: {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) {
                    switch (dt) {
                        case I8: l[i] = b.get(); break;
                        case U8: case BOOL: l[i] = b.get() & 0xFF; break;
                        case I16: l[i] = b.getShort(); break;
                        case U16: l[i] = b.getShort() & 0xFFFF; break;
                        case I32: l[i] = b.getInt(); break;
                        case U32: l[i] = b.getInt() & 0xFFFFFFFFL; break;
                        default: l[i] = b.getLong(); break;
                    }
                }
                return NdArray.ofLongs(dt, shape, l);
            }
        }
    }

    private static NdArray fromTyped(TensorProto t, DType dt, Shape shape, int n, Location at, String name) {
        int have;
        switch (dt) {
            case F32: have = t.getFloatDataCount(); break;
            case F64: have = t.getDoubleDataCount(); break;
            case I64: have = t.getInt64DataCount(); break;
            case U32: have = t.getUint64DataCount(); break;
            default: have = t.getInt32DataCount(); break;
        }
        if (have != n)
            throw new KilnException(Code.BAD_TENSOR_DATA, at, name, "has " + have + " values, shape " + shape + " needs " + n);
        switch (dt) {
            case F32: {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) f[i] = t.getFloatData(i);
                return NdArray.ofFloats(shape, f);
            }
            case F16: {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) f[i] = Half.fromBits((short) t.getInt32Data(i));
                return NdArray.ofFloats(DType.F16, shape, f);
            }
            case F64: {
                double[] d = new double[n];
                for (int i = 0; i < n; i++) d[i] = t.getDoubleData(i);
                return NdArray.ofDoubles(shape, d);
            }
            default: {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) {
                    l[i] = dt == DType.I64 ? t.getInt64Data(i) : dt == DType.U32 ? t.getUint64Data(i) : t.getInt32Data(i);
                }
                return NdArray.ofLongs(dt, shape, l);
            }
        }
    }

    private static ByteString readExternal(TensorProto t, Path baseDir, Location at, String name, long expected) {
        if (baseDir == null) throw new KilnException(Code.EXTERNAL_DATA, at, name, "is not allowed here");
        String location = null;
        long offset = 0, length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            try {
                switch (e.getKey()) {
                    case "location": location = e.getValue(); break;
                    case "offset": offset = Long.parseLong(e.getValue()); break;
                    case "length": length = Long.parseLong(e.getValue()); break;
                    default: break;
                }
            } catch (NumberFormatException ex) {
                throw new KilnException(Code.EXTERNAL_DATA, at, name, e.getKey() + " '" + e.getValue() + "' is not a number");
            }
        }
        if (location == null || location.isEmpty()) throw new KilnException(Code.EXTERNAL_DATA, at, name, "has no location");
        Path rel = Path.of(location);
        if (rel.isAbsolute() || location.startsWith("/") || location.startsWith("\\"))
            throw new KilnException(Code.EXTERNAL_DATA, at, name, "location '" + location + "' is absolute; it must be a path inside the model's folder");
        try {
            Path base = baseDir.toRealPath();
            Path file = base.resolve(rel).normalize();
            if (!file.startsWith(base))
                throw new KilnException(Code.EXTERNAL_DATA, at, name, "location '" + location + "' points outside the model's folder");
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.exists(file))
                throw new KilnException(Code.EXTERNAL_DATA, at, name, "file '" + location + "' does not exist next to the model");
            Path real = file.toRealPath();
            if (!real.startsWith(base))
                throw new KilnException(Code.EXTERNAL_DATA, at, name, "location '" + location + "' is a link that leads outside the model's folder");
            long size = Files.size(real);
            if (length < 0) length = size - offset;
            if (offset < 0 || length < 0 || offset > size || length > size - offset)
                throw new KilnException(Code.EXTERNAL_DATA, at, name, "offset " + offset + " and length " + length + " do not fit in '" + location + "' (" + size + " bytes)");
            if (length != expected)
                throw new KilnException(Code.EXTERNAL_DATA, at, name, "length " + length + " but the tensor needs " + expected + " bytes");
            byte[] data = new byte[(int) length];
            try (RandomAccessFile f = new RandomAccessFile(real.toFile(), "r")) {
                f.seek(offset);
                f.readFully(data);
            }
            return ByteString.copyFrom(data);
        } catch (IOException e) {
            throw new KilnException(Code.EXTERNAL_DATA, at, name, "cannot be read: " + e.getMessage());
        }
    }

    /** Encodes an array as a TensorProto with raw little-endian data. */
    public static TensorProto encode(NdArray a, String name) {
        DType dt = a.dtype();
        int n = a.size();
        ByteBuffer b = ByteBuffer.allocate(n * dt.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (dt) {
                case F32: b.putFloat(a.getFloat(i)); break;
                case F16: b.putShort(Half.toBits(a.getFloat(i))); break;
                case F64: b.putDouble(a.getDouble(i)); break;
                case I8: case U8: case BOOL: b.put((byte) a.getLong(i)); break;
                case I16: case U16: b.putShort((short) a.getLong(i)); break;
                case I32: case U32: b.putInt((int) a.getLong(i)); break;
                default: b.putLong(a.getLong(i)); break;
            }
        }
        b.flip();
        TensorProto.Builder t = TensorProto.newBuilder().setDataType(dt.onnxCode()).setRawData(ByteString.copyFrom(b));
        if (name != null) t.setName(name);
        for (int d : a.shape().dims()) t.addDims(d);
        return t.build();
    }

    /** Reads a serialized TensorProto file ({@code input_0.pb}). */
    public static NdArray readPb(Path file, long maxBytes) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new KilnException(Code.FILE_NOT_FOUND, Location.file(file.toString()), file + " (" + e.getMessage() + ")");
        }
        TensorProto t;
        try {
            t = TensorProto.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new KilnException(Code.BAD_TENSOR_DATA, Location.file(file.toString()), file.getFileName(), "not a valid TensorProto: " + e.getMessage());
        }
        return decode(t, null, file.toString(), maxBytes);
    }

    /** ONNX's name for a data-type code, for messages. */
    public static String onnxTypeName(int code) {
        TensorProto.DataType d = TensorProto.DataType.forNumber(code);
        return d == null ? "#" + code : d.name();
    }
}
