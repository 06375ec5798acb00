package dev.kiln.ir;

import java.util.Arrays;

/**
 * A dense row-major tensor value: the interpreter's data and the payload of constants.
 * Every float type but f64 lives in a {@code float[]} (f16, bf16, float8 and float4 values are rounded to their
 * type when stored, float8 saturating as ONNX Cast does by default), f64 in a {@code double[]}, every integer type
 * and bool in a {@code long[]} holding values already wrapped into the type's range (u64 values above 2^63 as
 * negative longs, the same 64 bits).
 */
public final class NdArray {
    private final DType dtype;
    private final Shape shape;
    private final float[] f;
    private final double[] d;
    private final long[] l;

    private NdArray(DType dtype, Shape shape, float[] f, double[] d, long[] l) {
        this.dtype = dtype;
        this.shape = shape;
        this.f = f;
        this.d = d;
        this.l = l;
        int n = f != null ? f.length : d != null ? d.length : l.length;
        if (n != shape.numel()) throw new IllegalArgumentException("data length " + n + " does not match shape " + shape);
    }

    /** A zero-filled tensor. */
    public static NdArray zeros(DType dtype, Shape shape) {
        int n = shape.size();
        switch (storage(dtype)) {
            case 'f': return new NdArray(dtype, shape, new float[n], null, null);
            case 'd': return new NdArray(dtype, shape, null, new double[n], null);
            default: return new NdArray(dtype, shape, null, null, new long[n]);
        }
    }

    public static NdArray zeros(TensorType t) { return zeros(t.dtype(), t.shape()); }

    /** An f32 tensor that takes ownership of {@code data}. */
    public static NdArray ofFloats(Shape shape, float... data) { return new NdArray(DType.F32, shape, data, null, null); }

    /** A float tensor (any float type but f64) that takes ownership of {@code data}; values are rounded to the type. */
    public static NdArray ofFloats(DType dtype, Shape shape, float[] data) {
        if (storage(dtype) != 'f') throw new IllegalArgumentException(dtype + " is not stored as float");
        if (dtype != DType.F32) for (int i = 0; i < data.length; i++) data[i] = roundTo(dtype, data[i]);
        return new NdArray(dtype, shape, data, null, null);
    }

    /** An f64 tensor that takes ownership of {@code data}. */
    public static NdArray ofDoubles(Shape shape, double... data) { return new NdArray(DType.F64, shape, null, data, null); }

    /** An integer or bool tensor that takes ownership of {@code data}; values are wrapped into the type's range. */
    public static NdArray ofLongs(DType dtype, Shape shape, long... data) {
        if (storage(dtype) != 'l') throw new IllegalArgumentException(dtype + " is not stored as long");
        for (int i = 0; i < data.length; i++) data[i] = dtype.wrap(data[i]);
        return new NdArray(dtype, shape, null, null, data);
    }

    /** A 1-D int64 tensor, as ONNX uses for shapes and axes. */
    public static NdArray ofI64(long... data) { return ofLongs(DType.I64, Shape.of(data.length), data); }

    /** A scalar of any type holding {@code v} (converted as {@link #setDouble} does). */
    public static NdArray scalar(DType dtype, double v) {
        NdArray a = zeros(dtype, Shape.scalar());
        a.setDouble(0, v);
        return a;
    }

    private static char storage(DType t) {
        if (t == DType.F64) return 'd';
        return t.isFloat() ? 'f' : 'l';
    }

    /**
     * {@code v} rounded to float type {@code t} (stored in a float): a finite value beyond a float8 type's range
     * saturates; an infinity stays one in the types that have it (f16, bf16, f8e5m2), as every stored value must.
     */
    public static float roundTo(DType t, float v) {
        switch (t) {
            case F32: return v;
            case F16: return Half.round(v);
            case F8E5M2: return Float.isInfinite(v) ? v : SmallFloats.round(t, v, true);
            default: return SmallFloats.round(t, v, true);
        }
    }

    public DType dtype() { return dtype; }
    public Shape shape() { return shape; }
    public TensorType type() { return new TensorType(dtype, shape); }
    public int size() { return f != null ? f.length : d != null ? d.length : l.length; }

    /** The backing float array (float types but f64), not a copy. */
    public float[] floats() {
        if (f == null) throw new IllegalStateException("tensor of type " + dtype + " has no float storage");
        return f;
    }

    /** The backing double array (f64 only), not a copy. */
    public double[] doubles() {
        if (d == null) throw new IllegalStateException("tensor of type " + dtype + " has no double storage");
        return d;
    }

    /** The backing long array (integers and bool), not a copy. */
    public long[] longs() {
        if (l == null) throw new IllegalStateException("tensor of type " + dtype + " has no integer storage");
        return l;
    }

