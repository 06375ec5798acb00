package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.quant.FixedPoint;
import java.util.List;

/**
 * Kiln's int8 per-channel affine map (an inference batch norm between a dequantize and a quantize): X i8 [N, C, ...]
 * (per-tensor s_x, z_x), W i32 [C] and B i32 [C]; {@code acc = (x - z_x) * W[c] + B[c]} is exact int32 and the output
 * is {@code clamp(round(acc * M[c]) + out_zero_point, act_min, act_max)} with {@code M[c]} the fixed-point form of
 * the FLOATS attribute {@code multipliers}. The lowering gives W the values ±2^k, so B holds the bias in 1/2^k of an
 * input step (k up to 16): an int8 1x1 conv's weight of at most 127 would round it 512 times more coarsely.
 */
public final class Qaffine extends OpDef {
    public Qaffine() {
        super("qaffine", QuantAttrs.addOut(Signature.builder().input("X", "W", "B").output("Y")).requiredAttr("multipliers", AttrType.FLOATS).build(),
                Trait.ELEMENTWISE, Trait.INTEGER);
    }

    @Override
    public String summary() { return "int8 per-channel affine map (a batch norm): int32 weight and fine bias, fixed-point requantization per channel"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        QuantAttrs.activation(cx, 0);
        Shape x = cx.shape(0);
        cx.check(x.rank() >= 2, "input must have rank 2 or more (N, C, ...), got %s", x);
        int c = x.dim(1);
        for (int i = 1; i <= 2; i++) {
            cx.checkDType(i, DType.I32);
            cx.check(cx.shape(i).equals(Shape.of(c)), "input %d must have shape [%d] (one value per channel), got %s", i, c, cx.shape(i));
        }
        cx.check(cx.attrs().getFloats("multipliers").length == c, "multipliers must have %d entries (one per channel)", c);
        return List.of(QuantAttrs.outType(cx, x));
    }

    /** The fixed-point multipliers, one per channel. */
    public static FixedPoint.Multiplier[] multipliers(dev.kiln.ir.Attrs a) {
        double[] m = a.getFloats("multipliers");
        FixedPoint.Multiplier[] r = new FixedPoint.Multiplier[m.length];
        for (int i = 0; i < m.length; i++) r[i] = FixedPoint.of(m[i]);
        return r;
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray xa = cx.input(0);
        QuantParams q = QuantAttrs.params(cx, 0);
        long[] x = xa.longs(), w = cx.input(1).longs(), b = cx.input(2).longs();
        FixedPoint.Multiplier[] m = multipliers(cx.attrs());
        int channels = xa.shape().dim(1), inner = xa.shape().prod(2, xa.shape().rank());
        int zx = (int) q.zeroPoint(0), zp = (int) cx.attrs().getInt(QuantAttrs.OUT_ZERO_POINT);
        int lo = (int) cx.attrs().getInt(QuantAttrs.ACT_MIN), hi = (int) cx.attrs().getInt(QuantAttrs.ACT_MAX);
        NdArray y = cx.newOutput(0);
        long[] out = y.longs();
        for (int i = 0; i < x.length; i++) {
            int c = (i / inner) % channels;
            out[i] = FixedPoint.requantize((int) ((x[i] - zx) * w[c] + b[c]), m[c], zp, lo, hi);
        }
        return List.of(y);
    }
}
