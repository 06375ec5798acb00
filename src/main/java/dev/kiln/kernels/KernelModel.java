package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The model object of one node's kernel, handed to the op's template as {@code k} (the op-specific part,
 * computed by a {@link Lowerings} method, as {@code m}). Templates read public fields only.
 */
public final class KernelModel {
    /** Position in the schedule. */
    public int index;
    /** The kernel function's name ({@code kws_k3_conv}). */
    public String fn;
    /** The model's symbol prefix ({@code kws}). */
    public final String prefix;
    /** The op's name and the node's name (made safe for a comment). */
    public final String op, node;
    public final List<TensorInfo> ins = new ArrayList<>(), outs = new ArrayList<>();
    /** Shortcuts: input 0 and output 0; inputs 1 and 2 (null when absent). */
    public final TensorInfo x, y, in1, in2;
    /** Elements of output 0. */
    public final long n;
    /** Scalar attributes as C literals of the compute type (floats with {@code f} in float kernels). */
    public final Map<String, String> attr;
    /** The C type arithmetic is done in ({@code float} for f32 and f16, {@code double} for f64). */
    public final String ftype;
    /** Suffix of math.h functions for {@link #ftype} ({@code f} for float, empty for double). */
    public final String mf;
    /** 0, 1 and 0.5 as literals of {@link #ftype}. */
    public final String zero, one, half;
    /**
     * Iterations of the kernel's parallel outer loop (the dialect's {@code par_for}): one per element of output 0
     * unless the lowering says otherwise (one per normalized row, say). OpenCL runs one work item per iteration.
     */
    public long parallel;
    /** Whether output 0 occupies the same bytes as input 0's buffer (in-place or alias). */
    public boolean inPlace;
    /**
     * Whether a two-input element-wise kernel may walk output 0 as {@code rowsOuter} rows of {@code rowsInner}
     * elements: one input has output 0's elements, the other one element per row (a per-channel scale or bias over
     * NCHW) or one row of elements shared by every row (a bias over the last axis). The other input's element is
     * then read at the row or the column, not recomputed by a division per element.
     */
    public boolean rows;
    public long rowsOuter, rowsInner;
    /**
     * An input the kernel reads element i of just before writing element i of output 0, so output 0 may take its
     * buffer (set by the lowering; -1: none beyond what element-wise ops allow).
     */
    public int inPlaceInput = -1;
    /**
     * Whether output 0 may also be larger than the {@link #inPlaceInput} buffer, that input's bytes then lying at
     * the end of the output's (set by the lowering).
     */
    public boolean inPlaceAtTail;
    /**
     * Byte offsets in output 0 at which each input lies whole and contiguous (-1: not whole), or null: set by a
     * lowering whose kernel then skips the inputs the planner placed there ({@link
     * dev.kiln.memory.PlacementRules#joinedAt}).
     */
    public long[] joinedAt;
    /**
     * Byte offsets in input 0 at which each output lies whole and contiguous (-1: not), or null: set by a lowering
     * whose kernel then skips the outputs the planner placed there as views ({@link
     * dev.kiln.memory.PlacementRules#viewAt}).
     */
    public long[] viewAt;
    /** Bytes of scratch memory the kernel needs, passed as {@code s} (set by the lowering). */
    public long scratchBytes;
    /**
     * The template that renders the kernel when the lowering chose another form than the op's own (the host int8
     * kernels: {@code hq_conv_gemm}), or null for the template named like the op.
     */
    public String template;
    /** The op-specific model from the lowering method, or null. */
    public Object m;
    /**
     * Constant inputs the kernel reads in a packed layout (set by the lowering): input index to the data emitted
     * for that constant instead of its own (same element type and count). Only for constants this node alone uses.
     */
    public final Map<Integer, NdArray> packed = new TreeMap<>();
    /**
     * Inputs the kernel reads as packed sub-byte nibbles: each is the widening cast of a packed constant, and the
     * backend drops the cast so that the kernel reads the constant itself ({@link Int4Kernels}).
     */
    public final java.util.Set<Integer> nibbleInputs = new TreeSet<>();
    /**
     * Constant inputs the kernel never reads at run time, having folded their values into its own literals or tables
     * at compile time (qbottleneck's biases): the backend stores such a constant only when another use reads it.
     */
    public final java.util.Set<Integer> unreadInputs = new TreeSet<>();
    /** System headers the kernel needs, with their angle brackets ({@code <arm_acle.h>}), included once at the top of the model's source. */
    public final Set<String> systemHeaders = new TreeSet<>();
    /** Kiln's own C headers from {@code runtime-c/} the kernel needs beyond kiln_runtime.h ({@code kiln_int8_host.h}), emitted with the model. */
    public final Set<String> runtimeHeaders = new TreeSet<>();
    /**
     * Whether the kernel's float products and sums may be fused into FMAs ({@code KILN_FP_CONTRACT} of
     * kiln_runtime.h; set by float lowerings whose results are compared within a tolerance, never by int8 ones).
     */
    public boolean fpContract;
    /** Whether the kernel stays a function of its own ({@code KILN_NOINLINE} of kiln_runtime.h), not inlined into the run function. */
    public boolean outOfLine;
    /** Bytes of constant tables the kernel declares itself (requantization multipliers, lookup tables). */
    public long tableBytes;

