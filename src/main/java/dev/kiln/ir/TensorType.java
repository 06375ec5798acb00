package dev.kiln.ir;

import java.util.Objects;

/** The static type of a tensor value: element type, shape and optional quantization parameters. */
public final class TensorType {
    private final DType dtype;
    private final Shape shape;
    private final QuantParams quant;

    public TensorType(DType dtype, Shape shape, QuantParams quant) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = Objects.requireNonNull(shape, "shape");
        this.quant = quant;
    }

    public TensorType(DType dtype, Shape shape) { this(dtype, shape, null); }

    public static TensorType of(DType dtype, int... dims) { return new TensorType(dtype, Shape.of(dims)); }

    public DType dtype() { return dtype; }
    public Shape shape() { return shape; }
    /** Quantization parameters, or null for a plain tensor. */
    public QuantParams quant() { return quant; }

    public TensorType withShape(Shape s) { return new TensorType(dtype, s, quant); }
    public TensorType withDType(DType t) { return new TensorType(t, shape, null); }
    public TensorType withQuant(QuantParams q) { return new TensorType(dtype, shape, q); }

    /**
     * Bytes the tensor occupies in memory, saturating on overflow: a sub-byte type ({@link DType#isSubByte}) packed
     * two or four elements to a byte, as ONNX's raw_data and the generated code's arena, API and buffers hold it.
     */
    public long byteSize() {
        long n = shape.numel();
        if (dtype.isSubByte()) return n > Long.MAX_VALUE / 8 ? Long.MAX_VALUE : dtype.packedBytes(n);
        return n > Long.MAX_VALUE / dtype.byteSize() ? Long.MAX_VALUE : n * dtype.byteSize();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TensorType)) return false;
        TensorType t = (TensorType) o;
        return dtype == t.dtype && shape.equals(t.shape) && Objects.equals(quant, t.quant);
    }

    @Override
    public int hashCode() { return Objects.hash(dtype, shape, quant); }

    /** {@code f32[1, 3, 224, 224]}. */
    @Override
    public String toString() { return dtype.shortName() + shape + (quant == null ? "" : "{" + quant + "}"); }
}
