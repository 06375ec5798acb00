package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX mappings of the losses and of the training-mode forms that are deterministic: one method per ONNX op,
 * named like it. SoftmaxCrossEntropyLoss and BatchNormalization with {@code training_mode=1} are written once
 * here as their ONNX function bodies over registered ops.
 */
public final class LossMappings {
    private LossMappings() {}

    /** NegativeLogLikelihoodLoss (opsets 12, 13, 22). */
    public static void NegativeLogLikelihoodLoss(OnnxNode n) {
        n.emit(Ops.NEGATIVE_LOG_LIKELIHOOD_LOSS, n.inputs(), lossAttrs(n));
    }

    /** SoftmaxCrossEntropyLoss (opsets 12, 13): {@code nll(log_softmax(scores, axis 1), labels, weights)}; log_prob is the log_softmax. */
    public static void SoftmaxCrossEntropyLoss(OnnxNode n) {
        Value scores = n.input(0);
        if (scores.shape().rank() < 2) throw n.error("scores must be [N, C, d1..dk], got shape %s", scores.shape());
        Value logProb = n.emitNode(Ops.LOG_SOFTMAX, List.of(scores), Attrs.of("axis", 1L), 1, n.name() + "/log_prob").get(0);
        List<Value> ins = new ArrayList<>(List.of(logProb, n.input(1)));
        if (n.hasInput(2)) ins.add(n.input(2));
        Value loss = n.emitNode(Ops.NEGATIVE_LOG_LIKELIHOOD_LOSS, ins, lossAttrs(n), 1, n.name() + "/nll").get(0);
        n.bindOutput(0, loss);
        n.bindOutput(1, logProb);
    }

    private static Attrs lossAttrs(OnnxNode n) {
        return n.attrs("ignore_index").with("reduction", n.attrString("reduction", "mean"));
    }

    /**
     * BatchNormalization with {@code training_mode=1} (opsets 14, 15): normalises with the batch's own statistics
     * over every axis but the channel axis 1 (population variance) and updates the running statistics:
     * {@code y = (x - mean) / sqrt(var + epsilon) * scale + B}, {@code running = input * momentum + current * (1 - momentum)}.
     */
    static void batchNormTraining(OnnxNode n) {
        Value x = n.input(0), scale = n.input(1), bias = n.input(2), inMean = n.input(3), inVar = n.input(4);
        int r = x.shape().rank();
        if (r < 2) throw n.error("X must be [N, C, ...], got shape %s", x.shape());
        long c = x.shape().dim(1);
        long[] axes = new long[r - 1], bshape = new long[r];
        for (int i = 0, k = 0; i < r; i++) if (i != 1) axes[k++] = i;
        java.util.Arrays.fill(bshape, 1);
        bshape[1] = c;
        double eps = n.attrFloat("epsilon", 1e-5), momentum = n.attrFloat("momentum", 0.9);
        String p = n.name() + "/";
        Attrs keep = Attrs.of("axes", axes, "keepdims", 1L);
        // mean = reduce_mean(x), d = x - mean, var = reduce_mean(d * d)
        Value mean = n.emitNode(Ops.REDUCE_MEAN, List.of(x), keep, 1, p + "mean").get(0);
        Value d = n.emitNode(Ops.SUB, List.of(x, mean), Attrs.EMPTY, 1, p + "centered").get(0);
        Value sq = n.emitNode(Ops.MUL, List.of(d, d), Attrs.EMPTY, 1, p + "squared").get(0);
        Value var = n.emitNode(Ops.REDUCE_MEAN, List.of(sq), keep, 1, p + "var").get(0);
        // y = d / sqrt(var + eps) * scale + B, with scale and B seen as [1, C, 1...]
        Value ve = n.emitNode(Ops.ADD, List.of(var, MathMappings.scalar(n, x, "epsilon", eps)), Attrs.EMPTY, 1, p + "var_eps").get(0);
        Value sd = n.emitNode(Ops.SQRT, List.of(ve), Attrs.EMPTY, 1, p + "std").get(0);
        Value norm = n.emitNode(Ops.DIV, List.of(d, sd), Attrs.EMPTY, 1, p + "normalized").get(0);
        Value s = n.emitNode(Ops.RESHAPE, List.of(scale), Attrs.of("shape", bshape), 1, p + "scale").get(0);
        Value b = n.emitNode(Ops.RESHAPE, List.of(bias), Attrs.of("shape", bshape), 1, p + "bias").get(0);
        Value scaled = n.emitNode(Ops.MUL, List.of(norm, s), Attrs.EMPTY, 1, p + "scaled").get(0);
        n.bindOutput(0, n.emitNode(Ops.ADD, List.of(scaled, b), Attrs.EMPTY, 1, p + "y").get(0));
        if (n.hasOutput(1)) n.bindOutput(1, running(n, inMean, mean, c, momentum, "running_mean"));
        if (n.hasOutput(2)) n.bindOutput(2, running(n, inVar, var, c, momentum, "running_var"));
    }

    /** {@code input * momentum + current * (1 - momentum)}, current reshaped from [1, C, 1...] to [C]. */
    private static Value running(OnnxNode n, Value input, Value current, long c, double momentum, String label) {
        String name = n.name() + "/" + label;
        Value cur = n.emitNode(Ops.RESHAPE, List.of(current), Attrs.of("shape", new long[] {c}), 1, name + "/current").get(0);
        Value a = n.emitNode(Ops.MUL, List.of(input, MathMappings.scalar(n, input, label + "_momentum", momentum)), Attrs.EMPTY, 1, name + "/kept").get(0);
        Value b = n.emitNode(Ops.MUL, List.of(cur, MathMappings.scalar(n, input, label + "_rest", 1 - momentum)), Attrs.EMPTY, 1, name + "/new").get(0);
        return n.emitNode(Ops.ADD, List.of(a, b), Attrs.EMPTY, 1, name).get(0);
    }
}
