package dev.kiln.backend.opencl;

import dev.kiln.backend.Target;
import dev.kiln.kernels.Unsupported;
import dev.kiln.kernels.DataKernels;
import dev.kiln.ir.Node;

/**
 * OpenCL work sizes of the data-movement, reduction and softmax kernels, whose bodies are the shared ones of
 * {@code templates/kernels/data.stg} (see {@link ClLowerings}). Copies along loop nests (transpose, slice, expand,
 * tile, pad, resize), gathers and reductions run as one work item walking the nest; concat, split and softmax
 * run one work item per row (the dialect's {@code par_parts} and {@code par_rows}).
 */
public final class ClDataKernels {
    private ClDataKernels() {}

    /** One work item walking the loop nest. */
    public static void transpose(ClKernel c, Node n, Target t) { ClLowerings.serial(c); }

    /** One work item walking the loop nest. */
    public static void slice(ClKernel c, Node n, Target t) { ClLowerings.serial(c); }

    /** One work item walking the loop nest. */
    public static void expand(ClKernel c, Node n, Target t) { ClLowerings.serial(c); }

    /** One work item walking the loop nest. */
    public static void tile(ClKernel c, Node n, Target t) { ClLowerings.serial(c); }

    /** One work item walking the loop nest. */
    public static void pad(ClKernel c, Node n, Target t) { ClLowerings.serial(c); }

    /** One work item walking the indices. */
    public static void gather(ClKernel c, Node n, Target t) { ClLowerings.serial(c); }

    /** One work item walking the loop nest. */
    public static void reduceSum(ClKernel c, Node n, Target t) { ClLowerings.serial(c); }

    /** One work item walking the loop nest. */
    public static void reduceMean(ClKernel c, Node n, Target t) { ClLowerings.serial(c); }

    /** One work item walking the loop nest. */
    public static void reduceMax(ClKernel c, Node n, Target t) { ClLowerings.serial(c); }

    /** One work item walking the loop nest. */
    public static void reduceMin(ClKernel c, Node n, Target t) { ClLowerings.serial(c); }

    /** One work item walking the loop nest. */
    public static void reduceProd(ClKernel c, Node n, Target t) { ClLowerings.serial(c); }

    /** One work item per row of the input (copying each output's piece of it). */
    public static void split(ClKernel c, Node n, Target t) { ClLowerings.linear(c, ((DataKernels.Join) c.m).outer, t); }

    /** One work item per row along the axis. */
    public static void softmax(ClKernel c, Node n, Target t) {
        DataKernels.Softmax m = (DataKernels.Softmax) c.m;
        ClLowerings.linear(c, m.outer * m.inner, t);
    }

    /** One work item per row along the axis. */
    public static void logSoftmax(ClKernel c, Node n, Target t) { softmax(c, n, t); }

    /**
     * One work item walking the nearest copy nest or the separable passes (each pass reads the previous one's
     * output whole, so they run in order), one per element for a plain copy; linear and cubic interpolate in
     * float32 only, so float32 data.
     */
    public static void resize(ClKernel c, Node n, Target t) {
        DataKernels.ResizeModel m = (DataKernels.ResizeModel) c.m;
        // why: the C kernel interpolates integer data in double, an optional OpenCL extension
        if (m.nearest == null && !m.copyOnly && !m.empty && !"float".equals(m.ctype))
            throw new Unsupported("linear and cubic resize of " + n.output(0).dtype() + " data needs double, which OpenCL devices may lack");
        // why: a plain copy is the dialect's copy_all, one work item per element
        if (m.copyOnly) ClLowerings.linear(c, c.k.n, t);
        else ClLowerings.serial(c);
    }

    /** concat: one work item per row of the joined output (copying each input's piece of it). */
    public static void concat(ClKernel c, Node n, Target t) { ClLowerings.linear(c, ((DataKernels.Join) c.m).outer, t); }
}
