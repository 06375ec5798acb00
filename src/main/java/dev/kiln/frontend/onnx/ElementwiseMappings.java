package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import java.util.List;

/** ONNX mappings of the element-wise arithmetic, math, comparison and activation ops: one method per ONNX op, named like it. */
public final class ElementwiseMappings {
    private ElementwiseMappings() {}

    // --- arithmetic and comparison (numpy broadcasting) ---

    public static void Add(OnnxNode n) { binary(n, Ops.ADD); }

    public static void Sub(OnnxNode n) { binary(n, Ops.SUB); }

    public static void Mul(OnnxNode n) { binary(n, Ops.MUL); }

    public static void Div(OnnxNode n) { binary(n, Ops.DIV); }

    public static void Pow(OnnxNode n) { binary(n, Ops.POW); }

    public static void Equal(OnnxNode n) { binary(n, Ops.EQUAL); }

    public static void PRelu(OnnxNode n) { n.emit(Ops.PRELU, List.of(n.input(0), n.input(1)), Attrs.EMPTY); }

    public static void Where(OnnxNode n) { n.emit(Ops.WHERE, n.inputs(), Attrs.EMPTY); }

    public static void Max(OnnxNode n) { n.emit(Ops.MAX, n.inputs(), Attrs.EMPTY); }

    public static void Min(OnnxNode n) { n.emit(Ops.MIN, n.inputs(), Attrs.EMPTY); }

    public static void Sum(OnnxNode n) { n.emit(Ops.SUM, n.inputs(), Attrs.EMPTY); }

    public static void Mean(OnnxNode n) { n.emit(Ops.MEAN, n.inputs(), Attrs.EMPTY); }

    // --- unary math ---

    public static void Abs(OnnxNode n) { unary(n, Ops.ABS); }

    public static void Neg(OnnxNode n) { unary(n, Ops.NEG); }

    public static void Sqrt(OnnxNode n) { unary(n, Ops.SQRT); }

    public static void Exp(OnnxNode n) { unary(n, Ops.EXP); }

    public static void Log(OnnxNode n) { unary(n, Ops.LOG); }

    public static void Reciprocal(OnnxNode n) { unary(n, Ops.RECIPROCAL); }

    public static void Floor(OnnxNode n) { unary(n, Ops.FLOOR); }

    public static void Ceil(OnnxNode n) { unary(n, Ops.CEIL); }

    public static void Erf(OnnxNode n) { unary(n, Ops.ERF); }

    // --- activations ---

    public static void Relu(OnnxNode n) { unary(n, Ops.RELU); }

    public static void Sigmoid(OnnxNode n) { unary(n, Ops.SIGMOID); }

    public static void Tanh(OnnxNode n) { unary(n, Ops.TANH); }

    public static void Softplus(OnnxNode n) { unary(n, Ops.SOFTPLUS); }

    public static void Mish(OnnxNode n) { unary(n, Ops.MISH); }

    public static void HardSwish(OnnxNode n) { unary(n, Ops.HARD_SWISH); }

    public static void LeakyRelu(OnnxNode n) { n.emit(Ops.LEAKY_RELU, List.of(n.input(0)), n.attrs("alpha")); }

    public static void Elu(OnnxNode n) { n.emit(Ops.ELU, List.of(n.input(0)), n.attrs("alpha")); }

    public static void HardSigmoid(OnnxNode n) { n.emit(Ops.HARD_SIGMOID, List.of(n.input(0)), n.attrs("alpha", "beta")); }

    /** Swish (opset 24): {@code x * sigmoid(alpha * x)}. */
    public static void Swish(OnnxNode n) { n.emit(Ops.SWISH, List.of(n.input(0)), n.attrs("alpha")); }

    /** Gelu (opset 20) with {@code approximate} "none" or "tanh". */
    public static void Gelu(OnnxNode n) {
        String m = n.attrString("approximate", "none");
        if (!m.equals("none") && !m.equals("tanh")) throw n.error("approximate must be \"none\" or \"tanh\", got \"%s\"", m);
        n.emit(Ops.GELU, List.of(n.input(0)), Attrs.of("approximate", m));
    }

    /**
     * Clip: bounds are attributes before opset 11 and optional inputs from opset 11. Constant bounds become Kiln
     * attributes; bounds computed at run time stay inputs.
     */
    public static void Clip(OnnxNode n) {
        Attrs a = Attrs.EMPTY;
        List<Value> ins = new java.util.ArrayList<>(java.util.Arrays.asList(n.input(0), null, null));
        if (n.opset() < 11) {
            if (n.hasAttr("min")) a = a.with("min", n.attrFloat("min", 0));
            if (n.hasAttr("max")) a = a.with("max", n.attrFloat("max", 0));
        } else {
            String[] names = {"min", "max"};
            for (int i = 1; i <= 2; i++) {
                Value v = n.input(i);
                if (v == null) continue;
                if (!v.isConstant()) {
                    ins.set(i, v);
                    continue;
                }
                NdArray c = v.constant();
                if (c.size() != 1) throw n.error("%s must be a scalar, got shape %s", names[i - 1], c.shape());
                a = a.with(names[i - 1], c.getDouble(0));
            }
        }
        while (ins.get(ins.size() - 1) == null) ins.remove(ins.size() - 1);
        n.emit(Ops.CLIP, ins, a);
    }

    // --- type conversion and identities ---

