package dev.kiln.backend.opencl;

import dev.kiln.backend.Target;
import dev.kiln.ir.Node;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;

/**
 * The OpenCL halves of the kernel lowerings: work sizes and any OpenCL-only model. A public static method named
 * like the op in camelCase in one of the {@code Cl*Kernels} classes, taking {@code (ClKernel c, Node n, Target t)},
 * sets {@code c.items}, {@code c.global}, {@code c.local} and may store a model in {@code c.o}. Every op whose body
 * is an OpenCL one (it takes {@code c}) has one; a shared body of {@code templates/kernels/} opens the dialect's
 * {@code par_for} over {@code k.parallel} iterations (the elements of output 0 unless its lowering says otherwise)
 * and so runs one work item per iteration. Found by reflection, so there is no
 * switch over op names; {@code KernelRegistryTest} checks every method names an op and every OpenCL body has one.
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

    /** Whether op {@code op} has an OpenCL lowering method. */
    public static boolean has(String op) { return METHODS.containsKey(dev.kiln.ops.OpMethods.methodName(op)); }

    /** The names of the ops the lowering methods are for (camelCase), for the registry check. */
    public static java.util.Set<String> methodNames() { return java.util.Collections.unmodifiableSet(METHODS.keySet()); }

    /**
     * Runs the op's OpenCL lowering; a shared body ({@link ClKernel#shared}) without one runs one work item per
     * iteration of its {@code par_for} ({@code k.parallel}).
     */
    static void lower(ClKernel c, Node n, Target t) {
        Method m = METHODS.get(dev.kiln.ops.OpMethods.methodName(n.op().name()));
        if (m == null) {
            if (!c.shared) throw new IllegalStateException("OpenCL body '" + n.op().name() + "' takes c but has no work shape in Cl*Kernels");
            linear(c, c.k.parallel, t);
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
