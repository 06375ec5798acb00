package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.TensorType;
import java.util.List;

/** {@code y = x < 0 ? slope * x : x}, with {@code slope} broadcast to the shape of {@code x} (unidirectionally). */
public final class PRelu extends BinaryOp {
    public PRelu() { super("prelu", Signature.builder().input("X", "slope").output("Y").build(), Trait.ACTIVATION, Trait.QUANTIZABLE); }

    @Override
    public String summary() { return "x < 0 ? slope * x : x (slope broadcast to x)"; }

    @Override
    protected boolean accepts(DType t) { return t != DType.BOOL; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        List<TensorType> t = super.infer(cx);
        cx.check(Broadcast.broadcastsTo(cx.shape(1), cx.shape(0)), "slope of shape %s does not broadcast to X of shape %s",
                cx.shape(1), cx.shape(0));
        return t;
    }

    @Override
    protected double applyFloat(double x, double slope) { return x < 0 ? x * slope : x; }

    @Override
    protected long applyInt(long x, long slope) { return x < 0 ? x * slope : x; }
}
