package dev.kiln.quant;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.FusedActivation;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.ops.Qlookup;
import dev.kiln.ops.QuantAttrs;
import dev.kiln.ops.Qsoftmax;
import dev.kiln.ops.Trait;
import dev.kiln.quant.Int8Context.Refused;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How each float op becomes int8: a public static method named like the op in camelCase ({@code max_pool} →
 * {@code maxPool}) taking {@code (Int8Context, Node)} and returning the int8 value that replaces the node's
 * output, found by reflection (no switch over op names). Single-input element-wise functions without a method
 * go through {@link #elementwise} (a clamp, or a 256-entry lookup table). A rule throws
 * {@link Int8Context.Refused} to leave its node float.
 */
public final class Int8Lowerings {
    private static final Map<String, Method> RULES =
            dev.kiln.ops.OpMethods.collect("int8 rules", new Class<?>[] {Int8Lowerings.class}, Value.class, Int8Context.class, Node.class);
    private static final List<String> WINDOW = List.of("kernel_shape", "strides", "dilations", "pads");

    private Int8Lowerings() {}

    /** The names of the ops the rules are for (camelCase), for the registry check. */
    public static java.util.Set<String> ruleNames() { return java.util.Collections.unmodifiableSet(RULES.keySet()); }

    /** Whether {@code op} has a rule of its own (not only the element-wise fallback). */
    static boolean hasRule(dev.kiln.ops.OpDef op) { return RULES.containsKey(dev.kiln.ops.OpMethods.methodName(op.name())); }

    /** Recurrent ops stay float between the int8 parts: the lowering dequantizes X before and requantizes after. */
    public static Value lstm(Int8Context lx, Node n) { throw recurrent(n); }

    /** See {@link #lstm}. */
    public static Value gru(Int8Context lx, Node n) { throw recurrent(n); }

    /** See {@link #lstm}. */
    public static Value rnn(Int8Context lx, Node n) { throw recurrent(n); }

    private static Refused recurrent(Node n) {
        return new Refused("recurrent ops run in float between the int8 parts (no int8 lowering of " + n.op().name() + " yet)");
    }

    /** Lowers {@code n}: its rule, or the element-wise fallback; throws Refused when it cannot. */
    static Value lower(Int8Context lx, Node n) {
        Method m = RULES.get(dev.kiln.ops.OpMethods.methodName(n.op().name()));
        if (m == null) {
            if (isUnaryFunction(n)) return elementwise(lx, n);
            throw new Refused("there is no int8 lowering for " + n.op().name());
        }
        try {
            return (Value) m.invoke(null, lx, n);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException) throw (RuntimeException) e.getCause();
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Most fraction bits of qaffine's bias: 1/2^22 of an input step (then (x - z_x) * 2^22 needs 30 bits). */
    static final int AFFINE_BITS = 22;

    /**
     * batch_norm(x) with constant statistics -> qaffine(x8, W, B): per channel c with gain {@code g = a[c] s_x / s_y}
     * (output steps per input step) and offset {@code h = shift[c] / s_y}, {@code W = sign(g) 2^k},
     * {@code B = round(h 2^k / |g|)} and multiplier {@code |g| / 2^k}, k the largest up to 22 that keeps the
     * accumulator within int32; a channel whose gain is too small for that gets W = 0 and B = round(h 2^16).
     */
    public static Value batchNorm(Int8Context lx, Node n) {
        for (int i = 1; i <= 4; i++) if (!n.input(i).isConstant()) throw new Refused("its scale, bias, mean or variance is computed at run time");
        QuantParams qo = lx.out(n.output(0));
        Value x8 = lx.q(n.input(0));
        double[][] affine = dev.kiln.ops.BatchNorm.affine(n);
        double sx = x8.type().quant().scale(0), sy = qo.scale(0);
        int c = affine[0].length;
        long[] w = new long[c], b = new long[c];
        double[] m = new double[c];
        for (int i = 0; i < c; i++) {
            double g = affine[0][i] * sx / sy, h = affine[1][i] / sy;
            int k = AFFINE_BITS;
            // why: |x - z_x| <= 255, so |acc| <= 256 * 2^k + |B| must stay within int32
            while (k > 0 && Math.abs(h / g) * Math.pow(2, k) > Integer.MAX_VALUE - 256.0 * Math.pow(2, k)) k--;
            double bias = h / Math.abs(g) * Math.pow(2, k);
            if (g != 0 && Math.abs(bias) <= Integer.MAX_VALUE - 256.0 * Math.pow(2, k) && Math.abs(g) / Math.pow(2, k) < FixedPoint.MAX_MULTIPLIER) {
                w[i] = g < 0 ? -(1L << k) : 1L << k;
                b[i] = Math.round(bias);
                m[i] = Math.abs(g) / Math.pow(2, k);
            } else {
                // why: the input moves the output by less than 2^-k of a step per input step: the output is the offset
                w[i] = 0;
                b[i] = Math.round(Math.max(-0x1p14, Math.min(0x1p14, h)) * 0x1p16);
                m[i] = 0x1p-16;
            }
        }
        Attrs a = Attrs.EMPTY.with("multipliers", m);
        Value wv = lx.constant(n.name() + "_w32", NdArray.ofLongs(DType.I32, Shape.of(c), w), null);
        Value bv = lx.constant(n.name() + "_b32", NdArray.ofLongs(DType.I32, Shape.of(c), b), null);
        return lx.add(Ops.QAFFINE, n.name(), List.of(x8, wv, bv), Int8Context.outAttrs(a, qo, new int[] {-128, 127})).output(0);
    }

    /** conv(x, w, b) [+ clamp activation] -> qconv(x8, w8 per channel, b32). */
    public static Value conv(Int8Context lx, Node n) {
        // why: a residual input is split into an add before lowering; one left here had no calibrated intermediate
        if (n.input(3) != null) throw new Refused("it still adds a residual input Z");
        Value w = n.input(1), b = n.input(2);
        if (!w.isConstant() || (b != null && !b.isConstant())) throw new Refused("its weight or bias is not constant");
        QuantParams qo = lx.out(n.output(0));
        int[] range = Int8Context.clampRange(n.attrs(), qo);
        Value x8 = lx.q(n.input(0));
        double[] bd = b == null ? null : b.constant().toDoubleArray();
        float sx = x8.type().quant().scale(0);
        QuantMath.Weights qw = weights(lx, w, w.constant(), 0, QuantMath.biasFloor(bd, sx));
        NdArray bias = QuantMath.bias(bd, sx, qw.params());
        if (b != null && bias == null) throw new Refused("its bias does not fit in int32 at scale s_x * s_w");
        if (!QuantMath.accumulatorFits(x8.type().quant(), QuantMath.absSums(qw.data(), 0), bias))
            throw new Refused("its int32 accumulator could overflow in the worst case");
        Attrs a = Attrs.EMPTY.with("group", n.attrs().getInt("group"));
        for (String k : WINDOW) if (n.attrs().has(k)) a = a.with(k, n.attrs().get(k));
        List<Value> ins = new ArrayList<>(List.of(x8, lx.constant(n.name() + "_w8", qw.data(), qw.params())));
        if (bias != null) ins.add(lx.constant(n.name() + "_b32", bias, null));
        return lx.add(Ops.QCONV, n.name(), ins, lx.productAttrs(Int8Context.outAttrs(a, qo, range))).output(0);
    }

    /**
     * The int8 weights of constant {@code wv} (data {@code w}): with the parameters its annotation gives (a
     * quantized model's own) when they fit, else symmetric per channel along {@code axis} with the bias floor.
     */
    private static QuantMath.Weights weights(Int8Context lx, Value wv, NdArray w, int axis, double[] floor) {
        QuantParams a = lx.annotation(wv);
        QuantMath.Weights r = a == null ? null : QuantMath.weightsWith(w, a, axis);
        if (r != null && lx.int4Annotation(wv)) r = QuantMath.narrowToInt4(r);
        return r != null ? r : QuantMath.weights(w, axis, floor, lx.weightType());
    }

    /** gemm(a, B, C; alpha, beta, trans_b) -> qmatmul(a8, alpha * B' as [K, N], beta * C as int32). */
    public static Value gemm(Int8Context lx, Node n) {
        // why: qmatmul reads the activation row by row
        if (n.attrs().getInt("trans_a") != 0) throw new Refused("its A is transposed");
        Value bv = n.input(1), cv = n.input(2);
        if (!bv.isConstant() || (cv != null && !cv.isConstant())) throw new Refused("its B or C is not constant");
        NdArray b = bv.constant();
        boolean tb = n.attrs().getInt("trans_b") != 0;
        int k = tb ? b.shape().dim(1) : b.shape().dim(0), nn = tb ? b.shape().dim(0) : b.shape().dim(1);
        double alpha = n.attrs().getFloat("alpha"), beta = n.attrs().getFloat("beta");
        double[] bd = b.toDoubleArray(), w = new double[k * nn];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < nn; j++) w[i * nn + j] = alpha * (tb ? bd[j * k + i] : bd[i * nn + j]);
        double[] bias = null;
        if (cv != null) {
            NdArray c = cv.constant();
            // why: a bias that varies by row is no per-column int32 bias
            if (c.size() != nn && c.size() != 1) throw new Refused("its C has shape " + c.shape() + ", not one value per column");
            bias = new double[nn];
            for (int j = 0; j < nn; j++) bias[j] = beta * c.getDouble(c.size() == 1 ? 0 : j);
        }
        // why: a quantized model's weight parameters still fit when B is only transposed (its axis moves)
        QuantParams wa = alpha == 1.0 ? lx.annotation(bv) : null;
        if (wa != null && wa.perChannel()) wa = new QuantParams(wa.scales(), wa.zeroPoints(), tb ? 1 - wa.axis() : wa.axis());
        return matmulOf(lx, n, NdArray.ofDoubles(Shape.of(k, nn), w), bias, wa, wa != null && lx.int4Annotation(bv));
    }

    /** matmul(x, W const [K, N]) -> qmatmul(x8, W8 per column). */
    public static Value matmul(Int8Context lx, Node n) {
        Value w = n.input(1);
        if (!w.isConstant() || w.shape().rank() != 2) throw new Refused("its right operand is not a constant matrix");
        if (n.input(0).shape().rank() < 1) throw new Refused("its left operand is a scalar");
        return matmulOf(lx, n, w.constant(), null, lx.annotation(w), lx.int4Annotation(w));
    }

    private static Value matmulOf(Int8Context lx, Node n, NdArray w, double[] b, QuantParams wAnnotation, boolean int4) {
        QuantParams qo = lx.out(n.output(0));
        int[] range = Int8Context.clampRange(n.attrs(), qo);
        Value x8 = lx.q(n.input(0));
        float sx = x8.type().quant().scale(0);
        QuantMath.Weights qw = wAnnotation == null ? null : QuantMath.weightsWith(w, wAnnotation, 1);
        if (qw != null && int4) qw = QuantMath.narrowToInt4(qw);
        if (qw == null) qw = QuantMath.weights(w, 1, QuantMath.biasFloor(b, sx), lx.weightType());
        NdArray bias = QuantMath.bias(b, sx, qw.params());
        if (b != null && bias == null) throw new Refused("its bias does not fit in int32 at scale s_x * s_w");
        if (!QuantMath.accumulatorFits(x8.type().quant(), QuantMath.absSums(qw.data(), 1), bias))
            throw new Refused("its int32 accumulator could overflow in the worst case");
        List<Value> ins = new ArrayList<>(List.of(x8, lx.constant(n.name() + "_w8", qw.data(), qw.params())));
        if (bias != null) ins.add(lx.constant(n.name() + "_b32", bias, null));
        return lx.add(Ops.QMATMUL, n.name(), ins, lx.productAttrs(Int8Context.outAttrs(Attrs.EMPTY, qo, range))).output(0);
    }

    /**
     * dequant_gemm(x, Q, S, C, Z) -> qdequant_gemm(x8, Q, S, C, Z): the blocked int4/uint4 weight, its scales and
     * zero points stay as imported (packed); only the activations become int8 (see QdequantGemm for the arithmetic).
     */
    public static Value dequantGemm(Int8Context lx, Node n) {
        Attrs a = Attrs.of("trans_b", n.attrs().getInt("trans_b"), "block_size", n.attrs().getInt("block_size"));
        return blocked(lx, n, Ops.QDEQUANT_GEMM, a);
    }

    /**
     * dequant_conv(x, Q, S, B, Z) -> qdequant_conv(x8, Q, S, B, Z): as {@link #dequantGemm}, the blocked weight stays
     * as imported and only the activations become int8 (see QdequantConv for the arithmetic).
     */
    public static Value dequantConv(Int8Context lx, Node n) { return blocked(lx, n, Ops.QDEQUANT_CONV, n.attrs()); }

    /** The int8 form {@code op} (attributes {@code a} plus the output grid) of blocked op n, inputs numbered alike. */
    private static Value blocked(Int8Context lx, Node n, dev.kiln.ops.OpDef op, Attrs a) {
        QuantParams qo = lx.out(n.output(0));
        int[] range = Int8Context.clampRange(n.attrs(), qo);
        Value x8 = lx.q(n.input(0));
        // why: the kernel's block sums are int32; a longer block could overflow them
        if (n.attrs().getInt("block_size") > dev.kiln.ops.QdequantGemm.MAX_BLOCK) throw new Refused("its blocks are too long for exact int32 block sums");
        List<Value> ins = new ArrayList<>(List.of(x8, n.input(1), n.input(2)));
        if (n.input(3) != null || n.input(4) != null) ins.add(n.input(3));
        if (n.input(4) != null) ins.add(n.input(4));
        return lx.add(op, n.name(), ins, Int8Context.outAttrs(a, qo, range)).output(0);
    }

    /** add(a, b) -> qadd(a8, b8); a constant operand is quantized per tensor over its own range. */
    public static Value add(Int8Context lx, Node n) {
        QuantParams qo = lx.out(n.output(0));
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < 2; i++) ins.add(operand(lx, n, n.input(i)));
        return lx.add(Ops.QADD, n.name(), ins, Int8Context.outAttrs(Attrs.EMPTY, qo, new int[] {-128, 127})).output(0);
    }

    private static Value operand(Int8Context lx, Node n, Value v) {
        if (!v.isConstant()) return lx.q(v);
        double lo = 0, hi = 0;
        NdArray c = v.constant();
        for (int i = 0; i < c.size(); i++) {
            lo = Math.min(lo, c.getDouble(i));
            hi = Math.max(hi, c.getDouble(i));
        }
        QuantParams p = QuantMath.activation(lo, hi);
        long[] q = new long[c.size()];
        for (int i = 0; i < q.length; i++) q[i] = QuantMath.quantize(c.getDouble(i), p);
        return lx.constant(n.name() + "_c8", NdArray.ofLongs(DType.I8, c.shape(), q), p);
    }

    /** Ops that only move or pick values run on int8 as they are; the output keeps the input's parameters. */
    private static Value same(Int8Context lx, Node n, Attrs attrs) {
        if (n.outputs().size() != 1) throw new Refused("it has several outputs");
        List<Value> ins = new ArrayList<>();
        ins.add(lx.q(n.input(0)));
        for (int i = 1; i < n.numInputs(); i++) {
            if (n.input(i) != null) throw new Refused("it has a second input");
        }
        return lx.add(n.op(), n.name(), ins, attrs).output(0);
    }

    /** max_pool(x) -> max_pool(x8): the max of int8 values with one scale is the int8 max. */
    public static Value maxPool(Int8Context lx, Node n) { return same(lx, n, n.attrs()); }

    /** global_max_pool(x) -> global_max_pool(x8). */
    public static Value globalMaxPool(Int8Context lx, Node n) { return same(lx, n, n.attrs()); }

    /** reshape(x) -> reshape(x8). */
    public static Value reshape(Int8Context lx, Node n) { return same(lx, n, n.attrs()); }

    /** flatten(x) -> flatten(x8). */
    public static Value flatten(Int8Context lx, Node n) { return same(lx, n, n.attrs()); }

    /** transpose(x) -> transpose(x8). */
    public static Value transpose(Int8Context lx, Node n) { return same(lx, n, n.attrs()); }

    /** squeeze(x) -> squeeze(x8). */
    public static Value squeeze(Int8Context lx, Node n) { return same(lx, n, n.attrs()); }

    /** unsqueeze(x) -> unsqueeze(x8). */
    public static Value unsqueeze(Int8Context lx, Node n) { return same(lx, n, n.attrs()); }

    /** slice(x) -> slice(x8). */
    public static Value slice(Int8Context lx, Node n) { return same(lx, n, n.attrs()); }

    /** pad(x, value v) -> pad(x8, value q(v)): a zero pad pads with the zero point. */
    public static Value pad(Int8Context lx, Node n) {
        Value x8 = lx.q(n.input(0));
        Attrs a = n.attrs();
        if (a.getString("mode").equals("constant")) a = a.with("value", (double) QuantMath.quantize(a.getFloat("value"), x8.type().quant()));
        return lx.add(n.op(), n.name(), List.of(x8), a).output(0);
    }

    /** concat(x...) -> concat(requantize(x8)...) with every input at the output's parameters. */
    public static Value concat(Int8Context lx, Node n) {
        List<Value> ins = new ArrayList<>();
        for (Value v : n.inputs()) ins.add(lx.q(v));
        QuantParams qo = lx.annotation(n.output(0));
        if (qo == null) qo = ins.get(0).type().quant();
        List<Value> moved = new ArrayList<>();
        for (Value v : ins) {
            if (v.type().quant().equals(qo) && v.dtype() == DType.I8) moved.add(v);
            else moved.add(lx.add(Ops.REQUANTIZE, n.name() + "_rq", List.of(v), Int8Context.outAttrs(Attrs.EMPTY, qo, new int[] {-128, 127})).output(0));
        }
        return lx.add(n.op(), n.name(), moved, n.attrs()).output(0);
    }

    /**
     * average_pool(x) -> qaverage_pool(x8) at the input's scale (a rounded integer division). Unlike the global
     * pools it keeps the input's grid: at another output scale its kernel holds a multiplier per window count (8 bytes
     * each, 1 KB for a 125-position window), which broke the MCU flash goal of the MLPerf Tiny KWS model.
     */
    public static Value averagePool(Int8Context lx, Node n) {
        Value x8 = lx.q(n.input(0));
        Attrs a = Int8Context.outAttrs(n.attrs(), x8.type().quant(), new int[] {-128, 127});
        return lx.add(Ops.QAVERAGE_POOL, n.name(), List.of(x8), a).output(0);
    }

    /** global_average_pool(x) -> qaverage_pool(x8, global = 1) at the output's parameters. */
    public static Value globalAveragePool(Int8Context lx, Node n) {
        Value x8 = lx.q(n.input(0));
        Attrs a = Int8Context.outAttrs(Attrs.EMPTY.with("global", 1L), poolOut(lx, n, x8), new int[] {-128, 127});
        return lx.add(Ops.QAVERAGE_POOL, n.name(), List.of(x8), a).output(0);
    }

    /**
     * The parameters a global average pool's int8 output takes: the output's own (its annotation, the quantize that follows
     * it) when it has them, so that the mean is rounded once, as DQ -> float mean -> Q rounds it; the input's when
     * not (a rounded integer division). Rounding first to the input's grid and then requantizing to a finer output
     * grid rounded twice and lost up to 2.5 output steps at ShuffleNetV2's final mean.
     */
    private static QuantParams poolOut(Int8Context lx, Node n, Value x8) {
        QuantParams qo = lx.annotation(n.output(0));
        // why: qaverage_pool's output is int8; an annotation outside int8's zero-point range (uint8) keeps the old form
        if (qo == null || qo.zeroPoint(0) < -128 || qo.zeroPoint(0) > 127 || x8.dtype() != DType.I8) return x8.type().quant();
        return qo;
    }

    /** reduce_mean(x; axes = every spatial axis) -> qaverage_pool(x8, global = 1) [-> reshape without keepdims]. */
    public static Value reduceMean(Int8Context lx, Node n) {
        Shape in = n.input(0).shape();
        boolean[] red = dev.kiln.ops.ReduceOp.reducedAxes(in, n.attrs());
        // why: only a mean over every spatial axis of an [N, C, ...] tensor is a global average pool
        boolean spatial = in.rank() >= 3 && red != null && !red[0] && !red[1];
        for (int i = 2; spatial && i < in.rank(); i++) spatial = red[i];
        if (!spatial) throw new Refused("it does not average over exactly the spatial axes of an [N, C, ...] tensor");
        Value x8 = lx.q(n.input(0));
        Attrs a = Int8Context.outAttrs(Attrs.EMPTY.with("global", 1L), poolOut(lx, n, x8), new int[] {-128, 127});
        Value y = lx.add(Ops.QAVERAGE_POOL, n.name(), List.of(x8), a).output(0);
        if (y.shape().equals(n.output(0).shape())) return y;
        long[] shape = new long[n.output(0).shape().rank()];
        for (int i = 0; i < shape.length; i++) shape[i] = n.output(0).shape().dim(i);
        return lx.add(Ops.RESHAPE, n.name() + "_reshape", List.of(y), Attrs.EMPTY.with("shape", shape)).output(0);
    }

    /** softmax(x) -> qsoftmax(x8): output scale 1/256, zero point -128. */
    public static Value softmax(Int8Context lx, Node n) {
        Value x8 = lx.q(n.input(0));
        if (x8.dtype() != DType.I8) throw new Refused("its input is not int8");
        if (x8.shape().dim(x8.shape().axis(n.attrs().getInt("axis", -1))) > Qsoftmax.MAX_ROW) throw new Refused("its rows are too long for int32 sums");
        return lx.add(Ops.QSOFTMAX, n.name(), List.of(x8), Attrs.EMPTY.with("axis", n.attrs().getInt("axis", -1))).output(0);
    }

    /** Whether {@code n} is a float function of one tensor, element by element. */
    static boolean isUnaryFunction(Node n) {
        OpDef op = n.op();
        if (!(op.has(Trait.ELEMENTWISE) || op.has(Trait.ACTIVATION))) return false;
        if (n.numInputs() != 1 || n.input(0) == null || n.outputs().size() != 1) return false;
        return n.input(0).dtype().isFloat() && n.output(0).dtype().isFloat() && n.output(0).shape().equals(n.input(0).shape());
    }

    /**
     * An element-wise function of one tensor: a clamp of the int8 range is merged into the int8 node that produces
     * its input (that node then requantizes straight to this output's parameters) or becomes a requantize with
     * the clamp; any other function becomes a 256-entry qlookup table.
     */
    static Value elementwise(Int8Context lx, Node n) {
        Value x = n.input(0);
        QuantParams qo = lx.out(n.output(0));
        Value x8 = lx.q(x);
        int[] range = Int8Context.clampOf(v -> n.op().evaluate(new dev.kiln.ops.EvalContext(n.name(), List.of(v), n.attrs(), List.of(v.type()))).get(0), qo);
        if (range != null) {
            Node p = x8.producer();
            // relu(qconv(x)) -> qconv(x, out = relu's parameters, act = [lo, hi]) when nothing else reads qconv's result
            if (p != null && lx.createdHere(p) && Int8Context.hasOutAttrs(p) && x.uses().size() == 1 && x8.uses().size() <= 1
                    && p.attrs().getInt(QuantAttrs.ACT_MIN) == -128 && p.attrs().getInt(QuantAttrs.ACT_MAX) == 127)
                return lx.add(p.op(), p.name() + "_" + n.op().name(), p.inputs(), Int8Context.outAttrs(p.attrs(), qo, range)).output(0);
            return lx.add(Ops.REQUANTIZE, n.name(), List.of(x8), Int8Context.outAttrs(Attrs.EMPTY, qo, range)).output(0);
        }
        long[] table = Qlookup.table(n.op(), n.attrs(), x8.dtype(), x8.type().quant(), qo);
        return lx.add(Ops.QLOOKUP, n.name(), List.of(x8), Int8Context.outAttrs(Attrs.EMPTY.with("table", table), qo, new int[] {-128, 127})).output(0);
    }

    /** Whether {@code n} has a fused activation that is not a clamp (tested on a scale-free probe). */
    static boolean hasNonClampActivation(Attrs a) {
        if (!FusedActivation.present(a)) return false;
        double[] probe = {-1e4, -100, -7, -6, -3, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 3, 5.99, 6, 6.01, 7, 100, 1e4};
        NdArray ends = FusedActivation.apply(a, NdArray.ofDoubles(Shape.of(2), -1e30, 1e30));
        double lo = ends.getDouble(0), hi = ends.getDouble(1);
        NdArray y = FusedActivation.apply(a, NdArray.ofDoubles(Shape.of(probe.length), probe));
        for (int i = 0; i < probe.length; i++) {
            double want = Math.max(lo, Math.min(hi, probe[i]));
            if (Math.abs(y.getDouble(i) - want) > 1e-9 * Math.max(1, Math.abs(want))) return true;
        }
        return false;
    }
}
