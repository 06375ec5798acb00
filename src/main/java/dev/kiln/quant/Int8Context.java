package dev.kiln.quant;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.FusedActivation;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.ops.QuantAttrs;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an int8 lowering rule ({@link Int8Lowerings}) works with: the graph, the annotations, the int8 twin of
 * every float value lowered so far, and helpers to add nodes and constants. A rule that cannot lower its node
 * throws {@link Refused} with the reason; the node then stays float.
 */
public final class Int8Context {
    /** Why a node stays float. */
    public static final class Refused extends RuntimeException {
        public Refused(String why) { super(why, null, false, false); }
    }

    private final Graph g;
    private final QuantAnnotations ann;
    private final Map<Value, Value> int8Of = new IdentityHashMap<>();
    private final Set<Node> created;
    private final boolean compactMultipliers;
    private final DType weightType;

    Int8Context(Graph g, QuantAnnotations ann, Set<Node> created, boolean compactMultipliers, DType weightType) {
        this.g = g;
        this.ann = ann;
        this.created = created;
        this.compactMultipliers = compactMultipliers;
        this.weightType = weightType;
    }

    /** The type the lowering quantizes product weights to: i8, or i4 ({@code --weights int4}), used as int8 values. */
    public DType weightType() { return weightType; }

    /** The attributes of an int8 product (qconv, qmatmul) with the compilation's multiplier form: {@code a} plus compact_multipliers when asked for. */
    public Attrs productAttrs(Attrs a) { return compactMultipliers ? a.with(dev.kiln.ops.QuantAttrs.COMPACT_MULTIPLIERS, 1L) : a; }

    public Graph graph() { return g; }

    /** Records that float value {@code f} (what float readers see) has the int8 twin {@code q}. */
    void twin(Value f, Value q) { int8Of.put(f, q); }

    /** The int8 twin of float value {@code f}, or null. */
    public Value twinOf(Value f) { return int8Of.get(f); }

    /** Whether weight {@code v}'s annotation is a quantized model's int4 grid (its lowering keeps int4). */
    public boolean int4Annotation(Value v) { return ann.isInt4(v); }

    /** The annotation (activation parameters) of float value {@code v}, or null. */
    public QuantParams annotation(Value v) { return ann.get(v); }

    /**
     * The int8 view of {@code v}: its twin if it was lowered, itself if it is already int8 with parameters, else
     * a quantize_linear of it with its annotation (refused when it has none).
     */
    public Value q(Value v) {
        Value t = int8Of.get(v);
        if (t != null) return t;
        if ((v.dtype() == DType.I8 || v.dtype() == DType.U8) && v.type().quant() != null) return v;
        if (!v.dtype().isFloat()) throw new Refused("input '" + v.name() + "' is " + v.dtype() + " without quantization parameters");
        QuantParams p = ann.get(v);
        if (p == null) throw new Refused("value '" + v.name() + "' has no quantization parameters (not calibrated or annotated)");
        Node qn = add(Ops.QUANTIZE_LINEAR, v.name() + "_q", List.of(v, scalar(v.name() + "_scale", p.scale(0)), zeroPoint(v.name() + "_zp", p.zeroPoint(0))),
                Attrs.EMPTY);
        Value r = qn.output(0);
        r.setType(r.type().withQuant(p));
        int8Of.put(v, r);
        return r;
    }

    /** The parameters the output {@code v} must have (its annotation); refused when it has none. */
    public QuantParams out(Value v) {
        QuantParams p = ann.get(v);
        if (p == null) throw new Refused("output '" + v.name() + "' has no quantization parameters (not calibrated or annotated)");
        return p;
    }

    /** Adds a node (recorded as created by the lowering). */
    public Node add(OpDef op, String name, List<Value> ins, Attrs attrs) {
        Node n = g.addNode(op, g.uniqueNodeName(name), ins, attrs);
        created.add(n);
        return n;
    }

    /** Adds a constant with quantization parameters {@code q} (may be null). */
    public Value constant(String name, NdArray data, QuantParams q) {
        Value v = g.addConstant(g.uniqueValueName(name), data);
        if (q != null) v.setType(v.type().withQuant(q));
        return v;
    }

