package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * An activation fused into the op that produces its input (conv, gemm, matmul...): the producing node carries
 * the activation op's registry name in the STRING attribute {@code activation} ("" or absent: none) and the
 * activation's FLOAT attributes, in the order of its signature, in the FLOATS attribute {@code activation_params}
 * (NaN where the attribute is absent, e.g. clip without a lower bound).
 *
 * <p>Nothing here knows any activation by name: an op can be fused when it has {@link Trait#ACTIVATION}, one
 * input, one output and only FLOAT attributes, and the fused result is computed by the activation op's own
 * {@link OpDef#evaluate}, so a fused node gives bit for bit what the two nodes gave.
 */
public final class FusedActivation {
    /** The attribute naming the fused activation op. */
    public static final String ACTIVATION = "activation";
    /** The attribute holding the activation's FLOAT attributes in signature order. */
    public static final String PARAMS = "activation_params";

    /** The name of the optional residual input a fused op adds before its activation (conv's {@code Z}). */
    public static final String RESIDUAL = "Z";

    private FusedActivation() {}

    /** The index of a node's residual input (the signature's input {@link #RESIDUAL}) when it is given, else -1. */
    public static int residualInput(Node n) {
        List<Signature.Port> ports = n.op().signature().inputs();
        for (int i = 0; i < ports.size(); i++) if (ports.get(i).name().equals(RESIDUAL) && n.input(i) != null) return i;
        return -1;
    }

    /** Adds the {@code activation} and {@code activation_params} attributes (both optional) to an op's signature. */
    public static Signature.Builder addAttrs(Signature.Builder b) {
        return b.optionalAttr(ACTIVATION, AttrType.STRING).optionalAttr(PARAMS, AttrType.FLOATS);
    }

    /**
     * Whether node {@code act} can become a fused activation: its op has {@link Trait#ACTIVATION}, it has exactly
     * one input present (input 0) and one output, its input is a float tensor, and every attribute its op's
     * signature declares is FLOAT (so {@code activation_params} can hold them all).
     */
    public static boolean canFuse(Node act) {
        OpDef op = act.op();
        if (!op.has(Trait.ACTIVATION)) return false;
        if (act.outputs().size() != 1 || act.input(0) == null) return false;
        for (int i = 1; i < act.numInputs(); i++) if (act.input(i) != null) return false;
        Value x = act.input(0);
        if (!x.dtype().isFloat()) return false;
        for (Signature.Attr a : op.signature().attrs().values()) if (a.type() != AttrType.FLOAT) return false;
        return true;
    }

    /** The attributes {@code into} with {@code act}'s activation fused in ({@link #canFuse} must hold). */
    public static Attrs fuse(Attrs into, Node act) {
        if (!canFuse(act)) throw new IllegalArgumentException(act + " cannot be fused as an activation");
        List<Signature.Attr> sig = new ArrayList<>(act.op().signature().attrs().values());
        double[] params = new double[sig.size()];
        for (int i = 0; i < params.length; i++) params[i] = act.attrs().getFloat(sig.get(i).name(), Double.NaN);
        return into.with(ACTIVATION, act.op().name()).with(PARAMS, params);
    }

    /** Whether a node's attributes name a fused activation. */
    public static boolean present(Attrs nodeAttrs) {
        return !nodeAttrs.getString(ACTIVATION, "").isEmpty();
    }

    /** The fused activation's op, or null when there is none. */
    public static OpDef op(Attrs nodeAttrs) {
        if (!present(nodeAttrs)) return null;
        String name = nodeAttrs.getString(ACTIVATION);
        OpDef op = Ops.get(name);
        if (op == null) throw new IllegalArgumentException("unknown fused activation '" + name + "'");
        return op;
    }

    /**
     * The fused activation's own attributes, rebuilt from {@code activation_params} (NaN entries are left out,
     * so the op's defaults or "absent" meaning apply), or null when there is none.
     */
    public static Attrs attrs(Attrs nodeAttrs) {
        OpDef op = op(nodeAttrs);
        if (op == null) return null;
        List<Signature.Attr> sig = new ArrayList<>(op.signature().attrs().values());
        double[] params = nodeAttrs.has(PARAMS) ? nodeAttrs.getFloats(PARAMS) : new double[0];
        if (params.length > sig.size())
            throw new IllegalArgumentException(op.name() + " takes " + sig.size() + " activation parameters, got " + params.length);
        Attrs r = Attrs.EMPTY;
        for (int i = 0; i < sig.size(); i++) {
            Signature.Attr a = sig.get(i);
            if (i < params.length && !Double.isNaN(params[i])) r = r.with(a.name(), params[i]);
            else if (a.dflt() != null) r = r.with(a.name(), a.dflt());
        }
        return r;
    }

    /**
     * Applies the fused activation named by {@code nodeAttrs} to {@code y} with the activation op's own
     * {@code evaluate}; returns {@code y} itself when there is none.
     */
    public static NdArray apply(Attrs nodeAttrs, NdArray y) {
        OpDef op = op(nodeAttrs);
        if (op == null) return y;
        EvalContext cx = new EvalContext(op.name(), List.of(y), attrs(nodeAttrs), List.of(y.type()));
        return op.evaluate(cx).get(0);
    }

    /** Checks the fused-activation attributes of a node during inference (known op, fusable, right param count). */
    static void check(InferContext cx) {
        Attrs a = cx.attrs();
        if (!present(a)) return;
        OpDef op = Ops.get(a.getString(ACTIVATION));
        cx.check(op != null && op.has(Trait.ACTIVATION), "activation '%s' is not an activation op", a.getString(ACTIVATION));
        cx.check(cx.dtype(0).isFloat(), "a fused activation needs a float output, got %s", cx.dtype(0));
        int n = op.signature().attrs().size();
        for (Signature.Attr s : op.signature().attrs().values())
            cx.check(s.type() == AttrType.FLOAT, "activation '%s' has a non-float attribute '%s'", op.name(), s.name());
        cx.check(!a.has(PARAMS) || a.getFloats(PARAMS).length <= n, "activation '%s' takes %d parameters, got %d",
                op.name(), n, a.has(PARAMS) ? a.getFloats(PARAMS).length : 0);
    }
}
