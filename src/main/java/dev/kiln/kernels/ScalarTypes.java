package dev.kiln.kernels;

import dev.kiln.ir.DType;

/** C spellings of Kiln's element types and of their constants. */
public final class ScalarTypes {
    private ScalarTypes() {}

    /**
     * True for the element types the generated C and OpenCL compute in: f32, f64, the integer types of 8 to 64
     * bits and bool. The others (f16, bf16, float8, float4 and the sub-byte integers) are storage types: kernels
     * read them into {@link #compute} types and round back at each op's output (runtime-c/kiln_types.h).
     */
    public static boolean generated(DType t) {
        switch (t) {
            case F32: case F64: case I8: case U8: case I16: case U16: case I32: case U32: case I64: case U64: case BOOL: return true;
            default: return false;
        }
    }

    /**
     * The type kernels compute a storage type in: f32 for f16, bf16, float8 and float4; i8 or u8 for the sub-byte
     * integers (stored packed, read and written through kiln_types.h's KILN_UNPACK_* and KILN_PACK*); the type
     * itself otherwise.
     */
    public static DType compute(DType t) {
        if (generated(t)) return t;
        if (t.isFloat()) return DType.F32;
        return t.isSigned() ? DType.I8 : DType.U8;
    }

    /**
     * The first storage type on node {@code n} that generated code cannot run it on, or null: after
     * {@link dev.kiln.passes.ComputeInWideTypes} only Cast ({@code CONVERTS}), the outputs of ops that store them
     * ({@code STORES_OUTPUT}) and reshapes of packed values ({@code SAME_BYTES}) keep storage types legitimately.
     */
    public static DType refusedStorageType(dev.kiln.ir.Node n) {
        dev.kiln.ops.OpDef.StorageTypes s = n.op().storageTypes(n);
        if (s == dev.kiln.ops.OpDef.StorageTypes.CONVERTS || s == dev.kiln.ops.OpDef.StorageTypes.SAME_BYTES) return null;
        for (dev.kiln.ir.Value v : n.inputs()) if (v != null && !generated(v.dtype())) return v.dtype();
        if (s == dev.kiln.ops.OpDef.StorageTypes.STORES_OUTPUT) return null;
        for (dev.kiln.ir.Value v : n.outputs()) if (!generated(v.dtype())) return v.dtype();
        return null;
    }

    /** The kiln_types.h function turning the storage bits of float type {@code t} into an f32 ({@code kiln_bf16_to_f32}). */
    public static String decoder(DType t) { return "kiln_" + t.shortName() + "_to_f32"; }

    /** The kiln_types.h function rounding an f32 to float type {@code t}'s bits, given Cast's saturate flag. */
    public static String encoder(DType t) { return "kiln_f32_to_" + t.shortName(); }

    /**
     * The kiln_types.h macro reading element i of packed sub-byte type {@code t} in its compute type
     * ({@code KILN_UNPACK_I4}; f4e2m1's 4-bit code through {@code KILN_UNPACK_U4}).
     */
    public static String unpacker(DType t) {
        return "KILN_UNPACK_" + (t.isFloat() ? "U" + t.bits() : t.shortName().toUpperCase(java.util.Locale.ROOT));
    }

    /** The kiln_types.h function wrapping an int64 into sub-byte integer type {@code t} ({@code kiln_wrap_i4}). */
    public static String wrapper(DType t) { return "kiln_wrap_" + t.shortName(); }

    /**
     * The C type of a tensor's storage: one element's ({@code bool} is one byte, the narrow floats their bits), or,
     * for the sub-byte types, the bytes they are packed into ({@code uint8_t}, two or four elements to a byte).
     */
    public static String ctype(DType t) {
        switch (t) {
            case F32: return "float";
            case F64: return "double";
            case F16: case BF16: return "uint16_t";
            case I8: return "int8_t";
            case U8: case I4: case I2: case U4: case U2: case F4E2M1: return "uint8_t";
            case F8E4M3FN: case F8E4M3FNUZ: case F8E5M2: case F8E5M2FNUZ: case F8E8M0: return "uint8_t";
            case I16: return "int16_t";
            case U16: return "uint16_t";
            case I32: return "int32_t";
            case U32: return "uint32_t";
            case I64: return "int64_t";
            case U64: return "uint64_t";
            case BOOL: return "uint8_t";
            default: throw new IllegalArgumentException(t.toString());
        }
    }

