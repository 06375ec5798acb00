package dev.kiln.ops;

/** {@code x - log(sum(exp(x)))} along one axis. */
public final class LogSoftmax extends SoftmaxOp {
    public LogSoftmax() { super("log_softmax", true); }

    @Override
    public String summary() { return "x - log(sum(exp(x))) along one axis (default: last)"; }
}
