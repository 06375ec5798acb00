package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ops.FusedActivation;
import java.util.ArrayList;

/**
 * Fuses an activation (any op {@link FusedActivation#canFuse} accepts: relu, clip, leaky_relu, hard_swish...) into
 * the op producing its input when that op takes a fused activation (conv, conv_transpose, gemm, matmul): the
 * activation runs on each output element in the producer's kernel, and its tensor is never stored.
 */
public final class FuseActivations implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (Node act : new ArrayList<>(g.nodes())) {
            if (!FusedActivation.canFuse(act)) continue;
            Node p = act.input(0).producer();
            // why: only ops with the fused-activation attributes run an activation in their kernel
            if (p == null || !p.op().signature().attrs().containsKey(FusedActivation.ACTIVATION)) continue;
            // why: the producer's output is changed for every reader
            if (!Rewrites.onlyUser(g, act.input(0), act)) {
                cx.skip(act.name(), "the output of " + p.name() + " has other readers");
                continue;
            }
            // why: one activation per node; a second one would need a chain
            if (FusedActivation.present(p.attrs())) {
                cx.skip(act.name(), p.name() + " already has a fused activation");
                continue;
            }
            // why: a fused activation runs on the float result in the kernel's register
            if (!p.output(0).dtype().isFloat()) {
                cx.skip(act.name(), p.name() + " has an integer output");
                continue;
            }
            // conv(x, w, b) -> relu -> conv(x, w, b, activation = relu)
            p.setAttrs(FusedActivation.fuse(p.attrs(), act));
            Rewrites.bypass(g, act, p.output(0));
            changed = true;
        }
        return changed;
    }
}
