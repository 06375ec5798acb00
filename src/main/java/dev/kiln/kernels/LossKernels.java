package dev.kiln.kernels;

import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;

/** The geometry of the loss kernels written once in {@code templates/kernels/loss.stg}. */
public final class LossKernels {
    private LossKernels() {}

    /**
     * negative_log_likelihood_loss over input {@code [N, C, d...]}: element e of the target (sample e / d, position
     * e % d) picks class t; the loss is {@code -input[n, t, pos] * weight[t]}, 0 for the ignored index.
     */
    public static final class Nll {
        public final long classes, d, targets;
        public final boolean weight, none, mean, ignore;
        /** The ignored index as a literal (when {@link #ignore}). */
        public final String ignoreIndex;

        Nll(Node n) {
            Shape in = n.input(0).shape();
            classes = in.dim(1);
            d = in.prod(2, in.rank());
            targets = n.input(1).shape().numel();
            weight = n.numInputs() > 2 && n.input(2) != null;
            String red = n.attrs().getString("reduction");
            none = red.equals("none");
            mean = red.equals("mean");
            ignore = n.attrs().has("ignore_index");
            ignoreIndex = ignore ? n.attrs().getInt("ignore_index") + "" : null;
        }
    }

    /** negative_log_likelihood_loss: one item per target element (reduction none), else one item summing them all. */
    public static Object negativeLogLikelihoodLoss(KernelModel k, Node n, Strategy t) {
        Nll m = new Nll(n);
        k.parallel = m.none ? m.targets : 1;
        return m;
    }
}