    Value scalar(String name, float v) { return constant(name, NdArray.ofFloats(Shape.of(), v), null); }

    Value zeroPoint(String name, long zp) { return constant(name, NdArray.ofLongs(DType.I8, Shape.of(), zp), null); }

    /** A dequantize_linear of int8 value {@code q} back to float (for readers that stay float). */
    Value dequantize(Value q, String name) {
        QuantParams p = q.type().quant();
        Node n = g.addNode(Ops.DEQUANTIZE_LINEAR, g.uniqueNodeName(name), List.of(q, scalar(name + "_scale", p.scale(0)),
                constant(name + "_zp", NdArray.ofLongs(q.dtype(), Shape.of(), p.zeroPoint(0)), null)), Attrs.EMPTY);
        created.add(n);
        return n.output(0);
    }

    /** The output attributes of an int8 op: {@code out} as out_scale/out_zero_point and the clamp {@code range}. */
    public static Attrs outAttrs(Attrs a, QuantParams out, int[] range) {
        return a.with(QuantAttrs.OUT_SCALE, (double) out.scale(0)).with(QuantAttrs.OUT_ZERO_POINT, out.zeroPoint(0))
                .with(QuantAttrs.ACT_MIN, (long) range[0]).with(QuantAttrs.ACT_MAX, (long) range[1]);
    }

    /**
     * The fused activation of a node's attributes as a clamp of the output's quantized range: {@code [-128, 127]}
     * without one; the range when the activation, quantized with {@code out}, is a clamp on every int8 output
     * value (relu, relu6, clip...); refused otherwise. Checked by evaluating the activation, not by its name.
     */
    public static int[] clampRange(Attrs nodeAttrs, QuantParams out) {
        if (!FusedActivation.present(nodeAttrs)) return new int[] {-128, 127};
        int[] r = clampOf(v -> FusedActivation.apply(nodeAttrs, v), out);
        if (r == null) throw new Refused("its fused activation " + nodeAttrs.getString(FusedActivation.ACTIVATION) + " is not a clamp of the int8 range");
        return r;
    }

    /** The clamp range of function {@code f} on the int8 grid of {@code out} and beyond it, or null if it is not a clamp there. */
    public static int[] clampOf(java.util.function.UnaryOperator<NdArray> f, QuantParams out) {
        // why: the int8 op saturates a pre-activation value off the grid to -128 or 127 before the clamp, so f must
        // also give lo (hi) everywhere below (above) the grid; a function constant on the grid alone is no clamp
        double[] beyond = {0.01, 0.5, 1, 10, 1e3, 1e6};
        int n = 256 + 2 * beyond.length;
        float[] xs = new float[n];
        for (int q = -128; q < 128; q++) xs[q + 128] = out.scale(0) * (q - out.zeroPoint(0));
        float span = Math.max(xs[255] - xs[0], Float.MIN_NORMAL);
        for (int k = 0; k < beyond.length; k++) {
            xs[256 + 2 * k] = (float) (xs[0] - span * beyond[k]);
            xs[257 + 2 * k] = (float) (xs[255] + span * beyond[k]);
        }
        NdArray y = f.apply(NdArray.ofFloats(Shape.of(n), xs));
        long[] r = new long[n];
        for (int i = 0; i < n; i++) r[i] = QuantMath.quantize(y.getDouble(i), out);
        long lo = r[0], hi = r[255];
        if (lo > hi) return null;
        for (int i = 0; i < 256; i++) if (r[i] != Math.max(lo, Math.min(hi, i - 128))) return null;
        for (int k = 0; k < beyond.length; k++) if (r[256 + 2 * k] != lo || r[257 + 2 * k] != hi) return null;
        return new int[] {(int) lo, (int) hi};
    }

    /** Whether an int8 node has the common output attributes (so a following clamp can merge into it). */
    static boolean hasOutAttrs(Node n) { return n.op().signature().attrs().containsKey(QuantAttrs.ACT_MIN); }

    boolean createdHere(Node n) { return created.contains(n); }

    /** An int8 type with parameters {@code q}. */
    static TensorType int8(Shape s, QuantParams q) { return new TensorType(DType.I8, s, q); }
}
