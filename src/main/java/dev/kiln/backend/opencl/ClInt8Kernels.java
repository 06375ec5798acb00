package dev.kiln.backend.opencl;

import dev.kiln.backend.Target;
import dev.kiln.kernels.Unsupported;
import dev.kiln.kernels.Int8Kernels;
import dev.kiln.kernels.QuantKernels;
import dev.kiln.ir.Node;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenCL work sizes and constant tables of the integer kernels (see {@link ClLowerings}; templates in
 * {@code templates/opencl/ops/int8.stg}; qadd and requantize are the shared bodies of
 * {@code templates/kernels/int8.stg}, one work item per element). qconv, qmatmul, qlookup and qaverage_pool run one work
 * item per output element, qsoftmax one per row along its axis; quantize_linear and dequantize_linear one per
 * element, in float32 only (double is optional on OpenCL devices); conv_integer, qlinear_conv, matmul_integer and
 * qlinear_matmul one per output element. The tables (per-channel multipliers and shifts,
 * weight zero points, pool multipliers, lookup and exp tables) are the C lowering's values, broken into short lines.
 */
public final class ClInt8Kernels {
    private ClInt8Kernels() {}

    /** Values per line of a table (keeps every line of the program, and of the host C embedding it, short). */
    private static final int PER_LINE = 16;

    /** A {@code __constant} table of a kernel: element type, name, count and its values in lines. */
    public static final class Table {
        public final String type, name;
        public final int count;
        public final List<String> lines = new ArrayList<>();

        Table(String type, String name, List<String> values) {
            this.type = type;
            this.name = name;
            this.count = values.size();
            for (int i = 0; i < values.size(); i += PER_LINE)
                lines.add(String.join(", ", values.subList(i, Math.min(values.size(), i + PER_LINE))) + (i + PER_LINE < values.size() ? "," : ""));
        }
    }

    /** The tables of a kernel, stored as {@code c.o}. */
    private static List<Table> tables(ClKernel c) {
        List<Table> t = new ArrayList<>();
        c.o = t;
        return t;
    }

    private static void requant(List<Table> t, Int8Kernels.Requant rq, List<String> wz) {
        // why: a per-tensor multiplier is a literal in the kernel; only per-channel ones need tables
        if (rq.perChannel && rq.packed) {
            t.add(new Table("ushort", "rq_p", rq.words));
        } else if (rq.perChannel) {
            t.add(new Table("int", "rq_m", rq.mults));
            t.add(new Table(rq.shiftType, "rq_s", rq.shifts));
        }
        // why: weight zero points exist only for imported models whose weights are not symmetric
        if (wz != null) t.add(new Table("short", "wz_t", wz));
    }

    /** One work item per output element; per-channel requantization and weight zero points as tables. */
    public static void qconv(ClKernel c, Node n, Target t) {
        Int8Kernels.QConvModel m = (Int8Kernels.QConvModel) c.m;
        requant(tables(c), m.rq, m.wz);
        ClLowerings.linear(c, c.k.n, t);
    }

    /** One work item per output element; per-column requantization and weight zero points as tables. */
    public static void qmatmul(ClKernel c, Node n, Target t) {
        Int8Kernels.QMatmulModel m = (Int8Kernels.QMatmulModel) c.m;
        requant(tables(c), m.rq, m.wz);
        ClLowerings.linear(c, c.k.n, t);
    }

    /** One work item per output element (per plane when global); a windowed pool's multipliers per count as tables. */
    public static void qaveragePool(ClKernel c, Node n, Target t) {
        Int8Kernels.QPoolModel m = (Int8Kernels.QPoolModel) c.m;
        List<Table> tb = tables(c);
        // why: only a windowed pool that changes scale divides by a count-dependent multiplier
        if (m.w != null && !m.same) {
            tb.add(new Table("int", "pool_m", m.mults));
            tb.add(new Table("int", "pool_s", m.shifts));
        }
        ClLowerings.linear(c, c.k.n, t);
    }

    /** One work item per element; the 256-entry table. */
    public static void qlookup(ClKernel c, Node n, Target t) {
        Int8Kernels.ElementModel m = (Int8Kernels.ElementModel) c.m;
        tables(c).add(new Table("char", "lut", m.table));
        ClLowerings.linear(c, c.k.n, t);
    }

