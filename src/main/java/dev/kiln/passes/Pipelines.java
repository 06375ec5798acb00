package dev.kiln.passes;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.util.ArrayList;
import java.util.List;

/**
 * The default pipelines, {@code -O0} to {@code -O3}: one line per pass, with why it is there. Each level runs
 * everything of the level below first, then its own passes, then the final cleanup.
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
            // quantized imports: before everything else, so every later pass sees plain float ops and annotations
            p.add(new KeepBlockedWeightsPacked());      // why: a blocked int4 weight folded to float takes 8x its flash; before the passes that fold constant dequantizes
            p.add(new AbsorbQuantBoundaries());         // why: QDQ pairs and QOperator ops become int8 annotations on float values (-O0 keeps exact float QDQ)
            // cleanup: cheap, always exact, and it exposes the patterns the later passes look for
            p.add(new FoldConstants());                 // why: shape arithmetic and constant-only subgraphs cost nothing at run time
            p.add(new InlineRegions());                 // why: an If whose condition folded to a constant runs one branch; its nodes join the graph's passes
            p.add(new RemoveIdentities());              // why: identity, dropout, no-op casts and reshape chains only copy data
            p.add(new EliminateCommonSubexpressions()); // why: exporters duplicate shape and constant subgraphs
            p.add(new EliminateDeadNodes());            // why: what the passes above left unused is gone before anyone plans memory for it
        }
        if (level >= 2) {
            // layout, folding and fusion
            p.add(new LowerEinsumToMatMul());           // why: an einsum that is a matrix product runs in the matmul kernel, not a generic loop; first, so its transposes meet the others
            p.add(new LowerAttentionToMatMul());        // why: a plain scaled-softmax attention runs its products in the blocked matmul kernel, not the per-row attention loop
            p.add(new RemoveTransposePairs());          // why: NHWC<->NCHW transposes around every conv (tf2onnx) cancel in the backend's layout
            p.add(new FoldBatchNorm());                 // why: a batch norm after a conv costs nothing once in its weights; a lone one becomes a fusable 1x1 conv
            p.add(new FoldScaleShift());                // why: a per-channel multiply after a conv is a weight scale, not a pass over the tensor
            p.add(new FuseBiasAdd());                   // why: a per-channel add after a conv is its bias, not a pass over the tensor
            p.add(new FuseBatchedBiasAdd());            // why: a transformer's linear layer on [batch, tokens, features] adds its bias in one gemm's store
            p.add(new FuseSoftmaxScale());              // why: attention's score scale (a constant mul/div before softmax) costs nothing inside softmax's pass
            p.add(new FusePad());                       // why: a zero pad before a conv or pool is its pads: the padded copy is never stored
            p.add(new FuseResidualAdd());               // why: a residual add in the conv's store saves a pass and the sum's buffer (act(conv + Z): before activations)
            p.add(new FuseActivations());               // why: an activation in the producer's store saves a pass and a buffer; after the adds it follows
        }
        if (level >= 3) {
            // structural rewrites: channels, ranks and kernel boundaries change
            p.add(new PruneDeadChannels());             // why: zero-weight channels cost MACs and memory for nothing; after FoldBatchNorm, BN-only channels show as constant
            p.add(new RewriteDepthwiseSeparable());     // why: opt-in (--dws-tolerance): a low-rank K×K conv costs fewer MACs as depthwise + 1×1
            p.add(new FuseDepthwisePointwise());        // why: a dw + 1×1 pair whose intermediate outweighs its input or output never stores it
            p.add(new FuseElementwiseChains());         // why: element-wise ops fusion left standing run as one loop in registers, without intermediate buffers
        }
        if (level >= 1) {
            // integer lowering: last, so it lowers the fused graph (it splits what int8 computes in steps)
            p.add(new LowerToInt8());                   // why: --int8 or a quantized model: int8 kernels, no float at run time
        }
        if (level >= 2) {
            p.add(new FuseInt8ResidualAdd());           // why: a residual qadd in the int8 conv's store writes the sum over the skip: two planes live, not three
            p.add(new FuseInt8Bottlenecks());           // why: on MCUs, an inverted residual body that sets the peak streams its expanded tensor a band of rows at a time
        }
        if (level >= 1) {
            // final cleanup: the rewrites above leave constants to fold, aliases to merge and dead nodes behind
            p.add(new FoldConstants());                 // why: rewrites leave constant-only nodes (e.g. a transposed weight)
            p.add(new RemoveIdentities());              // why: pushing transposes leaves reshapes to the same shape
            p.add(new EliminateDeadNodes());            // why: nothing unused reaches the memory planner
        }
        return new Pipeline("-O" + level, p);
    }
}
