package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX mappings of the optimizer ops of the {@code ai.onnx.preview.training} domain: Adagrad, Adam and Momentum.
 * Each is one deterministic element-wise update step, so each is written here once over registered ops (for
 * every optimized tensor in turn, sharing the learning-rate arithmetic) and runs on every backend. The update
 * count {@code T} and learning rate {@code R} are run-time scalars, so the {@code T > 0} branches of the spec
 * become Where nodes.
 */
public final class TrainingMappings {
    private TrainingMappings() {}

    /** The operator domain these mappings serve. */
    public static final String DOMAIN = "ai.onnx.preview.training";

    /**
     * Adagrad: {@code r = R / (1 + T * decay_factor)}, {@code g = norm_coefficient * X + G},
     * {@code H_new = H + g * g}, {@code X_new = X - r * g / (sqrt(H_new) + epsilon)}; inputs
     * {@code R, T, X1..Xn, G1..Gn, H1..Hn}, outputs {@code X1_new..Xn_new, H1_new..Hn_new}.
     */
    public static void Adagrad(OnnxNode n) {
        int k = tensors(n, 3);
        Updater u = new Updater(n);
        Value t = u.steps();
        Value decayed = u.op(Ops.ADD, "decay", u.one(), u.op(Ops.MUL, "t_decay", t, u.c("decay_factor", n.attrFloat("decay_factor", 0))));
        Value r = u.op(Ops.DIV, "rate", u.rate(), decayed);
        for (int i = 0; i < k; i++) {
            Value x = n.input(2 + i), h = n.input(2 + 2 * k + i);
            String p = i + "/";
            Value g = u.regularized(p, x, n.input(2 + k + i));
            Value hNew = u.op(Ops.ADD, p + "h_new", h, u.op(Ops.MUL, p + "g_sq", g, g));
            Value denom = u.op(Ops.ADD, p + "h_sqrt", u.op(Ops.SQRT, p + "sqrt", hNew), u.c("epsilon", n.attrFloat("epsilon", 0)));
            Value step = u.op(Ops.DIV, p + "step", u.op(Ops.MUL, p + "r_g", r, g), denom);
            n.bindOutput(i, u.op(Ops.SUB, p + "x_new", x, step));
            n.bindOutput(k + i, hNew);
        }
    }

    /**
     * Adam: {@code g = norm_coefficient * X + G}, {@code V_new = alpha * V + (1 - alpha) * g},
     * {@code H_new = beta * H + (1 - beta) * g * g}, {@code r = T > 0 ? R * sqrt(1 - beta^T) / (1 - alpha^T) : R},
     * {@code X_new = (1 - norm_coefficient_post) * (X - r * V_new / (sqrt(H_new) + epsilon))}; inputs
     * {@code R, T, X.., G.., V.., H..}, outputs {@code X_new.., V_new.., H_new..}.
     */
    public static void Adam(OnnxNode n) {
        int k = tensors(n, 4);
        Updater u = new Updater(n);
        double alpha = n.attrFloat("alpha", 0.9), beta = n.attrFloat("beta", 0.999);
        Value t = u.steps();
        Value biasH = u.op(Ops.SQRT, "bias_h", u.op(Ops.SUB, "one_minus_beta_t", u.one(), u.op(Ops.POW, "beta_t", u.c("beta", beta), t)));
        Value biasV = u.op(Ops.SUB, "one_minus_alpha_t", u.one(), u.op(Ops.POW, "alpha_t", u.c("alpha", alpha), t));
        Value corrected = u.op(Ops.DIV, "rate_corrected", u.op(Ops.MUL, "rate_bias_h", u.rate(), biasH), biasV);
        Value r = u.op(Ops.WHERE, "rate", u.started(t), corrected, u.rate());
        double post = n.attrFloat("norm_coefficient_post", 0);
        for (int i = 0; i < k; i++) {
            Value x = n.input(2 + i), v = n.input(2 + 2 * k + i), h = n.input(2 + 3 * k + i);
            String p = i + "/";
            Value g = u.regularized(p, x, n.input(2 + k + i));
            Value vNew = u.op(Ops.ADD, p + "v_new", u.op(Ops.MUL, p + "v_kept", v, u.c("alpha", alpha)), u.op(Ops.MUL, p + "v_g", g, u.c("one_minus_alpha", 1 - alpha)));
            Value gg = u.op(Ops.MUL, p + "g_sq", g, g);
            Value hNew = u.op(Ops.ADD, p + "h_new", u.op(Ops.MUL, p + "h_kept", h, u.c("beta", beta)), u.op(Ops.MUL, p + "h_g", gg, u.c("one_minus_beta", 1 - beta)));
            Value denom = u.op(Ops.ADD, p + "h_sqrt", u.op(Ops.SQRT, p + "sqrt", hNew), u.c("epsilon", n.attrFloat("epsilon", 0)));
            Value moved = u.op(Ops.SUB, p + "x_moved", x, u.op(Ops.MUL, p + "step", r, u.op(Ops.DIV, p + "v_over_h", vNew, denom)));
            n.bindOutput(i, post == 0 ? moved : u.op(Ops.MUL, p + "x_new", moved, u.c("one_minus_post", 1 - post)));
            n.bindOutput(k + i, vNew);
            n.bindOutput(2 * k + i, hNew);
        }
    }

