package dev.kiln.ops;

import dev.kiln.ir.DType;

/**
 * {@code c = a / b} with broadcasting. Integer division truncates toward zero, like C (ONNX's reference
 * and ONNX Runtime agree); integer division by zero gives 0 and {@code MIN / -1} wraps ({@link IntegerSemantics}).
 */
public final class Div extends BinaryOp {
    public Div() { super("div"); }

    @Override
    public String summary() { return "a / b (broadcasting; integers truncate toward zero)"; }

    @Override
    protected boolean accepts(DType t) { return t != DType.BOOL; }

    @Override
    protected double applyFloat(double a, double b) { return a / b; }

    @Override
    protected long applyInt(long a, long b, DType t, dev.kiln.ir.Attrs attrs) {
        if (t == DType.U64) return b == 0 ? 0 : Long.divideUnsigned(a, b);
        return applyInt(a, b);
    }

    @Override
    protected long applyInt(long a, long b) {
        return IntegerSemantics.div(a, b);
    }
}
