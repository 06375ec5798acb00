package dev.kiln.backend.c;

import dev.kiln.ir.DType;
import dev.kiln.ir.Half;
import dev.kiln.ir.NdArray;
import java.nio.charset.StandardCharsets;

/**
 * Writes a constant's elements as the bytes of its C type in little-endian order, as lines of one C string
 * literal: a C compiler reads one literal per weight array in a fraction of the time it takes to parse one float
 * literal per element (gcc -O2: 1.4 s instead of 12.6 s of CPU for MobileNetV2's 3.5 M weights).
 *
 * <p>Every target Kiln generates C for is little-endian (x86-64, Arm Cortex-M, the OpenCL devices). Trailing zero
 * bytes are left out (C fills the rest of the array with zeros), and printable characters stand for themselves.
 */
final class WeightBytes {
    private WeightBytes() {}

    /** Bytes per line of the literal (a line holds at most four times as many characters). */
    private static final int PER_LINE = 64;

    /** The text of each byte inside a string literal: the character itself, or a three-digit octal escape. */
    private static final byte[][] TEXT = new byte[256][];

    static {
        for (int b = 0; b < 256; b++) {
            // why: three octal digits end an escape whatever follows; '?' could start a trigraph, '"' and '\' end or escape
            boolean plain = b >= 0x20 && b < 0x7f && b != '"' && b != '\\' && b != '?';
            TEXT[b] = (plain ? String.valueOf((char) b) : String.format("\\%03o", b)).getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    /** Whether the C backend stores {@code t} as bytes (every type whose C type is a whole number of bytes). */
    static boolean stored(DType t) {
        switch (t) {
            case F32: case F64: case F16: case I8: case U8: case BOOL: case I16: case U16: case I32: case U32: case I64: case U64:
                return true;
            default:
                return false;
        }
    }

    /** The little-endian bytes of every element of {@code a} in its C type ({@code f16} as its 16-bit pattern). */
    static byte[] of(NdArray a) {
        DType t = a.dtype();
        int n = a.size(), w = width(t);
        byte[] out = new byte[Math.toIntExact((long) n * w)];
        // why: most weights are f32; one bulk copy of the raw bits instead of a loop over elements
        if (t == DType.F32) {
            java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(a.floats());
            return out;
        }
        for (int i = 0; i < n; i++) {
            long bits;
            switch (t) {
                case F32: bits = Float.floatToRawIntBits(a.getFloat(i)) & 0xFFFFFFFFL; break;
                case F64: bits = Double.doubleToRawLongBits(a.getDouble(i)); break;
                case F16: bits = Half.toBits(a.getFloat(i)) & 0xFFFF; break;
                default: bits = a.getLong(i); break;
            }
            for (int k = 0; k < w; k++) out[i * w + k] = (byte) (bits >>> (8 * k));
        }
        return out;
    }

    /** Bytes of one element of {@code t} in C. */
    static int width(DType t) {
        switch (t) {
            case F16: case I16: case U16: return 2;
            case F32: case I32: case U32: return 4;
            case F64: case I64: case U64: return 8;
            default: return 1;
        }
    }

    /** Length of the literal for {@code bytes}: all of them but the trailing zeros. */
    static int literalLength(byte[] bytes) {
        int n = bytes.length;
        while (n > 0 && bytes[n - 1] == 0) n--;
        return n;
    }

    /** What separates the literal's pieces in the weights file: a new line, indented like the first piece. */
    static final String BETWEEN_PIECES = "\n    ";

    /**
     * The whole literal as text: quoted pieces ({@code "..."}) of {@link #PER_LINE} bytes each, joined by
     * {@link #BETWEEN_PIECES} (C joins adjacent pieces into one literal). One string per weight rather than one
     * per piece: the template writes megabytes of weights as a few hundred strings.
     */
    static String literal(byte[] bytes) {
        int n = literalLength(bytes);
        if (n == 0) return "\"\"";
        byte[] sep = BETWEEN_PIECES.getBytes(StandardCharsets.ISO_8859_1);
        int pieces = (n + PER_LINE - 1) / PER_LINE;
        byte[] out = new byte[4 * n + pieces * (2 + sep.length)];
        int o = 0;
        for (int i = 0; i < n; i += PER_LINE) {
            if (i > 0) {
                System.arraycopy(sep, 0, out, o, sep.length);
                o += sep.length;
            }
            out[o++] = '"';
            for (int k = i, e = Math.min(n, i + PER_LINE); k < e; k++) {
                byte[] t = TEXT[bytes[k] & 0xFF];
                for (byte c : t) out[o++] = c;
            }
            out[o++] = '"';
        }
        return new String(out, 0, o, StandardCharsets.ISO_8859_1);
    }
}
