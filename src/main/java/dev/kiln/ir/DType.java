package dev.kiln.ir;

import java.util.Locale;

/**
 * Element type of a tensor: the storage types Kiln compiles, ONNX's tensor types but string.
 * The sub-byte types (i4, u4, i2, u2, f4e2m1) take one byte per element as a single element ({@link #byteSize}) and
 * {@link #bits} bits per element in a tensor, packed (ONNX raw data and the generated code's arena, API and buffers:
 * {@link #packedBytes}, {@link TensorType#byteSize}). bf16, the
 * float8 types (f8e8m0, the power-of-two scale type, among them) and f4e2m1 are floats whose values
 * {@link SmallFloats} rounds and encodes.
 */
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
    BOOL("bool", 1, 9, false),
    U64("u64", 8, 13, false),
    BF16("bf16", 2, 16, true),
    F8E4M3FN("f8e4m3fn", 1, 17, true),
    F8E4M3FNUZ("f8e4m3fnuz", 1, 18, true),
    F8E5M2("f8e5m2", 1, 19, true),
    F8E5M2FNUZ("f8e5m2fnuz", 1, 20, true),
    U4("u4", 1, 21, false, 4),
    I4("i4", 1, 22, false, 4),
    F4E2M1("f4e2m1", 1, 23, true, 4),
    F8E8M0("f8e8m0", 1, 24, true),
    U2("u2", 1, 25, false, 2),
    I2("i2", 1, 26, false, 2);

    private final String shortName;
    private final int byteSize;
    private final int onnxCode;
    private final boolean floating;
    private final int bits;

    DType(String shortName, int byteSize, int onnxCode, boolean floating) {
        this(shortName, byteSize, onnxCode, floating, 8 * byteSize);
    }

    DType(String shortName, int byteSize, int onnxCode, boolean floating, int bits) {
        this.shortName = shortName;
        this.byteSize = byteSize;
        this.onnxCode = onnxCode;
        this.floating = floating;
        this.bits = bits;
    }

    /** Bits per element when packed: 4 or 2 for the sub-byte types, 8 times {@link #byteSize} otherwise. */
    public int bits() { return bits; }

    /** True for the types packed several to a byte (i4, u4, i2, u2, f4e2m1). */
    public boolean isSubByte() { return bits < 8; }

    /** Bytes that {@code n} elements take packed (low bits first within a byte, as ONNX stores them). */
    public long packedBytes(long n) { return (n * bits + 7) / 8; }

    /** True for the float types whose values are narrower than f16 or differ from IEEE halves: bf16, float8, float4. */
    public boolean isSmallFloat() { return floating && this != F32 && this != F64 && this != F16; }

    /** The short name used in the DSL and in messages, e.g. {@code f32}. */
    public String shortName() { return shortName; }

    /** Bytes per element in memory. */
    public int byteSize() { return byteSize; }

    /** The ONNX TensorProto.DataType code. */
    public int onnxCode() { return onnxCode; }

    /** True for the float types (f16, f32, f64, bf16, float8, float4). */
    public boolean isFloat() { return floating; }

    /** True for the integer types (not bool). */
    public boolean isInteger() { return !floating && this != BOOL; }

    /** True for the signed integer types. */
    public boolean isSigned() { return this == I8 || this == I16 || this == I32 || this == I64 || this == I4 || this == I2; }

    /** Smallest representable value of an integer type (0 for bool). */
    public long minValue() {
        switch (this) {
            case I8: return Byte.MIN_VALUE;
            case U8: case U16: case U32: case U64: case BOOL: case U4: case U2: return 0;
            case I4: return -8;
            case I2: return -2;
            case I16: return Short.MIN_VALUE;
            case I32: return Integer.MIN_VALUE;
            case I64: return Long.MIN_VALUE;
            default: throw new IllegalStateException(this + " is not an integer type");
        }
    }

    /**
     * Largest representable value of an integer type (1 for bool); for u64, whose largest value a long cannot hold,
     * {@code Long.MAX_VALUE}.
     */
    public long maxValue() {
        switch (this) {
            case I8: return Byte.MAX_VALUE;
            case U8: return 255;
            case I16: return Short.MAX_VALUE;
            case U16: return 65535;
            case I32: return Integer.MAX_VALUE;
            case U32: return 0xFFFFFFFFL;
            case I64: case U64: return Long.MAX_VALUE;
            case BOOL: return 1;
            case I4: return 7;
            case U4: return 15;
            case I2: return 1;
            case U2: return 3;
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
            case I4: return (v << 60) >> 60;
            case U4: return v & 0xF;
            case I2: return (v << 62) >> 62;
            case U2: return v & 0x3;
            default: return v;
        }
    }

    /** Clamps an integer into this type's range (saturation). */
    public long saturate(long v) {
        return Math.max(minValue(), Math.min(maxValue(), v));
    }

    /** Compares two values of this integer type as the type orders them (unsigned for u64). */
    public int compare(long a, long b) { return this == U64 ? Long.compareUnsigned(a, b) : Long.compare(a, b); }

    /** An integer value of this type as a double (u64 values above 2^63 are held as negative longs). */
    public double toDouble(long v) {
        if (this != U64 || v >= 0) return v;
        return (double) ((v >>> 1) | (v & 1)) * 2.0; // why: the low bit kept as a sticky bit rounds once, correctly
    }

    /** An integer value of this type as a float, rounded once (u64 values above 2^63 are negative longs). */
    public float toFloat(long v) {
        if (this != U64 || v >= 0) return v;
        return (float) ((v >>> 1) | (v & 1)) * 2f;
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
