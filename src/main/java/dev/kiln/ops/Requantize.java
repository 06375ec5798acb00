package dev.kiln.ops;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.TensorType;
import dev.kiln.quant.FixedPoint;
import java.util.List;

/**
 * Moves an int8 (or uint8) tensor to new quantization parameters: {@code y = clamp(round((x - z_x) * M) +
 * out_zero_point, act_min, act_max)} with {@code M = s_x / out_scale} in fixed point. Used e.g. to bring concat
 * inputs to a common scale, or a uint8 tensor to int8.
 */
public final class Requantize extends OpDef {
    public Requantize() {
        super("requantize", QuantAttrs.addOut(Signature.builder().input("X").output("Y")).build(), Trait.ELEMENTWISE, Trait.INTEGER);
    }

    @Override
    public String summary() { return "int8 tensor to new scale and zero point, in fixed point"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        QuantAttrs.activation(cx, 0);
        return List.of(QuantAttrs.outType(cx, cx.shape(0)));
    }

    /** The multiplier {@code s_x / out_scale}. */
    public static FixedPoint.Multiplier multiplier(QuantParams x, double outScale) {
        return FixedPoint.of((double) x.scale(0) / (double) (float) outScale);
    }

    /** The multiplier of a requantize node. */
    public static FixedPoint.Multiplier multiplier(Node n) {
        return multiplier(n.input(0).type().quant(), n.attrs().getFloat(QuantAttrs.OUT_SCALE));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        QuantParams q = QuantAttrs.params(cx, 0);
        FixedPoint.Multiplier m = multiplier(q, cx.attrs().getFloat(QuantAttrs.OUT_SCALE));
        long[] x = cx.input(0).longs();
        NdArray y = cx.newOutput(0);
        long[] out = y.longs();
        int zx = (int) q.zeroPoint(0), zp = (int) cx.attrs().getInt(QuantAttrs.OUT_ZERO_POINT);
        int lo = (int) cx.attrs().getInt(QuantAttrs.ACT_MIN), hi = (int) cx.attrs().getInt(QuantAttrs.ACT_MAX);
        for (int i = 0; i < x.length; i++) out[i] = FixedPoint.requantize((int) x[i] - zx, m, zp, lo, hi);
        return List.of(y);
    }
}
