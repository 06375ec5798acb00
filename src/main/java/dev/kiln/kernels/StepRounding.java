package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ops.RoundingSteps;

/**
 * How a widened Softmax, LogSoftmax or Attention kernel rounds its steps to f16 or bf16 ({@link RoundingSteps}):
 * kiln_types.h's converters there and back (template {@code round_step}), and whether a row's sum rounds after
 * every addition (bf16) or once at its end (f16).
 */
public final class StepRounding {
    /** The converters: f32 to the type's bits ({@code kiln_f32_to_bf16}) and back ({@code kiln_bf16_to_f32}). */
    public final String to, from;
    /** Whether each addition of a row's sum rounds (bf16). */
    public final boolean sumRounds;

    private StepRounding(DType t) {
        String s = t.shortName();
        this.to = "kiln_f32_to_" + s;
        this.from = "kiln_" + s + "_to_f32";
        this.sumRounds = t == DType.BF16;
    }

    /** The rounding of node {@code n}'s steps, or null when it rounds only its output; adds kiln_types.h to {@code k}'s headers. */
    static StepRounding of(KernelModel k, Node n) {
        DType t = RoundingSteps.of(n.attrs(), n.input(0).dtype());
        if (t == null) return null;
        k.runtimeHeaders.add("kiln_types.h");
        return new StepRounding(t);
    }
}
