package dev.kiln.backend.opencl.runtime;

/** One argument of a kernel launch: a buffer, a scalar, or a local-memory allocation. */
public sealed interface KernelArg {
    /** A {@code __global} buffer argument (the whole buffer). */
    record Buffer(ClSession.Buffer buffer) implements KernelArg {}

    /** An {@code int} argument. */
    record Int(int value) implements KernelArg {}

    /** A {@code long} argument. */
    record Long(long value) implements KernelArg {}

    /** A {@code float} argument. */
    record Float(float value) implements KernelArg {}

    /** A {@code __local} argument of {@code bytes} bytes. */
    record Local(long bytes) implements KernelArg {}

    /** A buffer argument. */
    static KernelArg of(ClSession.Buffer b) { return new Buffer(b); }

    /** An int argument. */
    static KernelArg of(int v) { return new Int(v); }

    /** A float argument. */
    static KernelArg of(float v) { return new Float(v); }
}