    /** Moves the kernel to schedule position {@code at} (its function is named after it), after nodes before it were dropped. */
    public void renumber(int at) {
        this.index = at;
        this.fn = prefix + "_k" + at + "_" + op;
    }

    public KernelModel(int index, String prefix, Node n) {
        this.index = index;
        this.prefix = prefix;
        this.op = n.op().name();
        this.node = ScalarTypes.commentText(n.name());
        this.fn = prefix + "_k" + index + "_" + op;
        for (int i = 0; i < n.numInputs(); i++) ins.add(new TensorInfo("x" + i, n.input(i)));
        for (int i = 0; i < n.outputs().size(); i++) outs.add(new TensorInfo("y" + i, n.output(i)));
        x = ins.isEmpty() ? null : ins.get(0);
        y = outs.get(0);
        in1 = ins.size() > 1 ? ins.get(1) : null;
        in2 = ins.size() > 2 ? ins.get(2) : null;
        n0(n);
        this.n = y.numel;
        this.parallel = y.numel;
        Value out = n.output(0);
        DType compute = out.dtype() == DType.F64 || (!out.dtype().isFloat() && n.numInputs() > 0 && n.input(0) != null
                && n.input(0).dtype() == DType.F64) ? DType.F64 : DType.F32;
        ftype = compute == DType.F64 ? "double" : "float";
        mf = compute == DType.F64 ? "" : "f";
        zero = ScalarTypes.literal(compute, 0.0);
        one = ScalarTypes.literal(compute, 1.0);
        half = ScalarTypes.literal(compute, 0.5);
        Map<String, String> a = new TreeMap<>();
        for (Map.Entry<String, Object> e : n.attrs().asMap().entrySet()) {
            Object v = e.getValue();
            if (v instanceof Long) a.put(e.getKey(), Long.toString((Long) v));
            else if (v instanceof Double) a.put(e.getKey(), ScalarTypes.literal(compute, (Double) v));
            else if (v instanceof String) a.put(e.getKey(), ScalarTypes.commentText((String) v));
        }
        attr = Collections.unmodifiableMap(a);
    }

    private void n0(Node n) {
        Value out = n.output(0);
        for (int i = 0; i < n.numInputs(); i++) {
            Value in = n.input(i);
            if (in != null) ins.get(i).broadcastTo(in.shape(), out.shape());
        }
        // why: one input whole and the other indexed by (i / inner) only: rows of inner elements sharing one value
        if (n.numInputs() == 2 && n.input(0) != null && n.input(1) != null) {
            for (int r = 0; r < 2; r++) {
                TensorInfo whole = ins.get(1 - r), per = ins.get(r);
                if (!whole.same || !per.general || per.terms.size() != 1) continue;
                TensorInfo.Term u = per.terms.get(0);
                if (u.mul != 1) continue;
                if (u.div >= 2 && u.div * u.mod == y.numel) {
                    per.row = true;
                    rows = true;
                    rowsOuter = u.mod;
                    rowsInner = u.div;
                    break;
                }
                // why: indexed by i % inner only (a bias over the last axis, [N,T,C] + [C]): rows of inner
                // elements, the input read at the column
                if (u.div == 1 && u.mod >= 2 && u.mod < y.numel && y.numel % u.mod == 0) {
                    per.column = true;
                    rows = true;
                    rowsOuter = y.numel / u.mod;
                    rowsInner = u.mod;
                    break;
                }
            }
        }
    }
}
