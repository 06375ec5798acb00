package dev.kiln.ops;

/** {@code exp(x) / sum(exp(x))} along one axis. */
public final class Softmax extends SoftmaxOp {
    public Softmax() { super("softmax", false); }

    @Override
    public String summary() { return "exp(x) / sum(exp(x)) along one axis (default: last)"; }
}
