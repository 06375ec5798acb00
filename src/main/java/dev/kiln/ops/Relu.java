package dev.kiln.ops;

import dev.kiln.ir.DType;

/** {@code y = max(x, 0)} on float and signed integer tensors (ONNX Relu takes int8..int64 from opset 14); NaN stays NaN. */
public final class Relu extends UnaryNumericOp {
    public Relu() { super("relu", Trait.ACTIVATION, Trait.QUANTIZABLE); }

    @Override
    public String summary() { return "max(x, 0)"; }

    @Override
    protected boolean accepts(DType t) { return t.isFloat() || t.isSigned(); }

    @Override
    protected double applyFloat(double x) { return x > 0 || Double.isNaN(x) ? x : 0.0; }

    @Override
    protected long applyInt(long x) { return Math.max(x, 0); }
}
