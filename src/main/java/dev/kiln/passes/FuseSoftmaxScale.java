package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.ops.SoftmaxOp;
import java.util.ArrayList;

/**
 * Fuses a multiply or divide by one constant into the softmax (or log-softmax) reading it: {@code softmax(x * c)}
 * and {@code softmax(x / c)} become {@code softmax(x, scale = c or 1 / c)}, so attention's score scale is applied
 * as softmax reads its row and the scaled scores are never stored.
 */
public final class FuseSoftmaxScale implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (Node sm : new ArrayList<>(g.nodes())) {
            if (!(sm.op() instanceof SoftmaxOp)) continue;
            Node p = sm.input(0).producer();
            if (p == null || (p.op() != Ops.MUL && p.op() != Ops.DIV)) continue;
            // which operand is the one constant (a divisor only on the right)
            int ci = p.input(1).isConstant() && p.input(1).shape().size() == 1 ? 1
                    : p.op() == Ops.MUL && p.input(0).isConstant() && p.input(0).shape().size() == 1 ? 0 : -1;
            // why: only a single factor applies to every element of the row alike
            if (ci < 0) {
                cx.skip(sm.name(), p.name() + " has no single constant factor");
                continue;
            }
            Value x = p.input(1 - ci);
            // why: the product must not broadcast x (its shape is softmax's) and must be float like the softmax
            if (!x.shape().equals(p.output(0).shape()) || x.dtype() != p.output(0).dtype()) {
                cx.skip(sm.name(), p.name() + " broadcasts its input");
                continue;
            }
            // why: the scaled tensor disappears, so nobody else may read it
            if (!Rewrites.onlyUser(g, p.output(0), sm)) {
                cx.skip(sm.name(), "the output of " + p.name() + " has other readers");
                continue;
            }
            double c = p.input(ci).constant().getDouble(0);
            double scale = sm.attrs().getFloat(SoftmaxOp.SCALE, 1.0) * (p.op() == Ops.MUL ? c : 1 / c);
            // why: a zero or non-finite factor makes every row NaN or uniform in a way x * 0 spells out exactly
            if (!Double.isFinite(scale) || scale == 0) {
                cx.skip(sm.name(), p.name() + " scales by " + c);
                continue;
            }
            // softmax(x * c) -> softmax(x, scale = c)
            sm.setAttrs(sm.attrs().with(SoftmaxOp.SCALE, scale));
            sm.setInput(0, x);
            g.removeNode(p);
            changed = true;
        }
        if (changed) g.removeUnusedConstants();
        return changed;
    }
}
