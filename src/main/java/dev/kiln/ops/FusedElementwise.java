package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A chain of element-wise float ops as one op: starting from input 0 (of the output's shape), each step applies
 * an op to the running value, and binary steps also to one of the node's other inputs (broadcast to the output).
 *
 * <p>Attributes, one entry per step: {@code steps} (op names), {@code operands} (the node input a binary step
 * reads besides the running value, -1 for a unary step), {@code value_first} (1 when the running value is the
 * step's first operand, 0 when second: {@code sub(c, v)}), and {@code params}: every step's FLOAT attributes in
 * its signature's order, concatenated (NaN where absent), as {@link FusedActivation} stores an activation's.
 *
 * <p>The reference evaluation applies each op's own {@link OpDef#evaluate} in turn, so a fused chain gives bit for
 * bit what the separate nodes gave; nothing here knows an op by name.
 */
public final class FusedElementwise extends OpDef {
    public static final String STEPS = "steps", OPERANDS = "operands", VALUE_FIRST = "value_first", PARAMS = "params";

    public FusedElementwise() {
        super("fused_elementwise", Signature.builder().variadicInput("X").output("Y")
                .requiredAttr(STEPS, AttrType.STRINGS).requiredAttr(OPERANDS, AttrType.INTS).requiredAttr(VALUE_FIRST, AttrType.INTS)
                .attr(PARAMS, AttrType.FLOATS, new double[0]).build(), Trait.ELEMENTWISE);
    }

    @Override
    public String summary() { return "a chain of element-wise float ops computed in one pass over the data"; }

    /** One step of a chain: the op, its attributes, and its second operand's input index (-1: none). */
    public record Step(OpDef op, Attrs attrs, int operand, boolean valueFirst) {}

    /** The FLOAT attributes of {@code op}'s signature, in order (a step's share of {@code params}). */
    public static List<Signature.Attr> floatAttrs(OpDef op) {
        List<Signature.Attr> r = new ArrayList<>();
        for (Signature.Attr a : op.signature().attrs().values()) if (a.type() == AttrType.FLOAT) r.add(a);
        return r;
    }

    /** The steps described by a node's attributes; throws IllegalArgumentException when they are inconsistent. */
    public static List<Step> steps(Attrs a) {
        String[] names = a.getStrings(STEPS);
        long[] operands = a.getInts(OPERANDS), first = a.getInts(VALUE_FIRST);
        double[] params = a.getFloatsOrNull(PARAMS);
        if (params == null) params = new double[0];
        if (names.length == 0 || operands.length != names.length || first.length != names.length)
            throw new IllegalArgumentException("steps, operands and value_first must have one entry per step (" + names.length + ", "
                    + operands.length + ", " + first.length + ")");
        List<Step> r = new ArrayList<>();
        int p = 0;
        for (int i = 0; i < names.length; i++) {
            OpDef op = Ops.get(names[i]);
            if (op == null || !(op.has(Trait.ELEMENTWISE) || op.has(Trait.ACTIVATION)))
                throw new IllegalArgumentException("step " + i + ": '" + names[i] + "' is not an element-wise op");
            Attrs sa = Attrs.EMPTY;
            for (Signature.Attr s : floatAttrs(op)) {
                if (p >= params.length) throw new IllegalArgumentException("params has too few values for step " + i + " (" + names[i] + ")");
                double v = params[p++];
                if (!Double.isNaN(v)) sa = sa.with(s.name(), v);
                else if (s.dflt() != null) sa = sa.with(s.name(), s.dflt());
            }
            r.add(new Step(op, sa, (int) operands[i], first[i] != 0));
        }
        if (p != params.length) throw new IllegalArgumentException("params has " + params.length + " values, the steps take " + p);
        return r;
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        Shape out = cx.shape(0);
        List<Step> steps;
        try {
            steps = steps(cx.attrs());
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        for (int i = 0; i < steps.size(); i++) {
            int o = steps.get(i).operand();
            if (o < 0) continue;
            cx.check(o < cx.numInputs() && cx.has(o), "step %d reads input %d, which is not given", i, o);
            cx.checkSameDType(0, o);
            cx.check(Broadcast.broadcastsTo(cx.shape(o), out), "step %d: operand %s does not broadcast to %s", i, cx.shape(o), out);
        }
        return List.of(cx.input(0).withQuant(null));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray v = cx.input(0);
        List<TensorType> type = List.of(cx.outputType(0));
        for (Step s : steps(cx.attrs())) {
            List<NdArray> ins = s.operand() < 0 ? List.of(v)
                    : s.valueFirst() ? Arrays.asList(v, cx.input(s.operand())) : Arrays.asList(cx.input(s.operand()), v);
            v = s.op().evaluate(new EvalContext(cx.nodeName(), ins, s.attrs(), type)).get(0);
        }
        return List.of(v);
    }
}
