package dev.kiln.ops;

import dev.kiln.ir.DType;

/** Product over axes; integers wrap; the product of no elements is 1. */
public final class ReduceProd extends ReduceOp {
    public ReduceProd() { super("reduce_prod"); }

    @Override
    public String summary() { return "product over axes (keepdims)"; }

    @Override
    protected boolean accepts(DType t) { return t != DType.BOOL; }

    @Override
    protected double startFloat() { return 1.0; }

    @Override
    protected double combineFloat(double acc, double x) { return acc * x; }

    @Override
    protected long startInt(DType t) { return 1; }

    @Override
    protected long combineInt(long acc, long x) { return acc * x; }
}