    /** Element {@code i} (flat index) as a double. */
    public double getDouble(int i) { return f != null ? f[i] : d != null ? d[i] : dtype.toDouble(l[i]); }

    /** Element {@code i} as a long (floats truncate toward zero). */
    public long getLong(int i) { return l != null ? l[i] : f != null ? (long) f[i] : (long) d[i]; }

    /** Element {@code i} as a float. */
    public float getFloat(int i) { return f != null ? f[i] : d != null ? (float) d[i] : dtype.toFloat(l[i]); }

    /** Stores {@code v}: rounded to the float type, or truncated toward zero and wrapped for integers, nonzero → 1 for bool. */
    public void setDouble(int i, double v) {
        if (f != null) f[i] = roundTo(dtype, (float) v);
        else if (d != null) d[i] = v;
        else if (dtype == DType.BOOL) l[i] = v != 0 ? 1 : 0;
        else if (dtype == DType.U64 && v >= 0x1p63) l[i] = v >= 0x1p64 ? -1L : (long) (v - 0x1p63) ^ Long.MIN_VALUE;
        else l[i] = dtype.wrap(doubleToLong(v));
    }

    /** Stores an integer value (wrapped into the type's range; converted for float types). */
    public void setLong(int i, long v) {
        if (l != null) l[i] = dtype.wrap(v);
        else if (f != null) f[i] = roundTo(dtype, (float) v);
        else d[i] = v;
    }

    private static long doubleToLong(double v) {
        if (Double.isNaN(v)) return 0;
        return (long) v;
    }

    /** The same data seen with another shape of equal element count (shares storage). */
    public NdArray reshape(Shape s) {
        if (s.numel() != shape.numel()) throw new IllegalArgumentException("cannot reshape " + shape + " to " + s);
        return new NdArray(dtype, s, f, d, l);
    }

    /** A deep copy. */
    public NdArray copy() {
        return new NdArray(dtype, shape, f == null ? null : f.clone(), d == null ? null : d.clone(), l == null ? null : l.clone());
    }

    /** All elements as longs (a copy). */
    public long[] toLongArray() {
        long[] r = new long[size()];
        for (int i = 0; i < r.length; i++) r[i] = getLong(i);
        return r;
    }

    /** All elements as doubles (a copy). */
    public double[] toDoubleArray() {
        double[] r = new double[size()];
        for (int i = 0; i < r.length; i++) r[i] = getDouble(i);
        return r;
    }

    /** Converts to another element type with ONNX Cast semantics (float to int truncates toward zero, then wraps). */
    public NdArray cast(DType to) { return cast(to, true); }

    /**
     * Converts to another element type with ONNX Cast semantics; {@code saturate} is Cast's rule for float8
     * targets (beyond the largest finite value: that value, or else infinity or NaN).
     */
    public NdArray cast(DType to, boolean saturate) {
        NdArray r = zeros(to, shape);
        int n = size();
        if (l != null && r.l != null) {
            for (int i = 0; i < n; i++) r.l[i] = to.wrap(l[i]);
        } else if (l != null && r.f != null) {
            // why: (float) of a long rounds once; via double it rounds twice
            for (int i = 0; i < n; i++) r.f[i] = roundTo(to, dtype.toFloat(l[i]));
        } else if (l != null) {
            for (int i = 0; i < n; i++) r.d[i] = dtype.toDouble(l[i]);
        } else if (to.isSmallFloat() && to != DType.BF16) {
            for (int i = 0; i < n; i++) r.f[i] = SmallFloats.round(to, getFloat(i), saturate);
        } else {
            for (int i = 0; i < n; i++) r.setDouble(i, getDouble(i));
        }
        return r;
    }

    /** Bitwise-equal contents, type and shape. */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof NdArray)) return false;
        NdArray a = (NdArray) o;
        return dtype == a.dtype && shape.equals(a.shape) && Arrays.equals(f, a.f) && Arrays.equals(d, a.d) && Arrays.equals(l, a.l);
    }

    @Override
    public int hashCode() {
        return 31 * shape.hashCode() + (f != null ? Arrays.hashCode(f) : d != null ? Arrays.hashCode(d) : Arrays.hashCode(l));
    }

    /** Type and the first few values, for messages. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(type().toString()).append(" {");
        int n = Math.min(size(), 8);
        for (int i = 0; i < n; i++) b.append(i == 0 ? "" : ", ").append(l != null ? Long.toString(l[i]) : Double.toString(getDouble(i)));
        if (size() > n) b.append(", ...");
        return b.append('}').toString();
    }
}
