package dev.kiln.ir;

import java.util.Locale;

/** Element type of a tensor: the storage types Kiln compiles. */
public enum DType {
    F32("f32", 4, 1, true),
    F16("f16", 2, 10, true),
    F64("f64", 8, 11, true),
    I8("i8", 1, 3, false),
    U8("u8", 1, 2, false),
    I16("i16", 2, 5, false),
    U16("u16", 2, 4, false),
    I32("i32", 4, 6, false),
    U32("u32", 4, 12, false),
    I64("i64", 8, 7, false),
    BOOL("bool", 1, 9, false);

    private final String shortName;
    private final int byteSize;
    private final int onnxCode;
    private final boolean floating;

    DType(String shortName, int byteSize, int onnxCode, boolean floating) {
        this.shortName = shortName;
        this.byteSize = byteSize;
        this.onnxCode = onnxCode;
        this.floating = floating;
    }

    /** The short name used in the DSL and in messages, e.g. {@code f32}. */
    public String shortName() { return shortName; }

    /** Bytes per element in memory. */
    public int byteSize() { return byteSize; }

    /** The ONNX TensorProto.DataType code. */
    public int onnxCode() { return onnxCode; }

    /** True for f16, f32, f64. */
    public boolean isFloat() { return floating; }

    /** True for the integer types (not bool). */
    public boolean isInteger() { return !floating && this != BOOL; }

    /** True for the signed integer types. */
    public boolean isSigned() { return this == I8 || this == I16 || this == I32 || this == I64; }

    /** Smallest representable value of an integer type (0 for bool). */
    public long minValue() {
        switch (this) {
            case I8: return Byte.MIN_VALUE;
            case U8: case U16: case U32: case BOOL: return 0;
            case I16: return Short.MIN_VALUE;
            case I32: return Integer.MIN_VALUE;
            case I64: return Long.MIN_VALUE;
            default: throw new IllegalStateException(this + " is not an integer type");
        }
    }

    /** Largest representable value of an integer type (1 for bool). */
    public long maxValue() {
        switch (this) {
            case I8: return Byte.MAX_VALUE;
            case U8: return 255;
            case I16: return Short.MAX_VALUE;
            case U16: return 65535;
            case I32: return Integer.MAX_VALUE;
            case U32: return 0xFFFFFFFFL;
            case I64: return Long.MAX_VALUE;
            case BOOL: return 1;
            default: throw new IllegalStateException(this + " is not an integer type");
        }
    }

    /** Wraps an integer into this type's range the way a C cast to the type does (two's complement). */
    public long wrap(long v) {
        switch (this) {
            case I8: return (byte) v;
            case U8: return v & 0xFF;
            case I16: return (short) v;
            case U16: return v & 0xFFFF;
            case I32: return (int) v;
            case U32: return v & 0xFFFFFFFFL;
            case BOOL: return v != 0 ? 1 : 0;
            default: return v;
        }
    }

    /** Clamps an integer into this type's range (saturation). */
    public long saturate(long v) {
        return Math.max(minValue(), Math.min(maxValue(), v));
    }

    /** The type for an ONNX data-type code, or null when Kiln has no such type. */
    public static DType fromOnnx(int code) {
        for (DType t : values()) if (t.onnxCode == code) return t;
        return null;
    }

    /** The type for a short name ({@code f32}, {@code i8}...), or null. */
    public static DType fromShortName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (DType t : values()) if (t.shortName.equals(n)) return t;
        return null;
    }

    @Override
    public String toString() { return shortName; }
}
