package dev.kiln.passes;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.ChannelAffine;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Folds inference batch normalization {@code y = (x - mean) * a + B} with {@code a = scale / sqrt(var + eps)}
 * into the conv, conv_transpose, gemm or matmul producing x (weights times a, bias {@code b * a + B - mean * a},
 * a bias created where there was none). A batch norm with no such producer becomes a 1x1 depthwise conv with weights
 * a and bias {@code B - mean * a}: still one kernel, and one that the later fusions (activation, residual, pad) can
 * absorb into, which the batch_norm kernel cannot.
 */
public final class FoldBatchNorm implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (Node bn : new ArrayList<>(g.nodes())) {
            if (bn.op() != Ops.BATCH_NORM) continue;
            // why: the statistics are folded at compile time, so they must be known
            if (!(bn.input(1).isConstant() && bn.input(2).isConstant() && bn.input(3).isConstant() && bn.input(4).isConstant())) {
                cx.skip(bn.name(), "its scale, bias, mean or variance is computed at run time");
                continue;
            }
            int c = bn.input(0).shape().dim(1);
            double[][] affine = dev.kiln.ops.BatchNorm.affine(bn);
            double[] a = affine[0], shift = affine[1];
            Value x = bn.input(0);
            Node p = x.producer();
            String why = whyNotIntoProducer(g, bn, p);
            if (why == null) {
                ChannelAffine ca = (ChannelAffine) p.op();
                // conv(x, w, b) -> batch_norm -> conv(x, w * a, b * a + B - mean * a)
                Node r = Rewrites.replace(g, p, ca.fold(p, a, shift));
                Rewrites.bypass(g, bn, r.output(0));
                changed = true;
                continue;
            }
            // why: a quantized model that keeps a batch norm between its dequantize and quantize computes it in float
            // on the dequantized input; as an int8 1x1 conv its bias would round to the input grid's 1/127, a step
            // that the model's later layers amplify (a lone batch norm's gain is often several output steps per input
            // step: MobileNetV2 drifted 13-17 steps that way), so LowerToInt8 makes it a qaffine, whose bias is 2^16
            // times finer
            if (cx.quant().get(x) != null && cx.quant().get(bn.output(0)) != null) {
                cx.skip(bn.name(), why + "; and its input and output are quantized by the model (LowerToInt8 makes it a qaffine)");
                continue;
            }
            // why: a conv needs at least one spatial axis
            if (x.shape().rank() < 3) {
                cx.skip(bn.name(), why + "; and a lone batch norm on rank " + x.shape().rank() + " stays (a 1x1 conv needs a spatial axis)");
                continue;
            }
            // batch_norm(x) -> conv(x, a as [C, 1, 1...], B - mean * a, group = C)
            int[] wd = new int[x.shape().rank()];
            Arrays.fill(wd, 1);
            wd[0] = c;
            NdArray w = NdArray.zeros(x.dtype(), Shape.of(wd)), b = NdArray.zeros(x.dtype(), Shape.of(c));
            for (int i = 0; i < c; i++) {
                w.setDouble(i, a[i]);
                b.setDouble(i, shift[i]);
            }
            Value wv = g.addConstant(g.uniqueValueName(bn.name() + "_scale"), w), bv = g.addConstant(g.uniqueValueName(bn.name() + "_shift"), b);
            Node conv = g.insertNode(g.nodes().indexOf(bn), Ops.CONV, bn.name() + "_dw", List.of(x, wv, bv), Attrs.of("group", (long) c),
                    List.of(g.uniqueValueName(bn.output(0).name() + "_dw")));
            Rewrites.bypass(g, bn, conv.output(0));
            cx.report(bn.name() + ": lone batch norm became a 1x1 depthwise conv (" + why + ")");
            changed = true;
        }
        if (changed) g.removeUnusedConstants();
        return changed;
    }

    /** Why {@code bn} cannot fold into its input's producer {@code p}, or null. */
    private static String whyNotIntoProducer(Graph g, Node bn, Node p) {
        // why: only convolutions and matrix products have weights to absorb a per-channel scale
        if (p == null || !(p.op() instanceof ChannelAffine ca)) return "its input is not produced by a conv, gemm or matmul";
        // why: the producer's output is changed for every reader
        if (!Rewrites.onlyUser(g, bn.input(0), bn)) return "the output of " + p.name() + " has other readers";
        // why: batch norm's channel axis is 1; the producer's output channels must lie there
        if (ca.channelAxis(p) != 1) return p.name() + "'s output channels are not on axis 1";
        String why = ca.cannotFold(p, true);
        return why == null ? null : p.name() + ": " + why;
    }
}