    /** Cast: the ONNX type code in {@code to} becomes a Kiln short type name. */
    public static void Cast(OnnxNode n) {
        long code = n.attrInt("to", -1);
        DType t = DType.fromOnnx((int) code);
        if (t == null) throw n.error("cannot cast to ONNX element type %d; Kiln has %s", code, java.util.Arrays.toString(DType.values()));
        n.emit(Ops.CAST, List.of(n.input(0)), castAttrs(n, t));
    }

    /**
     * Cast's attributes: the target type and, when the node gives them, saturate (which only float8 targets read)
     * and round_mode (which only float8e8m0 targets read).
     */
    private static Attrs castAttrs(OnnxNode n, DType t) {
        Attrs a = Attrs.of("to", t.shortName());
        String mode = n.attrString("round_mode", "up");
        if (!mode.equals("up") && !mode.equals("down") && !mode.equals("nearest"))
            throw n.error("round_mode must be up, down or nearest, got '%s'", mode);
        if (!mode.equals("up")) a = a.with("round_mode", mode);
        return n.attrInt("saturate", 1) == 0 ? a.with("saturate", 0L) : a;
    }

    /** BitCast (opset 26): the ONNX type code in {@code to} becomes a Kiln short type name; the bits are kept. */
    public static void BitCast(OnnxNode n) {
        long code = n.attrInt("to", -1);
        DType t = DType.fromOnnx((int) code);
        if (t == null) throw n.error("cannot bit-cast to ONNX element type %d", code);
        n.emit(Ops.BIT_CAST, List.of(n.input(0)), Attrs.of("to", t.shortName()));
    }

    /** CastLike (opset 15): a Cast to the element type of the second input. */
    public static void CastLike(OnnxNode n) {
        n.emit(Ops.CAST, List.of(n.input(0)), castAttrs(n, n.input(1).dtype()));
    }

    public static void Identity(OnnxNode n) { n.emit(Ops.IDENTITY, List.of(n.input(0)), Attrs.EMPTY); }

    /**
     * OptionalGetElement (opset 18) on a tensor: Kiln's values are always present tensors, so it is the identity.
     * Optional- and sequence-typed inputs are refused earlier, at the graph's inputs.
     */
    public static void OptionalGetElement(OnnxNode n) {
        if (!n.hasInput(0)) throw n.error("input 0 (input) is missing; OptionalGetElement needs a value to unwrap");
        n.emit(Ops.IDENTITY, List.of(n.input(0)), Attrs.EMPTY);
    }

    /**
     * OptionalHasElement (opset 18): a bool scalar constant, true when the input is given (every Kiln value is a
     * present tensor) and false when it is absent or named "".
     */
    public static void OptionalHasElement(OnnxNode n) {
        n.bindConstant(0, NdArray.ofLongs(DType.BOOL, Shape.scalar(), n.hasInput(0) ? 1 : 0));
    }

    /**
     * Dropout at inference is the identity. Before opset 12 the ratio is an attribute and there is no training
     * mode (Kiln ignores is_test); from opset 12, training_mode (input 2) may be a constant: true with a nonzero
     * ratio would drop randomly and is rejected. Before opset 10 the mask has the data's type, so it is cast.
     */
    public static void Dropout(OnnxNode n) {
        if (n.opset() >= 12 && n.hasInput(2)) {
            NdArray training = n.constInput(2, "training_mode");
            boolean train = training.size() > 0 && training.getLong(0) != 0;
            double ratio = n.hasInput(1) ? n.constInput(1, "ratio").getDouble(0) : 0.5;
            if (train && ratio != 0)
                throw n.error("training_mode is true with ratio %s: random dropout cannot be compiled; Kiln compiles inference", ratio);
        }
        boolean mask = n.hasOutput(1);
        List<Value> outs = n.emit(Ops.DROPOUT, List.of(n.input(0)), Attrs.EMPTY);
        if (mask && n.opset() < 10) {
            DType t = n.input(0).dtype();
            Value m = n.emitNode(Ops.CAST, List.of(outs.get(1)), Attrs.of("to", t.shortName()), 1, n.name() + "_mask").get(0);
            n.bindOutput(1, m);
        }
    }

    // --- helpers ---

    static void unary(OnnxNode n, OpDef op) { n.emit(op, List.of(n.input(0)), Attrs.EMPTY); }

    /**
     * A binary op with numpy broadcasting (opset 7 on). Before opset 7, {@code broadcast=1} with an {@code axis}
     * aligned B's dimensions at that axis of A rather than at the end; a constant B is reshaped with trailing
     * ones so numpy broadcasting means the same.
     */
    static void binary(OnnxNode n, OpDef op) {
        Value a = n.input(0), b = n.input(1);
        if (n.opset() < 7 && n.attrInt("broadcast", 0) != 0 && n.hasAttr("axis")) {
            int ra = a.shape().rank(), rb = b.shape().rank();
            long axis = n.attrInt("axis", 0);
            if (axis < 0) axis += ra;
            int trailing = (int) (ra - axis - rb);
            if (trailing < 0) throw n.error("legacy broadcast: B of rank %d does not fit at axis %d of A of rank %d", rb, axis, ra);
            if (trailing > 0) {
                if (!b.isConstant())
                    throw n.error("legacy broadcast with axis=%d needs B to be a constant (Kiln reshapes it for numpy broadcasting)", axis);
                int[] dims = new int[rb + trailing];
                System.arraycopy(b.shape().dims(), 0, dims, 0, rb);
                java.util.Arrays.fill(dims, rb, dims.length, 1);
                b = n.constant("b", b.constant().reshape(Shape.of(dims)));
            }
        }
        n.emit(op, List.of(a, b), Attrs.EMPTY);
    }
}