    /** The unsigned type of the same width, for arithmetic that must wrap instead of overflowing. */
    public static String utype(DType t) {
        switch (t) {
            case I8: case U8: case BOOL: case I4: case U4: case I2: case U2: case F4E2M1: return "uint8_t";
            case F8E4M3FN: case F8E4M3FNUZ: case F8E5M2: case F8E5M2FNUZ: case F8E8M0: return "uint8_t";
            case I16: case U16: case F16: case BF16: return "uint16_t";
            case I32: case U32: return "uint32_t";
            case I64: case U64: return "uint64_t";
            case F32: return "float";
            case F64: return "double";
            default: throw new IllegalArgumentException(t.toString());
        }
    }

    /** A C literal of type {@code t} for {@code v} (exact: floats print their shortest round-trip form). */
    public static String literal(DType t, double v) {
        if (t == DType.F32) return floatLiteral((float) v);
        if (t == DType.F64) return doubleLiteral(v);
        return intLiteral(t, (long) v);
    }

    /** A float constant in C: shortest round-trip digits, {@code f} suffix; infinities and NaN by math.h. */
    public static String floatLiteral(float f) {
        if (Float.isNaN(f)) return "NAN";
        if (Float.isInfinite(f)) return f > 0 ? "HUGE_VALF" : "-HUGE_VALF";
        String s = Float.toString(f);
        return s + "f";
    }

    /** A double constant in C. */
    public static String doubleLiteral(double d) {
        if (Double.isNaN(d)) return "((double)NAN)";
        if (Double.isInfinite(d)) return d > 0 ? "HUGE_VAL" : "-HUGE_VAL";
        return Double.toString(d);
    }

    /** An integer constant of type {@code t}, spelled so that no compiler warns (the minimum of int32/int64). */
    public static String intLiteral(DType t, long v) {
        switch (t) {
            case I64:
                if (v == Long.MIN_VALUE) return "(-INT64_C(9223372036854775807) - 1)";
                return "INT64_C(" + v + ")";
            case I32:
                if (v == Integer.MIN_VALUE) return "(-2147483647 - 1)";
                return Long.toString(v);
            case U32:
                return Long.toString(v) + "u";
            case U64:
                return "UINT64_C(" + Long.toUnsignedString(v) + ")";
            default:
                return Long.toString(v);
        }
    }

    /** A literal of an element of {@code t} as stored (f16, bf16, float8 and float4 as their bit patterns). */
    public static String elementLiteral(DType t, dev.kiln.ir.NdArray a, int i) {
        if (t == DType.F32) return floatLiteral(a.getFloat(i));
        if (t == DType.F64) return doubleLiteral(a.getDouble(i));
        if (t == DType.F16) return Integer.toString(dev.kiln.ir.Half.toBits(a.getFloat(i)) & 0xFFFF);
        // why: a stored value is exact in its type, so encoding it (saturating) gives back its own bits
        if (t.isSmallFloat()) return Integer.toString(dev.kiln.ir.SmallFloats.encode(t, a.getFloat(i), true));
        return intLiteral(t, a.getLong(i));
    }

    /**
     * A C identifier from any name: letters, digits and underscores only, not starting with a digit, so that
     * node and value names with quotes, comment markers or non-ASCII never break the generated C.
     */
    public static String identifier(String name) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            b.append((c < 128 && Character.isLetterOrDigit(c)) ? c : '_');
        }
        if (b.length() == 0 || Character.isDigit(b.charAt(0))) b.insert(0, '_');
        return b.toString();
    }

    /**
     * Text safe inside a C block comment: printable ASCII only, without comment delimiters, and without
     * {@code ??} (C99 trigraphs such as {@code ??/} would turn into other characters).
     */
    public static String commentText(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            char p = c >= 32 && c < 127 ? c : '?';
            // why: no two question marks in a row, so no trigraph can form
            if (p == '?' && b.length() > 0 && b.charAt(b.length() - 1) == '?') b.append('_');
            b.append(p);
        }
        return b.toString().replace("*/", "*_/").replace("/*", "/_*");
    }
}
