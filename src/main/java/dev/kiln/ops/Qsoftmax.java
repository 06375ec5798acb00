package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.quant.FixedPoint;
import java.util.List;

/**
 * Integer-only softmax of an int8 tensor along {@code axis}; the output has scale 1/256 and zero point -128.
 * Per row: {@code d_i = max(x) - x_i} (in [0, 255]); {@code e_i ~= 2^16 exp(-s_x d_i)} computed in fixed point
 * at run time ({@link #exp}: {@code 2^(-d_i c / 2^16)} with the compile-time coefficient {@code c ~= 2^16 s_x log2(e)},
 * no table); {@code S = sum e_i};
 * {@code y_i = min(127, floor((512 e_i + S) / (2 S)) - 128)}, i.e. {@code round_half_up(256 e_i / S) - 128}.
 * Rows are at most {@link #MAX_ROW} long so that {@code 512 e_i + S} and {@code 2 S} fit in int32.
 */
public final class Qsoftmax extends OpDef {
    /** The longest row the int32 arithmetic allows. */
    public static final int MAX_ROW = 8192;
    /** The output's quantization: scale 1/256, zero point -128. */
    public static final QuantParams OUT = QuantParams.perTensor(1f / 256, -128);

    public Qsoftmax() {
        super("qsoftmax", Signature.builder().input("X").output("Y").attr("axis", AttrType.INT, -1L).build(), Trait.INTEGER);
    }

    @Override
    public String summary() { return "integer-only softmax with a fixed-point exp (no table); output scale 1/256, zero point -128"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        QuantAttrs.activation(cx, 0);
        cx.checkDType(0, DType.I8);
        Shape x = cx.shape(0);
        long a = cx.attrs().getInt("axis");
        cx.check(a >= -x.rank() && a < x.rank(), "axis %d is out of range for rank %d", a, x.rank());
        cx.check(x.dim(x.axis(a)) <= MAX_ROW, "rows longer than %d are not supported, got %d", MAX_ROW, x.dim(x.axis(a)));
        return List.of(new TensorType(DType.I8, x, OUT));
    }

    /** The largest exponent coefficient: beyond it exp(-s d) is below 2^-32 for every d >= 1, i.e. 0 in Q16. */
    public static final int MAX_COEFFICIENT = 1 << 21;

    /**
     * The exponent coefficient for input scale {@code scale}: {@code c = min(round(2^16 s log2(e)), 2^21)}, so that
     * {@code exp(-s d) = 2^(-d c / 2^16)} and {@code d c} fits in int32 for d = 0..255.
     */
    public static int expCoefficient(float scale) {
        return (int) Math.min(MAX_COEFFICIENT, Math.round(65536.0 * (double) scale / Math.log(2)));
    }

    /** The exponent coefficient of a qsoftmax node (see {@link #expCoefficient(float)}). */
    public static int expCoefficient(Node n) { return expCoefficient(n.input(0).type().quant().scale(0)); }

    /** {@code e = 2^16 exp(-s d)} for d in [0, 255] in fixed point: {@link FixedPoint#exp2NegQ16}{@code (d c)}. */
    public static int exp(int d, int coefficient) { return FixedPoint.exp2NegQ16(d * coefficient); }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray xa = cx.input(0);
        int c = expCoefficient(QuantAttrs.params(cx, 0).scale(0));
        Shape s = xa.shape();
        int axis = s.axis(cx.attrs().getInt("axis"));
        int len = s.dim(axis), inner = 1;
        for (int i = axis + 1; i < s.rank(); i++) inner *= s.dim(i);
        int outer = len == 0 ? 0 : xa.size() / (len * inner);
        long[] x = xa.longs();
        NdArray y = cx.newOutput(0);
        long[] out = y.longs();
        for (int o = 0; o < outer; o++)
            for (int in = 0; in < inner; in++) {
                int base = o * len * inner + in;
                long max = Long.MIN_VALUE;
                for (int k = 0; k < len; k++) max = Math.max(max, x[base + k * inner]);
                int sum = 0;
                for (int k = 0; k < len; k++) sum += exp((int) (max - x[base + k * inner]), c);
                for (int k = 0; k < len; k++) {
                    int e = exp((int) (max - x[base + k * inner]), c);
                    out[base + k * inner] = Math.min(127, (512 * e + sum) / (2 * sum) - 128);
                }
            }
        return List.of(y);
    }
}
