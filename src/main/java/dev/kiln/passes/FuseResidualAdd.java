package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.FusedActivation;
import dev.kiln.ops.Ops;
import java.util.ArrayList;

/**
 * Fuses the add of a residual into the conv producing one of its operands: {@code add(conv(x, w, b), r)} becomes
 * {@code conv(x, w, b, Z = r)}, which computes {@code act(conv + b + Z)} per element (a following activation is
 * fused afterwards by {@link FuseActivations}). The sum is never stored apart from the conv's output. Where both
 * operands are convs, the one scheduled later absorbs the other, so nothing has to move.
 */
public final class FuseResidualAdd implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (Node add : new ArrayList<>(g.nodes())) {
            if (add.op() != Ops.ADD) continue;
            String[] why = {null};
            int ci = Rewrites.absorbingOperand(g, add, Ops.CONV, FuseResidualAdd::refusal, why);
            if (ci < 0) {
                if (why[0] != null) cx.skip(add.name(), why[0]);
                continue;
            }
            Value y = add.input(ci), r = add.input(1 - ci);
            Node conv = y.producer();
            // why: Z is read element for element, without broadcasting
            if (!r.type().equals(y.type()) || !add.output(0).type().equals(y.type())) {
                cx.skip(add.name(), "the residual " + r.type() + " does not have " + conv.name() + "'s output type " + y.type());
                continue;
            }
            // why: add(conv(x), conv(x)) would read the conv's own output
            if (r == y) {
                cx.skip(add.name(), "both operands are " + conv.name() + "'s output");
                continue;
            }
            // conv(x, w, b) + r -> conv(x, w, b, Z = r)
            conv.setInput(3, r);
            Rewrites.bypass(g, add, y);
            changed = true;
        }
        // why: the conv now reads r, which may be computed after it in the old order
        if (changed) g.sortTopologically();
        return changed;
    }

    /**
     * Why conv {@code p} cannot absorb a residual add (null: it can): one residual per conv, added before its
     * activation.
     */
    private static String refusal(Node p) {
        return p.input(3) != null || FusedActivation.present(p.attrs()) ? p.name() + " already adds a residual or applies an activation" : null;
    }
}