    /** One work item per row along the axis (the row's maximum and sum are shared by its elements); exp in fixed point. */
    public static void qsoftmax(ClKernel c, Node n, Target t) {
        Int8Kernels.QSoftmaxModel m = (Int8Kernels.QSoftmaxModel) c.m;
        tables(c);
        ClLowerings.linear(c, m.outer * m.inner, t);
    }

    /** One work item per element (per output byte when the output is packed sub-byte); float32 arithmetic only. */
    public static void quantizeLinear(ClKernel c, Node n, Target t) {
        floatLinear(c, n, t);
        QuantKernels.LinearModel m = (QuantKernels.LinearModel) c.m;
        if (m.pack != null) ClLowerings.linear(c, m.outBytes, t);
    }

    /** One work item per element; float32 arithmetic only. */
    public static void dequantizeLinear(ClKernel c, Node n, Target t) { floatLinear(c, n, t); }

    private static void floatLinear(ClKernel c, Node n, Target t) {
        QuantKernels.LinearModel m = (QuantKernels.LinearModel) c.m;
        // why: double is an optional OpenCL extension; the kernels compute in float32 like the C float path
        if (!m.ctype.equals("float")) throw new Unsupported("precision " + m.ctype + " is not supported by the OpenCL backend (float32 only)");
        ClLowerings.linear(c, c.k.n, t);
    }

    /**
     * One work item per output element of the products and convolutions over a blocked int4/uint4 weight
     * ({@code templates/opencl/ops/int4.stg}), which read its nibbles from the weights buffer.
     */
    public static void dequantGemm(ClKernel c, Node n, Target t) { ClLowerings.linear(c, c.k.n, t); }

    /** As {@link #dequantGemm}; int8 activations, the float steps in QdequantGemm's order with FP_CONTRACT off. */
    public static void qdequantGemm(ClKernel c, Node n, Target t) { ClLowerings.linear(c, c.k.n, t); }

    /** As {@link #dequantGemm}. */
    public static void dequantConv(ClKernel c, Node n, Target t) { ClLowerings.linear(c, c.k.n, t); }

    /** As {@link #qdequantGemm}, in QdequantConv's order. */
    public static void qdequantConv(ClKernel c, Node n, Target t) { ClLowerings.linear(c, c.k.n, t); }

    /** One work item per output element. */
    public static void convInteger(ClKernel c, Node n, Target t) {
        tables(c);
        ClLowerings.linear(c, c.k.n, t);
    }

    /** One work item per output element; the constant multipliers per output channel as a table. */
    public static void qlinearConv(ClKernel c, Node n, Target t) {
        QuantKernels.ConvModel m = (QuantKernels.ConvModel) c.m;
        List<Table> tb = tables(c);
        // why: with run-time scales the kernel forms the multiplier itself
        if (m.mults != null) tb.add(new Table("float", "mult_c", m.mults));
        ClLowerings.linear(c, c.k.n, t);
    }

    /** One work item per output element; batch offsets and parameter indices as tables. */
    public static void matmulInteger(ClKernel c, Node n, Target t) { quantMatmul(c, t); }

    /** One work item per output element; float32 scales only (double is optional on OpenCL devices). */
    public static void qlinearMatmul(ClKernel c, Node n, Target t) {
        QuantKernels.MatmulModel m = (QuantKernels.MatmulModel) c.m;
        // why: float64 scales form the multiplier in double, an optional OpenCL extension
        if (m.f64) throw new Unsupported("float64 scales are not supported by the OpenCL backend (float32 only)");
        quantMatmul(c, t);
    }

    private static void quantMatmul(ClKernel c, Target t) {
        QuantKernels.MatmulModel m = (QuantKernels.MatmulModel) c.m;
        List<Table> tb = tables(c);
        tb.add(new Table("uint", "aoff", strings(m.aOff)));
        tb.add(new Table("uint", "boff", strings(m.bOff)));
        for (QuantKernels.Param p : m.tables) tb.add(new Table("uint", p.table, strings(p.index)));
        ClLowerings.linear(c, c.k.n, t);
    }

    private static List<String> strings(List<Long> v) {
        List<String> r = new ArrayList<>();
        for (long x : v) r.add(x + "u");
        return r;
    }
}
