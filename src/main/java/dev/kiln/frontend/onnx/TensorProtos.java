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
import dev.kiln.ir.SmallFloats;
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
        if (t.getDimsCount() > ImportOptions.MAX_RANK)
            throw new KilnException(Code.BAD_TENSOR_DATA, at, name, "rank " + t.getDimsCount() + " is more than Kiln's limit of " + ImportOptions.MAX_RANK);
        long[] dims = new long[t.getDimsCount()];
        long numel = 1;
        for (int i = 0; i < dims.length; i++) {
            dims[i] = t.getDims(i);
            if (dims[i] < 0) throw new KilnException(Code.BAD_TENSOR_DATA, at, name, "negative dimension " + dims[i]);
            // why: an empty tensor may still claim a dimension no Java array index reaches
            if (dims[i] > Integer.MAX_VALUE) throw new KilnException(Code.BAD_TENSOR_DATA, at, name, "dimension " + dims[i] + " is larger than Kiln supports (2^31 - 1)");
            if (dims[i] != 0 && numel > Long.MAX_VALUE / dims[i]) throw new KilnException(Code.TENSOR_TOO_LARGE, at, name, "more than 2^63", maxBytes);
            numel *= dims[i];
        }
        long bytes = numel > Long.MAX_VALUE / dt.byteSize() ? Long.MAX_VALUE : numel * dt.byteSize(); // why: unpacked in memory
        if (bytes > maxBytes || numel > Integer.MAX_VALUE - 8)
            throw new KilnException(Code.TENSOR_TOO_LARGE, at, name, bytes, maxBytes).withHint("raise the limit with --max-tensor-bytes if this model is genuine");
        Shape shape = Shape.of(dims);
        int n = (int) numel;
        ByteString raw = t.getRawData();
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            raw = readExternal(t, baseDir, at, name, rawBytes(dt, n));
        }
        if (!raw.isEmpty() || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            long want = rawBytes(dt, n);
            if (raw.size() != want)
                throw new KilnException(Code.BAD_TENSOR_DATA, at, name, "raw data has " + raw.size() + " bytes, shape " + shape + " of " + dt + " needs " + want);
            return fromRaw(dt, shape, raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
        }
        return fromTyped(t, dt, shape, n, at, name);
    }

    /** Bytes of raw data {@code n} elements of {@code dt} take: packed for the sub-byte types. */
    private static long rawBytes(DType dt, int n) {
        return dt.isSubByte() ? dt.packedBytes(n) : (long) n * dt.byteSize();
    }

    /** The {@code n} codes of a sub-byte type packed low bits first into the bytes {@code byteAt(0..)}. */
    private static long[] unpack(DType dt, int n, java.util.function.IntUnaryOperator byteAt) {
        int bits = dt.bits(), per = 8 / bits, mask = (1 << bits) - 1;
        long[] codes = new long[n];
        for (int i = 0; i < n; i++) codes[i] = (byteAt.applyAsInt(i / per) >> ((i % per) * bits)) & mask;
        return codes;
    }

    /** A tensor of {@code dt} from one code per element: the bit pattern of a small float, or the integer's bits. */
    private static NdArray fromCodes(DType dt, Shape shape, long[] codes) {
        if (!dt.isFloat()) return NdArray.ofLongs(dt, shape, codes);
        float[] f = new float[codes.length];
        for (int i = 0; i < f.length; i++) f[i] = SmallFloats.decode(dt, (int) codes[i]);
        return NdArray.ofFloats(dt, shape, f);
    }

    private static NdArray fromRaw(DType dt, Shape shape, ByteBuffer b) {
        int n = shape.size();
        if (dt.isSubByte()) return fromCodes(dt, shape, unpack(dt, n, i -> b.get(i) & 0xFF));
        if (dt.isSmallFloat()) {
            long[] codes = new long[n];
            for (int i = 0; i < n; i++) codes[i] = dt.byteSize() == 2 ? b.getShort() & 0xFFFF : b.get() & 0xFF;
            return fromCodes(dt, shape, codes);
        }
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
            case U32: case U64: have = t.getUint64DataCount(); break;
            default: have = t.getInt32DataCount(); break;
        }
        // why: ONNX packs two 4-bit (four 2-bit) values into each int32_data entry, one byte's worth
        long need = dt.isSubByte() ? dt.packedBytes(n) : n;
        if (have != need)
            throw new KilnException(Code.BAD_TENSOR_DATA, at, name, "has " + have + " values, shape " + shape + " needs " + need
                    + (dt.isSubByte() ? " (" + dt + " packs " + 8 / dt.bits() + " values into each int32_data entry)" : ""));
        if (dt.isSubByte()) return fromCodes(dt, shape, unpack(dt, n, i -> t.getInt32Data(i) & 0xFF));
        if (dt.isSmallFloat()) {
            long[] codes = new long[n];
            for (int i = 0; i < n; i++) codes[i] = t.getInt32Data(i) & (dt.byteSize() == 2 ? 0xFFFF : 0xFF);
            return fromCodes(dt, shape, codes);
        }
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
                    l[i] = dt == DType.I64 ? t.getInt64Data(i) : dt == DType.U32 || dt == DType.U64 ? t.getUint64Data(i) : t.getInt32Data(i);
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
                    case "length":
                        length = Long.parseLong(e.getValue());
                        if (length < 0) throw new NumberFormatException();
                        break;
                    default: break;
                }
            } catch (NumberFormatException ex) {
                throw new KilnException(Code.EXTERNAL_DATA, at, name, e.getKey() + " '" + e.getValue() + "' is not a number of bytes");
            }
        }
        if (location == null || location.isEmpty()) throw new KilnException(Code.EXTERNAL_DATA, at, name, "has no location");
        Path rel;
        try {
            rel = Path.of(location);
        } catch (java.nio.file.InvalidPathException e) {
            throw new KilnException(Code.EXTERNAL_DATA, at, name, "location '" + location.replace("\0", "\\0") + "' is not a valid path: " + e.getReason());
        }
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
            if (offset < 0 || offset > size)
                throw new KilnException(Code.EXTERNAL_DATA, at, name, "offset " + offset + " is outside '" + location + "' (" + size + " bytes)");
            if (length < 0) length = size - offset;
            if (length > size - offset)
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

    /** The bit pattern of element {@code i}: a small float's code, or an integer's low bits. */
    private static int code(NdArray a, int i) {
        DType dt = a.dtype();
        return dt.isFloat() ? SmallFloats.encode(dt, a.getFloat(i), true) : (int) a.getLong(i) & ((1 << dt.bits()) - 1);
    }

    /** Encodes an array as a TensorProto with raw little-endian data (sub-byte types packed, low bits first). */
    public static TensorProto encode(NdArray a, String name) {
        DType dt = a.dtype();
        int n = a.size();
        ByteBuffer b = ByteBuffer.allocate((int) rawBytes(dt, n)).order(ByteOrder.LITTLE_ENDIAN);
        if (dt.isSubByte()) {
            int per = 8 / dt.bits();
            for (int i = 0; i < n; i++) b.put(i / per, (byte) (b.get(i / per) | code(a, i) << ((i % per) * dt.bits())));
            b.position(b.limit());
        }
        for (int i = 0; i < n && !dt.isSubByte(); i++) {
            if (dt.isSmallFloat()) {
                if (dt.byteSize() == 2) b.putShort((short) code(a, i));
                else b.put((byte) code(a, i));
                continue;
            }
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
            long size = Files.size(file);
            // why: the tensor's data cannot exceed the limit, so a much larger file is refused before it is read
            if (size - (1 << 20) > maxBytes || size > Integer.MAX_VALUE - 8)
                throw new KilnException(Code.TENSOR_TOO_LARGE, Location.file(file.toString()), file.getFileName(), size, maxBytes)
                        .withHint("raise the limit with --max-tensor-bytes if this tensor is genuine");
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

    /** ONNX's OptionalProto element-type code of a tensor value. */
    private static final int OPTIONAL_TENSOR = 1;

    /**
     * Reads a file that holds ONNX's OptionalProto (test data of an optional-typed input or output; the caller knows
     * the slot is one, since the bytes alone do not tell it from a sequence) and returns the tensor inside. An empty
     * optional is an error: Kiln compiles an optional tensor as a tensor the caller always passes.
     */
    public static NdArray readOptionalPb(Path file, long maxBytes) {
        dev.kiln.frontend.onnx.proto.Onnx.OptionalProto o;
        try {
            o = dev.kiln.frontend.onnx.proto.Onnx.OptionalProto.parseFrom(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new KilnException(Code.FILE_NOT_FOUND, Location.file(file.toString()), file + " (" + e.getMessage() + ")");
        }
        if (!o.hasTensorValue()) {
            String why = o.getElemType() == OPTIONAL_TENSOR || o.getElemType() == 0
                    ? "an empty optional; Kiln compiles an optional tensor as a tensor the caller always passes, so it cannot be absent"
                    : "an optional of element kind " + o.getElemType() + ", not a tensor";
            throw new KilnException(Code.BAD_TENSOR_DATA, Location.file(file.toString()), file.getFileName(), why);
        }
        return decode(o.getTensorValue(), null, file.toString(), maxBytes);
    }

    /** ONNX's name for a data-type code, for messages. */
    public static String onnxTypeName(int code) {
        TensorProto.DataType d = TensorProto.DataType.forNumber(code);
        return d == null ? "#" + code : d.name();
    }
}
