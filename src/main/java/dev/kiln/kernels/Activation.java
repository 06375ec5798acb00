package dev.kiln.kernels;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ops.FusedActivation;
import dev.kiln.ops.OpDef;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The model of one activation as a C expression, handed to the templates of {@code templates/c/ops/scalar.stg}
 * as {@code a}: {@code scalar_<op>(a, v)} is the activation of the C variable {@code v}, and
 * {@code fused_activation(a, v)} dispatches to it by {@link #template} (or yields {@code v} when there is none).
 * Field names match {@link KernelModel}'s, so a standalone kernel may hand its {@code k} to the same templates.
 */
public final class Activation {
    /** Whether there is an activation at all. */
    public final boolean present;
    /** The scalar template's name, {@code scalar_<op>} (null when absent). */
    public final String template;
    /** The activation's FLOAT attributes that are set, as literals of {@link #ftype} (absent ones are missing). */
    public final Map<String, String> attr;
    /** The C type the activation computes in, and the math.h suffix for it. */
    public final String ftype, mf;
    /** 0, 1, 0.5 and 1/6 rounded to float (HardSwish's fixed slope) as literals of {@link #ftype}. */
    public final String zero, one, half, sixth;

    private Activation(OpDef op, Attrs attrs, DType compute) {
        this(op == null ? null : "scalar_" + op.name(), attrs, compute);
    }

    private Activation(String template, Attrs attrs, DType compute) {
        present = template != null;
        this.template = template;
        Map<String, String> a = new TreeMap<>();
        if (attrs != null)
            for (Map.Entry<String, Object> e : attrs.asMap().entrySet())
                if (e.getValue() instanceof Double) a.put(e.getKey(), ScalarTypes.literal(compute, (Double) e.getValue()));
        attr = Collections.unmodifiableMap(a);
        ftype = ScalarTypes.ctype(compute);
        mf = compute == DType.F64 ? "" : "f";
        zero = ScalarTypes.literal(compute, 0.0);
        one = ScalarTypes.literal(compute, 1.0);
        half = ScalarTypes.literal(compute, 0.5);
        sixth = ScalarTypes.literal(compute, 1.0f / 6.0f);
    }

    /** The float type a kernel producing {@code t} computes in: double for f64, float otherwise. */
    private static DType compute(DType t) { return t == DType.F64 ? DType.F64 : DType.F32; }

    /** The activation rendered by the scalar template {@code template} with the FLOAT attributes of {@code attrs}. */
    public static Activation of(String template, Attrs attrs, DType compute) { return new Activation(template, attrs, compute); }

    /** The activation fused into node {@code n} ({@link FusedActivation}); {@link #present} is false when none. */
    public static Activation fused(Node n) {
        return new Activation(FusedActivation.op(n.attrs()), FusedActivation.attrs(n.attrs()), compute(n.output(0).dtype()));
    }

    /** The activation computed by a standalone activation node {@code n} (its own op and attributes). */
    public static Activation standalone(Node n) {
        return new Activation(n.op(), n.attrs(), compute(n.output(0).dtype()));
    }
}
