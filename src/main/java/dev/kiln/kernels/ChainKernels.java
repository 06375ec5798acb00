package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ops.FusedElementwise;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * C kernel lowering of {@code fused_elementwise} (templates/c/ops/chain.stg): one loop over the elements, each
 * step a {@code scalar_<op>} expression of the previous step's variable (unary activations: the formulas of
 * scalar.stg; binary ops: those of chain.stg, the other operand read with its broadcast terms).
 */
public final class ChainKernels {
    private ChainKernels() {}

    /** One step: its variable, its template and its operands. */
    public static final class Step {
        /** Binary step (reads {@link #operand} into {@link #b}) or unary. */
        public final boolean binary;
        /** The scalar template's name, {@code scalar_<op>}. */
        public final String template;
        /** A unary step's activation model (its attributes as literals). */
        public final Activation a;
        /** The variable read (unary), the variable written, the operand's variable (binary). */
        public final String in, out, b;
        /** A binary step's operands in the op's order (the running value and {@link #b}). */
        public final String first, second;
        /** The other operand of a binary step. */
        public final TensorInfo operand;

        Step(int i, FusedElementwise.Step s, KernelModel k, Activation a) {
            binary = s.operand() >= 0;
            template = "scalar_" + s.op().name();
            this.a = a;
            in = "v" + i;
            out = "v" + (i + 1);
            b = binary ? "b" + (i + 1) : null;
            first = binary ? (s.valueFirst() ? in : b) : null;
            second = binary ? (s.valueFirst() ? b : in) : null;
            operand = binary ? k.ins.get(s.operand()) : null;
        }
    }

    /**
     * Unary steps with a libm-free form in kiln_runtime.h that GCC vectorises (relative error below 3e-7, NaN stays
     * NaN), taken by f32 chains on C vector hosts optimised for speed: libm's expf inside tanh kept ViT's GELU
     * chain scalar. Their templates are the dialect's (OpenCL's call its built-ins).
     */
    private static final Map<String, String> VECTORISABLE = Map.of("tanh", "tanh_f32", "sigmoid", "sigmoid_f32");

    /** The model of a fused chain. */
    public static final class Chain {
        public final List<Step> steps = new ArrayList<>();
        /** The last step's variable (the output element). */
        public String last;
        /** The steps' op names, for a comment. */
        public String names;
    }

    /** Lowers {@code fused_elementwise}. */
    public static Object fusedElementwise(KernelModel k, Node n, Strategy t) {
        // why: the chain's variables are of the output's float type; integer chains are never fused
        if (!k.y.isFloat) throw new Unsupported("fused_elementwise on " + k.y.dtype + " (float only)");
        Chain m = new Chain();
        boolean vectorisable = n.output(0).dtype() == DType.F32 && t.optimizeForSpeed() && t.vectorBytes() >= 16;
        List<FusedElementwise.Step> steps = FusedElementwise.steps(n.attrs());
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < steps.size(); i++) {
            FusedElementwise.Step s = steps.get(i);
            Activation a = null;
            if (s.operand() < 0) {
                // a unary step is an activation: its C model is the stand-alone activation node's
                Graph probe = new Graph("chain_step");
                a = vectorisable && VECTORISABLE.containsKey(s.op().name())
                        ? Activation.of(VECTORISABLE.get(s.op().name()), s.attrs(), DType.F32)
                        : Activation.standalone(probe.addNode(s.op(), "step", List.of(probe.addInput("x", n.output(0).type())), s.attrs()));
            }
            m.steps.add(new Step(i, s, k, a));
            names.append(i == 0 ? "" : ", ").append(s.op().name());
        }
        m.last = "v" + steps.size();
        m.names = names.toString();
        return m;
    }
}
