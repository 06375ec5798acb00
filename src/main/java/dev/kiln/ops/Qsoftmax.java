package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Integer-only softmax of an int8 tensor along {@code axis}; the output has scale 1/256 and zero point -128.
 * Per row: {@code d_i = max(x) - x_i} (in [0, 255]); {@code e_i = table[d_i]} with the compile-time table
 * {@code table[d] = round(2^16 exp(-s_x d))} ({@link #expTable}); {@code S = sum e_i};
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
    public String summary() { return "integer-only softmax through a compile-time exp table; output scale 1/256, zero point -128"; }

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

    /** The exp table for input scale {@code scale}: {@code table[d] = round(2^16 exp(-scale d))}, d = 0..255. */
    public static int[] expTable(float scale) {
        int[] t = new int[256];
        for (int d = 0; d < 256; d++) t[d] = (int) Math.round(65536.0 * StrictMath.exp(-(double) scale * d));
        return t;
    }

    /** The exp table of a qsoftmax node. */
    public static int[] expTable(Node n) { return expTable(n.input(0).type().quant().scale(0)); }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray xa = cx.input(0);
        int[] t = expTable(QuantAttrs.params(cx, 0).scale(0));
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
                for (int k = 0; k < len; k++) sum += t[(int) (max - x[base + k * inner])];
                for (int k = 0; k < len; k++) {
                    int e = t[(int) (max - x[base + k * inner])];
                    out[base + k * inner] = Math.min(127, (512 * e + sum) / (2 * sum) - 128);
                }
            }
        return List.of(y);
    }
}
