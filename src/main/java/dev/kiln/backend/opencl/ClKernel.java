package dev.kiln.backend.opencl;

import dev.kiln.kernels.Activation;
import dev.kiln.kernels.KernelModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The model object of one OpenCL kernel: its launch (parameters, work sizes) around the shared {@link KernelModel}
 * ({@code k}) and lowering model ({@code m}). A shared body of {@code templates/kernels/} gets k and m; an OpenCL
 * body of {@code templates/opencl/ops/} also gets this object as {@code c}. Templates read public fields only.
 */
public final class ClKernel {
    /** A tensor argument: the kernel receives its buffer and a byte offset and binds a typed pointer named {@link #name}. */
    public static final class Param {
        /** Pointer name in the kernel ({@code x0}, {@code y0}, {@code s}) and its OpenCL element type. */
        public final String name, ctype;
        /** Whether the kernel only reads it. */
        public final boolean readOnly;
        /** Buffer id and byte offset (set by the backend). */
        int buffer;
        long offset;

        Param(String name, String ctype, boolean readOnly) {
            this.name = name;
            this.ctype = ctype;
            this.readOnly = readOnly;
        }
    }

    /** The shared kernel model of the node (shapes, broadcast terms, attribute literals). */
    public final KernelModel k;
    /** The shared lowering model ({@code NnKernels.Window}, ...), or null. */
    public final Object m;
    /** The kernel's name in the program ({@code kws_k3_conv}) and the op template rendering its body. */
    public final String name, template;
    /** One line describing the node (described again once the backend has dropped the casts before nibble inputs). */
    public String comment;
    /** Tensor arguments in order. */
    public final List<Param> params = new ArrayList<>();
    /** The activation fused into the node (the templates apply it to {@code r} with {@code fused_activation}). */
    public Activation act;
    /** Whether the body is a shared one of {@code templates/kernels/} (arguments k, m) rather than an OpenCL one (k, m, c). */
    public boolean shared;
    /** Work items that compute something (the kernel returns for ids at or beyond it). */
    public long items;
    /** Global and local work sizes (local null: the runtime chooses). */
    public long[] global, local;
    /** The OpenCL lowering's own model ({@link ClLowerings}), or null. */
    public Object o;

    ClKernel(KernelModel k, String template, String comment) {
        this.k = k;
        this.m = k.m;
        this.name = k.fn;
        this.template = template;
        this.comment = comment;
    }
}