    /**
     * Momentum, {@code mode} standard or nesterov: {@code g = norm_coefficient * X + G},
     * {@code V_new = alpha * V + (T > 0 ? beta : 1) * g}; standard {@code X_new = X - R * V_new}, nesterov
     * {@code X_new = X - R * (g + alpha * V_new)}; inputs {@code R, T, X.., G.., V..}, outputs {@code X_new.., V_new..}.
     */
    public static void Momentum(OnnxNode n) {
        int k = tensors(n, 3);
        String mode = n.attrString("mode", "standard");
        if (!mode.equals("standard") && !mode.equals("nesterov")) throw n.error("mode must be 'standard' or 'nesterov', got '%s'", mode);
        Updater u = new Updater(n);
        double alpha = n.attrFloat("alpha", 0);
        Value betaAdjusted = u.op(Ops.WHERE, "beta_adjusted", u.started(u.steps()), u.c("beta", n.attrFloat("beta", 0)), u.one());
        for (int i = 0; i < k; i++) {
            Value x = n.input(2 + i), v = n.input(2 + 2 * k + i);
            String p = i + "/";
            Value g = u.regularized(p, x, n.input(2 + k + i));
            Value vNew = u.op(Ops.ADD, p + "v_new", u.op(Ops.MUL, p + "v_kept", v, u.c("alpha", alpha)), u.op(Ops.MUL, p + "v_g", g, betaAdjusted));
            Value dir = mode.equals("standard") ? vNew : u.op(Ops.ADD, p + "nesterov", g, u.op(Ops.MUL, p + "v_ahead", vNew, u.c("alpha", alpha)));
            n.bindOutput(i, u.op(Ops.SUB, p + "x_new", x, u.op(Ops.MUL, p + "step", u.rate(), dir)));
            n.bindOutput(k + i, vNew);
        }
    }

    /** The number of optimized tensors: the inputs after R and T come in {@code groups} lists of equal length. */
    private static int tensors(OnnxNode n, int groups) {
        int rest = n.numInputs() - 2;
        if (rest <= 0 || rest % groups != 0)
            throw n.error("expects R, T and then %d lists of tensors of equal length, got %d inputs", groups, n.numInputs());
        int k = rest / groups;
        if (n.numOutputs() > (groups - 1) * k)
            throw n.error("has %d outputs, more than the %d the %d optimized tensors give", n.numOutputs(), (groups - 1) * k, k);
        for (int i = 0; i < n.numInputs(); i++) if (!n.hasInput(i)) throw n.error("input %d is missing; every input is required", i);
        if (!n.input(0).dtype().isFloat()) throw n.error("R must be a float scalar, got %s", n.input(0).dtype());
        if (n.input(0).shape().numel() != 1 || n.input(1).shape().numel() != 1) throw n.error("R and T must be scalars, got shapes %s and %s", n.input(0).shape(), n.input(1).shape());
        return k;
    }

    /** Emits the nodes of one optimizer step, with constants in the learning rate's type. */
    private static final class Updater {
        private final OnnxNode n;
        private final List<String> used = new ArrayList<>();

        Updater(OnnxNode n) { this.n = n; }

        Value op(OpDef op, String label, Value... ins) {
            return n.emitNode(op, List.of(ins), Attrs.EMPTY, 1, n.name() + "/" + label).get(0);
        }

        /** A scalar constant in R's type, created once per label. */
        Value c(String label, double v) {
            String suffix = label + (used.contains(label) ? "_" + used.size() : "");
            used.add(label);
            return MathMappings.scalar(n, n.input(0), suffix, v);
        }

        Value one() { return c("one", 1); }

        Value rate() { return n.input(0); }

        /** T converted to R's type. */
        Value steps() {
            return n.emitNode(Ops.CAST, List.of(n.input(1)), Attrs.of("to", n.input(0).dtype().shortName()), 1, n.name() + "/t").get(0);
        }

        /** {@code T > 0} as a bool scalar. */
        Value started(Value t) { return op(Ops.GREATER, "started", t, c("zero", 0)); }

        /** {@code norm_coefficient * X + G}. */
        Value regularized(String p, Value x, Value g) {
            double nc = n.attrFloat("norm_coefficient", 0);
            return nc == 0 ? g : op(Ops.ADD, p + "g_reg", op(Ops.MUL, p + "x_norm", x, c("norm_coefficient", nc)), g);
        }
    }
}
