package dev.kiln.ops;

import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A backend's declared, reasoned refusal of an op, written on the op's class: one line per backend, e.g.
 * {@code @NoKernel(backend = "opencl", why = "needs double precision, which OpenCL devices may lack")}. The backend
 * then reports the reason for every such node up front, and {@code KernelRegistryTest} accepts the missing kernel;
 * an op without a kernel and without a refusal, or with both, fails that test.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Repeatable(NoKernel.List.class)
public @interface NoKernel {
    /** The backend's kind ({@code c}, {@code opencl}). */
    String backend();

    /** Why it has no kernel, as the error message says it (what is missing, what to use instead). */
    String why();

    /** Several refusals on one op. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface List {
        NoKernel[] value();
    }
}
