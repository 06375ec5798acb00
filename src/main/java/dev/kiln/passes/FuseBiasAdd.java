package dev.kiln.passes;

import dev.kiln.ops.Ops;

/**
 * Folds {@code add(conv(x), c)} with a constant c holding one value per output channel (shapes like [M, 1, 1],
 * [1, M, 1, 1], a scalar; [N] after a gemm or matmul) into the producer's bias, summed with any existing one; a
 * plain matmul becomes a gemm whose C is the bias.
 */
public final class FuseBiasAdd extends ChannelConstantFold {
    public FuseBiasAdd() { super(Ops.ADD, true); }
}
