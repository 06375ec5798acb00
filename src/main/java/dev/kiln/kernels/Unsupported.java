package dev.kiln.kernels;

/** Thrown by a kernel lowering when the C backend cannot run a node; the message says why. */
public final class Unsupported extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A node the backend cannot run, with the reason. */
    public Unsupported(String why) {
        super(why, null, false, false);
    }
}
