package dev.kiln.kernels;

import dev.kiln.kernels.Int8Kernels;
import dev.kiln.ir.Node;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;

/**
 * The op-specific halves of the C kernels: a public static method named like the op in camelCase
 * ({@code average_pool} → {@code averagePool}) in one of the {@code kernels/*Kernels} classes, taking
 * {@code (KernelModel k, Node n, Strategy t)} and returning the model object the op's template gets as {@code m}.
 * Ops whose template needs nothing beyond {@link KernelModel} have no method. Found by reflection, so there is
 * no switch over op names.
 */
public final class Lowerings {
    private static final Class<?>[] CLASSES = {ElementwiseKernels.class, NnKernels.class, DataKernels.class, QuantKernels.class,
            SeparableKernels.class, ChainKernels.class, Int8Kernels.class, NormKernels.class,
            MathKernels.class, ScanKernels.class, IndexKernels.class, SignalKernels.class, LossKernels.class, MlKernels.class,
            WindowKernels.class, SampleKernels.class, RecurrentKernels.class, AttentionKernels.class, ControlKernels.class,
            BoundedKernels.class, BottleneckKernels.class};
    private static final Map<String, Method> METHODS =
            dev.kiln.ops.OpMethods.collect("kernel lowerings", CLASSES, null, KernelModel.class, Node.class, Strategy.class);

    private Lowerings() {}

    /** The names of the ops the lowering methods are for (camelCase), for the registry check. */
    public static java.util.Set<String> methodNames() { return java.util.Collections.unmodifiableSet(METHODS.keySet()); }

    /** {@code average_pool} → {@code averagePool}. */
    public static String methodName(String op) { return dev.kiln.ops.OpMethods.methodName(op); }

    /** Runs the op's lowering (if any) and stores its result in {@code k.m}; throws {@link Unsupported}. */
    public static void lower(KernelModel k, Node n, Strategy t) {
        Method m = METHODS.get(methodName(n.op().name()));
        if (m == null) return;
        try {
            k.m = m.invoke(null, k, n, t);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException) throw (RuntimeException) e.getCause();
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
