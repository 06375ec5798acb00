package dev.kiln.backend.opencl;

import dev.kiln.backend.Target;
import dev.kiln.ir.Node;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;

/**
 * The OpenCL halves of the kernel lowerings: work sizes and any OpenCL-only model. A public static method named
 * like the op in camelCase in one of the {@code Cl*Kernels} classes, taking {@code (ClKernel c, Node n, Target t)},
 * sets {@code c.items}, {@code c.global}, {@code c.local} and may store a model in {@code c.o}. Ops without one
 * run one work item per element of output 0. Found by reflection, so there is no switch over op names.
 */
public final class ClLowerings {
    private static final Class<?>[] CLASSES = {ClNnKernels.class, ClDataKernels.class, ClInt8Kernels.class};
    private static final Map<String, Method> METHODS =
            dev.kiln.ops.OpMethods.collect("OpenCL lowerings", CLASSES, null, ClKernel.class, Node.class, Target.class);

    private ClLowerings() {}

    /** The target's preferred work-group size ({@code workgroup} in the descriptor, default 64). */
    static int workGroup(Target t) { return Integer.parseInt(t.property("workgroup", "64")); }

    /** One work item per element of {@code items}, in work groups of the target's size (the last one partly idle). */
    static void linear(ClKernel c, long items, Target t) {
        c.items = items;
        long wg = workGroup(t);
        if (items >= wg) {
            c.global = new long[] {(items + wg - 1) / wg * wg};
            c.local = new long[] {wg};
        } else {
            c.global = new long[] {Math.max(1, items)};
            c.local = new long[] {Math.max(1, items)};
        }
    }

    /** One work item in all: a kernel whose loops run in order (copies with run-time indices, tiny reductions). */
    static void serial(ClKernel c) {
        c.items = 1;
        c.global = new long[] {1};
        c.local = new long[] {1};
    }

    /** Runs the op's OpenCL lowering, or the default one work item per output element. */
    static void lower(ClKernel c, Node n, Target t) {
        Method m = METHODS.get(dev.kiln.ops.OpMethods.methodName(n.op().name()));
        if (m == null) {
            linear(c, c.k.n, t);
            return;
        }
        try {
            m.invoke(null, c, n, t);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException) throw (RuntimeException) e.getCause();
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
