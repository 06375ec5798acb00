package dev.kiln.passes;

import dev.kiln.ops.Ops;

/**
 * Folds {@code mul(conv(x), s)} with a constant s holding one value per output channel into the producer's
 * weights and bias (both times s). The shift half of a scale-shift, the add that usually follows, is
 * {@link FuseBiasAdd}'s.
 */
public final class FoldScaleShift extends ChannelConstantFold {
    public FoldScaleShift() { super(Ops.MUL, false); }
}
