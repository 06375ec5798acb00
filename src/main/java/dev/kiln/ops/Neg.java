package dev.kiln.ops;

import dev.kiln.ir.DType;

/** {@code y = -x} on float and signed integer tensors; integers wrap. */
public final class Neg extends UnaryNumericOp {
    public Neg() { super("neg"); }

    @Override
    public String summary() { return "-x"; }

    @Override
    protected boolean accepts(DType t) { return t.isFloat() || t.isSigned(); }

    @Override
    protected double applyFloat(double x) { return -x; }

    @Override
    protected long applyInt(long x) { return -x; }
}
