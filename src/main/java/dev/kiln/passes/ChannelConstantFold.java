package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.ChannelAffine;
import dev.kiln.ops.OpDef;
import java.util.ArrayList;

/**
 * The common part of {@link FuseBiasAdd} and {@link FoldScaleShift}: a binary op ({@code op}) of a conv / gemm /
 * matmul output and a constant that varies along the producer's output channels only, folded into the producer
 * as a per-channel scale or shift.
 */
abstract class ChannelConstantFold implements Pass {
    private final OpDef op;
    private final boolean isShift;

    ChannelConstantFold(OpDef op, boolean isShift) {
        this.op = op;
        this.isShift = isShift;
    }

    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (n.op() != op) continue;
            // the operand from a conv / gemm / matmul and the constant one (either order: add and mul commute)
            int pi = Rewrites.producerOperand(n, op -> op instanceof ChannelAffine);
            if (pi < 0) continue;
            Value y = n.input(pi), k = n.input(1 - pi);
            Node p = y.producer();
            ChannelAffine ca = (ChannelAffine) p.op();
            // why: the other operand is folded into weights at compile time (an add of two tensors is no bias add)
            if (!k.isConstant()) continue;
            // why: a broadcast that grows the producer's output cannot be absorbed by it
            if (!n.output(0).shape().equals(y.shape()) || n.output(0).dtype() != y.dtype()) {
                cx.skip(n.name(), "it broadcasts " + p.name() + "'s output to " + n.output(0).type());
                continue;
            }
            // why: the producer's output is changed for every reader
            if (!Rewrites.onlyUser(g, y, n)) {
                cx.skip(n.name(), "the output of " + p.name() + " has other readers");
                continue;
            }
            double[] v = Rewrites.perChannel(k.constant(), y.shape(), ca.channelAxis(p));
            // why: weights and bias hold one value per output channel
            if (v == null) {
                cx.skip(n.name(), "constant " + k.shape() + " is not one value per output channel of " + p.name());
                continue;
            }
            String why = ca.cannotFold(p, isShift);
            if (why != null) {
                cx.skip(n.name(), p.name() + ": " + why);
                continue;
            }
            // conv(x, w, b) + c -> conv(x, w, b + c);  conv(x, w, b) * s -> conv(x, w * s, b * s)
            Node r = Rewrites.replace(g, p, isShift ? ca.fold(p, null, v) : ca.fold(p, v, null));
            Rewrites.bypass(g, n, r.output(0));
            changed = true;
        }
        if (changed) g.removeUnusedConstants();
        return changed;
    }
}
