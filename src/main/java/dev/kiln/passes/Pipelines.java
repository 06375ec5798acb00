package dev.kiln.passes;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.util.ArrayList;
import java.util.List;

/**
 * The default pipelines, {@code -O0} to {@code -O3}: one line per pass, with why it is there. Each level runs
 * everything of the level below first.
 */
public final class Pipelines {
    private Pipelines() {}

    /** The pipeline of optimisation level {@code level} (0 to 3). */
    public static Pipeline level(int level) {
        if (level < 0 || level > 3)
            throw new KilnException(Code.USAGE, Location.NONE, "-O" + level + ": there is no such optimisation level").withHint("use -O0, -O1, -O2 or -O3");
        List<Pass> p = new ArrayList<>();
        // -O0: nothing; the graph runs as imported.
        if (level >= 1) {
            // (cleanup passes)
        }
        if (level >= 2) {
            // (folding and fusion)
            p.add(new FoldBatchNorm()); // a batch norm after a conv costs nothing once in its weights; a lone one becomes a fusable 1x1 conv
            p.add(new FoldScaleShift()); // a per-channel multiply after a conv is a weight scale, not a pass over the tensor
            p.add(new FuseBiasAdd()); // a per-channel add after a conv is its bias, not a pass over the tensor
            p.add(new FusePad()); // a zero pad before a conv or pool is its pads: the padded copy is never stored
            p.add(new FuseResidualAdd()); // a residual add in the conv's store saves a pass and the sum's buffer (before activations: act(conv + Z))
            p.add(new FuseActivations()); // an activation in the producer's store saves a pass and a buffer; last, after the adds it follows
        }
        if (level >= 3) {
            // (rewrites that change the structure)
            p.add(new PruneDeadChannels()); // zero-weight channels cost MACs and arena for nothing; after FoldBatchNorm so BN-only channels show as constant
            p.add(new RewriteDepthwiseSeparable()); // opt-in (--dws-tolerance): a low-rank K×K conv costs fewer MACs as depthwise + 1×1
            p.add(new FuseDepthwisePointwise()); // a dw + 1×1 pair whose intermediate outweighs its input or output never stores it
            p.add(new FuseElementwiseChains()); // what fusion left of element-wise ops runs as one loop in registers, without intermediate buffers
        }
        return new Pipeline("-O" + level, p);
    }
}
