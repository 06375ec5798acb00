package dev.kiln.backend.opencl;

import dev.kiln.kernels.KernelModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The model object of one OpenCL kernel, handed to the op's template in {@code templates/opencl/ops/} as {@code c}
 * (beside the C backend's {@link KernelModel} as {@code k} and its lowering model as {@code m}, whose numbers the
 * OpenCL templates reuse). Templates read public fields only.
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

    /** The C backend's kernel model of the node (shapes, broadcast terms, attribute literals). */
    public final KernelModel k;
    /** The C backend's lowering model ({@code NnKernels.Window}, ...), or null. */
    public final Object m;
    /** The kernel's name in the program ({@code kws_k3_conv}) and the op template rendering its body. */
    public final String name, template;
    /** One line describing the node. */
    public final String comment;
    /** Tensor arguments in order. */
    public final List<Param> params = new ArrayList<>();
    /** Element i of each input under broadcasting against output 0, as an expression (C backend's {@code at}). */
    public final List<String> at = new ArrayList<>();
    /** The fused activation of the variable {@code r} ({@code r} itself when there is none). */
    public String act = "r";
    /** separable_conv: the depthwise half's activation of {@code r} ({@code r} itself when there is none). */
    public String dwAct = "r";
    /** An activation op's formula on the variable {@code x}. */
    public String expr;
    /** fused_elementwise: the statements of each step (C backend's {@code chain_step}), computing {@code v<i>}. */
    public final List<String> steps = new ArrayList<>();
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
