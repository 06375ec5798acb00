package dev.kiln.io;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads and writes NumPy {@code .npy} files (format versions 1.0 to 3.0, C order). */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** Reads a file; errors name the file and what is wrong with it. */
    public static NdArray read(Path file, long maxBytes) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new KilnException(Code.FILE_NOT_FOUND, Location.file(file.toString()), file + " (" + e.getMessage() + ")");
        }
        return parse(bytes, file.toString(), maxBytes);
    }

    /** Parses the bytes of a .npy file; {@code where} names it in messages. */
    public static NdArray parse(byte[] bytes, String where, long maxBytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10) throw bad(where, "file is too short to be .npy");
        for (int i = 0; i < MAGIC.length; i++) if (bytes[i] != MAGIC[i]) throw bad(where, "no .npy magic (\\x93NUMPY) at the start");
        int major = bytes[6];
        int headerLen;
        int offset;
        if (major == 1) {
            headerLen = b.getShort(8) & 0xFFFF;
            offset = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) throw bad(where, "truncated header");
            headerLen = b.getInt(8);
            offset = 12;
        } else {
            throw bad(where, "unsupported .npy version " + major);
        }
        if (headerLen < 0 || (long) offset + headerLen > bytes.length) throw bad(where, "header length " + headerLen + " runs past the end of the file");
        String header = new String(bytes, offset, headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) throw bad(where, "header is not a NumPy array header: " + header.strip());
        if (f.group(1).equals("True")) throw bad(where, "Fortran-order arrays are not supported; save with np.ascontiguousarray");
        boolean big = d.group(1).equals(">");
        // why: a hostile header may carry an element size of any length, which Integer.parseInt rejects with an exception
        DType dt = d.group(3).length() > 2 ? null : dtypeOf(d.group(2), Integer.parseInt(d.group(3)));
        if (dt == null) throw bad(where, "element type '" + d.group(2) + d.group(3) + "' is not supported");
        List<Long> dims = new ArrayList<>();
        for (String p : s.group(1).split(",")) {
            String t = p.strip();
            if (t.isEmpty()) continue;
            try {
                long v = Long.parseLong(t.endsWith("L") ? t.substring(0, t.length() - 1) : t);
                if (v < 0) throw bad(where, "negative dimension in shape (" + s.group(1) + ")");
                // why: an empty array passes the size limit whatever its other dimensions, but a Shape holds ints only
                if (v > Integer.MAX_VALUE) throw bad(where, "dimension " + v + " in shape (" + s.group(1) + ") is larger than 2^31-1");
                dims.add(v);
            } catch (NumberFormatException e) {
                throw bad(where, "shape (" + s.group(1) + ") is not a tuple of integers");
            }
        }
        long numel = 1;
        for (long v : dims) {
            if (v != 0 && numel > Long.MAX_VALUE / v) throw bad(where, "shape is too large");
            numel *= v;
        }
        long need = numel * dt.byteSize();
        if (numel > Integer.MAX_VALUE - 8 || need > maxBytes) throw new KilnException(Code.TENSOR_TOO_LARGE, Location.file(where), where, need, maxBytes);
        int dataStart = offset + headerLen;
        if (bytes.length - dataStart != need) throw bad(where, "data has " + (bytes.length - dataStart) + " bytes, the header's shape needs " + need);
        long[] dl = new long[dims.size()];
        for (int i = 0; i < dl.length; i++) dl[i] = dims.get(i);
        Shape shape = Shape.of(dl);
        ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, (int) need).slice().order(big ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        return RawTensors.decode(dt, shape, data);
    }

    private static DType dtypeOf(String kind, int size) {
        switch (kind) {
            case "f": return size == 4 ? DType.F32 : size == 8 ? DType.F64 : size == 2 ? DType.F16 : null;
            case "i": return size == 1 ? DType.I8 : size == 2 ? DType.I16 : size == 4 ? DType.I32 : size == 8 ? DType.I64 : null;
            case "u": return size == 1 ? DType.U8 : size == 2 ? DType.U16 : size == 4 ? DType.U32 : size == 8 ? DType.U64 : null;
            case "b": return size == 1 ? DType.BOOL : null;
            default: return null;
        }
    }

    private static String descr(DType t) {
        switch (t) {
            case F32: return "<f4";
            case F64: return "<f8";
            case F16: return "<f2";
            case I8: return "|i1";
            case U8: return "|u1";
            case BOOL: return "|b1";
            case I16: return "<i2";
            case U16: return "<u2";
            case I32: return "<i4";
            case U32: return "<u4";
            case U64: return "<u8";
            default: return "<i8";
        }
    }

    /**
     * The type an array of type {@code t} is written as: NumPy has no bf16, float8, float4 or sub-byte integers, so
     * those are widened, exactly, to f32 (the floats), i8 (i4, i2) or u8 (u4, u2); every other type is itself.
     */
    public static DType storedAs(DType t) {
        if (t.isSmallFloat()) return DType.F32;
        if (t.isSubByte()) return t.isSigned() ? DType.I8 : DType.U8;
        return t;
    }

    /** The .npy (version 1.0) bytes of an array (of its {@link #storedAs} type). */
    public static byte[] toBytes(NdArray a) {
        if (storedAs(a.dtype()) != a.dtype()) a = a.cast(storedAs(a.dtype()));
        StringBuilder shape = new StringBuilder("(");
        int[] dims = a.shape().dims();
        for (int i = 0; i < dims.length; i++) shape.append(dims[i]).append(dims.length == 1 || i < dims.length - 1 ? ", " : "");
        shape.append(')');
        String h = "{'descr': '" + descr(a.dtype()) + "', 'fortran_order': False, 'shape': " + shape.toString().replace(", )", ",)") + ", }";
        int total = 10 + h.length() + 1;
        int pad = (64 - total % 64) % 64;
        StringBuilder hb = new StringBuilder(h);
        for (int i = 0; i < pad; i++) hb.append(' ');
        hb.append('\n');
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        out.write(1);
        out.write(0);
        out.write(hb.length() & 0xFF);
        out.write((hb.length() >> 8) & 0xFF);
        out.writeBytes(hb.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(RawTensors.encodeLittleEndian(a));
        return out.toByteArray();
    }

    private static KilnException bad(String where, String what) {
        return new KilnException(Code.BAD_NPY, Location.file(where), where + ": " + what);
    }
}
