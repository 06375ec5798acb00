package dev.kiln.passes;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.ops.QuantAttrs;
import dev.kiln.ops.Qconv;
import java.util.ArrayList;

/**
 * Fuses an int8 residual add into the qconv producing one of its operands: {@code qadd(qconv(x, w, b), r)} becomes
 * {@code qconv(x, w, b, Z = r)} with the qadd's output scale, zero point and clamp as the conv's {@code sum_*}
 * attributes. The conv still requantizes to its own int8 value and then adds Z to it as qadd does, so the bytes are
 * the unfused graph's; but the conv's output is never stored apart, and since each element of Z is read just before
 * that element of the output is written, the sum may be written over the residual: a residual block needs two
 * planes during its last conv instead of three.
 */
public final class FuseInt8ResidualAdd implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (Node add : new ArrayList<>(g.nodes())) {
            if (add.op() != Ops.QADD) continue;
            Value out = add.output(0);
            // why: Z is read element for element, without broadcasting, and is int8 like the conv's output
            if (add.input(0) == null || add.input(1) == null || !add.input(0).shape().equals(out.shape())
                    || !add.input(1).shape().equals(out.shape())) {
                cx.skip(add.name(), "an operand is broadcast to " + out.shape());
                continue;
            }
            String[] why = {null};
            int ci = Rewrites.absorbingOperand(g, add, Ops.QCONV, FuseInt8ResidualAdd::refusal, why);
            if (ci < 0) {
                if (why[0] != null) cx.skip(add.name(), why[0]);
                continue;
            }
            Value y = add.input(ci), r = add.input(1 - ci);
            Node conv = y.producer();
            // why: the conv's kernels read Z as int8 at its own scale (one per tensor)
            if (r.dtype() != DType.I8 || r.type().quant() == null || r.type().quant().perChannel()) {
                cx.skip(add.name(), "the residual " + r.type() + " is not int8 quantized per tensor");
                continue;
            }
            // why: qadd(qconv(x), qconv(x)) would read the conv's own output
            if (r == y) {
                cx.skip(add.name(), "both operands are " + conv.name() + "'s output");
                continue;
            }
            // qadd(qconv(x, w, b), r) -> qconv(x, w, b, Z = r), the qadd's output parameters as sum_*
            conv.setAttrs(conv.attrs().with(Qconv.SUM_SCALE, add.attrs().getFloat(QuantAttrs.OUT_SCALE))
                    .with(Qconv.SUM_ZERO_POINT, add.attrs().getInt(QuantAttrs.OUT_ZERO_POINT, 0))
                    .with(Qconv.SUM_ACT_MIN, add.attrs().getInt(QuantAttrs.ACT_MIN, -128))
                    .with(Qconv.SUM_ACT_MAX, add.attrs().getInt(QuantAttrs.ACT_MAX, 127)));
            conv.setInput(3, r);
            y.setType(out.type());
            Rewrites.bypass(g, add, y);
            changed = true;
        }
        // why: the conv now reads r, which may be computed after it in the old order
        if (changed) g.sortTopologically();
        return changed;
    }

    /** Why qconv {@code p} cannot absorb a qadd (null: it can). */
    private static String refusal(Node p) {
        // why: one residual per conv
        if (p.input(3) != null) return p.name() + " already adds a residual";
        // why: the depthwise kernels (one input channel per group) have no residual store
        if (p.attrs().getInt("group", 1) >= p.input(0).shape().dim(1)) return p.name() + " is depthwise";
        // why: a 1x1 conv's kernel may already write over its own input; taking Z's bytes instead cost MobileNetV2
        // at 96x96 (cortex-m4f) 8 KB more arena than the unfused qadd
        if (p.input(1).shape().numel() == (long) p.input(1).shape().dim(0) * p.input(1).shape().dim(1)) return p.name() + " is 1x1";
        return null;
    }
}
