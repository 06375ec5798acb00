package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Broadcast;
import dev.kiln.ops.ConvGeometry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * C kernel lowerings of the quantization and integer ops (templates in {@code templates/c/ops/quant.stg}): one
 * public static method per op (see Lowerings). Every number the kernels need is computed here the way
 * {@code dev.kiln.ops} computes it (scales, multipliers in float32 and in the same order of operations, zero
 * points, geometry), so the generated C gives the interpreter's integers bit for bit.
 */
public final class QuantKernels {
    private QuantKernels() {}

    /** Fails for a node with an empty input or output: the kernels' loops and tables need at least one element. */
    private static void requireNonEmpty(Node n) {
        for (Value v : n.inputs())
            if (v != null && v.shape().numel() == 0) throw new Unsupported("empty tensor '" + v.name() + "' is not supported by the C kernel");
        for (Value v : n.outputs())
            if (v != null && v.shape().numel() == 0) throw new Unsupported("empty tensor '" + v.name() + "' is not supported by the C kernel");
    }

    // ---------------------------------------------------------------- quantize_linear, dequantize_linear

    /** The model of quantize_linear and dequantize_linear: an (outer, axis, inner) walk with parameter strides. */
    public static final class LinearModel {
        /** Elements before the axis, along it, and after it. */
        public final long outer, axis, inner;
        /** Elements from one outer index to the next (axis * inner). */
        public final long outerStride;
        /** Block size along the axis (1 unless blocked). */
        public final long block;
        /** Parameter index {@code o * pOuter + (a / block) * pAxis + j * pInner}. */
        public final long pOuter, pAxis, pInner;
        /** Whether the parameter index is used at all (some parameter is read from memory). */
        public final boolean indexed;
        /** The C type of the arithmetic ({@code float} or {@code double}) and the runtime helpers' suffix. */
        public final String ctype, fs;
        /** The scale as a literal (a per-tensor constant), else null: read {@code x1[p]}. */
        public final String scale;
        /** Whether there is a zero point; its literal (a per-tensor constant), else null: read {@code x2[p]}. */
        public final boolean hasZp;
        public final String zp;
        /** Output range (quantize). */
        public final String lo, hi;
        /** The zero point's C type: int32_t, or float for a float8/float4 zero point (widened to f32). */
        public final String ztype;
        /** Quantize to a float8/float4 type: its kiln_types.h encoder and Cast's saturate flag (0 or 1). */
        public boolean toFloat;
        public String encode, sat;
        /**
         * Quantize to a packed sub-byte type: the kiln_types.h macro adding an element's code to its byte
         * ({@code KILN_PACK4}), elements per byte and the output's bytes; null, 1 and the element count otherwise.
         */
        public String pack;
        public int per = 1;
        public long outBytes;

        LinearModel(long outer, long axis, long inner, long block, long pOuter, long pAxis, long pInner, String ctype, String scale,
                boolean hasZp, String zp, String lo, String hi, String ztype) {
            this.outer = outer;
            this.axis = axis;
            this.inner = inner;
            this.outerStride = axis * inner;
            this.block = block;
            this.pOuter = pOuter;
            this.pAxis = pAxis;
            this.pInner = pInner;
            this.ctype = ctype;
            this.fs = ctype.equals("double") ? "f64" : "f32";
            this.scale = scale;
            this.hasZp = hasZp;
            this.zp = zp;
            this.indexed = scale == null || hasZp && zp == null;
            this.lo = lo;
            this.hi = hi;
            this.ztype = ztype;
        }
    }

    /** Model of {@code dynamic_quantize_linear}: the scale's and zero point's parameter names. */
    public static final class DynamicModel {
        public final String scale, zeroPoint;

        DynamicModel(String scale, String zeroPoint) {
            this.scale = scale;
            this.zeroPoint = zeroPoint;
        }
    }

    /** dynamic_quantize_linear: one serial pass for the range, one to quantize (one parallel iteration). */
    public static Object dynamicQuantizeLinear(KernelModel k, Node n, Strategy t) {
        k.parallel = 1;
        return new DynamicModel(k.outs.get(1).name, k.outs.get(2).name);
    }

    /** quantize_linear: {@code saturate(round_half_even(x / scale) + zero_point)} in the op's precision. */
    public static Object quantizeLinear(KernelModel k, Node n, Strategy t) {
        String p = n.attrs().getString("precision", null);
        DType precision = p != null ? DType.fromShortName(p) : n.input(1).dtype();
        if (precision != DType.F32 && precision != DType.F64)
            throw new Unsupported("precision " + precision + " is not supported by the C backend (f32 and f64 are)");
        DType out = n.output(0).dtype();
        LinearModel m;
        if (out.isFloat()) {
            // x / scale + zero_point rounded to the float8/float4 type with Cast's saturate rule (kiln_types.h)
            k.runtimeHeaders.add("kiln_types.h");
            m = linear(n, precision, null, null);
            m.toFloat = true;
            m.encode = ScalarTypes.encoder(out);
            m.sat = n.attrs().getInt("saturate", 1) != 0 ? "1" : "0";
        } else {
            m = linear(n, precision, Long.toString(out.minValue()), Long.toString(out.maxValue()));
        }
        m.outBytes = n.output(0).type().byteSize();
        if (out.isSubByte()) {
            // why: a sub-byte output is stored packed; its elements' codes are assembled into whole bytes
            k.runtimeHeaders.add("kiln_types.h");
            m.pack = "KILN_PACK" + out.bits();
            m.per = 8 / out.bits();
        }
        return m;
    }

    /** dequantize_linear: {@code ((float)x - (float)zero_point) * scale}, the product in float32 or float64. */
    public static Object dequantizeLinear(KernelModel k, Node n, Strategy t) {
        // why: the interpreter multiplies in f64 when the scale or the output is f64, else in f32
        DType precision = n.input(1).dtype() == DType.F64 || n.output(0).dtype() == DType.F64 ? DType.F64 : DType.F32;
        return linear(n, precision, null, null);
    }

    private static LinearModel linear(Node n, DType precision, String lo, String hi) {
        requireNonEmpty(n);
        Shape xs = n.input(0).shape();
        Value scale = n.input(1), zp = n.input(2);
        long numel = xs.numel();
        String ctype = ScalarTypes.ctype(precision);
        boolean perTensor = scale.shape().numel() == 1;
        String scaleLit = null, zpLit = null;
        if (perTensor && scale.isConstant()) scaleLit = ScalarTypes.literal(precision, scale.constant().getDouble(0));
        boolean floatZp = zp != null && zp.dtype().isFloat();
        String ztype = floatZp ? "float" : "int32_t";
        if (perTensor && zp != null && zp.isConstant())
            zpLit = floatZp ? ScalarTypes.floatLiteral(zp.constant().getFloat(0)) : Long.toString(zp.constant().getLong(0));
        if (perTensor) return new LinearModel(1, 1, numel, 1, 0, 0, 0, ctype, scaleLit, zp != null, zpLit, lo, hi, ztype);
        int axis = xs.axis(n.attrs().getInt("axis", 1));
        long block = n.attrs().getInt("block_size", 0);
        long outer = xs.prod(0, axis), dim = xs.dim(axis), inner = xs.prod(axis + 1, xs.rank());
        if (block == 0) return new LinearModel(outer, dim, inner, 1, 0, 1, 0, ctype, null, zp != null, null, lo, hi, ztype);
        long blocks = (dim + block - 1) / block;
        return new LinearModel(outer, dim, inner, block, blocks * inner, inner, 1, ctype, null, zp != null, null, lo, hi, ztype);
    }

    // ---------------------------------------------------------------- conv_integer, qlinear_conv

    /** The model of conv_integer and qlinear_conv: a direct grouped convolution over 1 to 3 spatial axes (as 3-D). */
    public static final class ConvModel {
        public final long batch, groups, groupChannels, groupOutChannels, channels, outChannels;
        /** Input, output and kernel sizes on the (depth, height, width) axes; 1 for axes the op does not have. */
        public final long id, ih, iw, od, oh, ow, kd, kh, kw;
        public final long sd, sh, sw, dd, dh, dw, pd, ph, pw;
        /** Elements of one input channel plane, one output plane, and one output channel's weights. */
        public final long inPlane, outPlane, weightsPer, kernelPlane;
        /** Elements of one output row-plane on the height and width axes (oh * ow). */
        public final long outRows;
        /** Whether any pad is set (then taps are bounds-checked). */
        public final boolean padded;
        /** The weight parameter's name and C type. */
        public final String wName, wType;
        /** qlinear_conv: the parameter names of the bias, x_scale, w_scale, y_scale and y_zero_point. */
        public final String biasName = "x8", xsName = "x1", wsName = "x4", ysName = "x6", yzName = "x7";
        /** x's zero point: a literal, or null to read {@code xzName[0]}; absent means 0. */
        public final String xz;
        public final String xzName;
        /** w's zero point: a literal, or null to read {@code wzName[wzPerChannel ? m : 0]}. */
        public final String wz;
        public final String wzName;
        public final boolean wzPerChannel;
        /** qlinear_conv: bias present, output range, y zero point (literal or null to read x7[0]). */
        public boolean qlinear, hasBias;
        public String lo, hi, yz;
        /** qlinear_conv: per-output-channel float32 multipliers computed here (all scales constant), or null. */
        public List<String> mults;
        /** qlinear_conv with run-time scales: whether w_scale has one value per output channel. */
        public boolean wsPerChannel;

        ConvModel(Node n, int xIn, int wIn, int xzIn, int wzIn) {
            requireNonEmpty(n);
            Shape x = n.input(xIn).shape(), w = n.input(wIn).shape();
            ConvGeometry g = ConvGeometry.forConv(n.attrs(), x, w);
            int r = g.rank();
            if (r < 1 || r > 3) throw new Unsupported("convolutions over " + r + " spatial axes are not supported by the C backend (1 to 3 are)");
            long[] in = pad3(g.in, 1), out = pad3(g.out, 1), ker = pad3(g.kernel, 1);
            long[] s = pad3(g.strides, 1), d = pad3(g.dilations, 1), p = pad3(g.padsBegin, 0);
            batch = x.dim(0);
            channels = x.dim(1);
            outChannels = w.dim(0);
            groups = n.attrs().getInt("group", 1);
            groupChannels = channels / groups;
            groupOutChannels = outChannels / groups;
            id = in[0]; ih = in[1]; iw = in[2];
            od = out[0]; oh = out[1]; ow = out[2];
            kd = ker[0]; kh = ker[1]; kw = ker[2];
            sd = s[0]; sh = s[1]; sw = s[2];
            dd = d[0]; dh = d[1]; dw = d[2];
            pd = p[0]; ph = p[1]; pw = p[2];
            boolean any = false;
            for (int i = 0; i < r; i++) any |= g.padsBegin[i] != 0 || g.padsEnd[i] != 0;
            padded = any;
            inPlane = id * ih * iw;
            outPlane = od * oh * ow;
            outRows = oh * ow;
            kernelPlane = kd * kh * kw;
            weightsPer = groupChannels * kernelPlane;
            wName = "x" + wIn;
            wType = ScalarTypes.ctype(n.input(wIn).dtype());
            Value xzv = n.input(xzIn), wzv = n.input(wzIn);
            xzName = "x" + xzIn;
            wzName = "x" + wzIn;
            xz = xzv == null ? "0" : xzv.isConstant() ? Long.toString(xzv.constant().getLong(0)) : null;
            wzPerChannel = wzv != null && wzv.shape().numel() > 1;
            wz = wzv == null ? "0" : wzv.isConstant() && !wzPerChannel ? Long.toString(wzv.constant().getLong(0)) : null;
        }

        private static long[] pad3(int[] v, long fill) {
            long[] r = new long[3];
            Arrays.fill(r, fill);
            for (int i = 0; i < v.length; i++) r[3 - v.length + i] = v[i];
            return r;
        }
    }

    /** conv_integer: the exact int32 (wrapping) convolution of {@code x - x_zero_point} by {@code w - w_zero_point}. */
    public static Object convInteger(KernelModel k, Node n, Strategy t) {
        return new ConvModel(n, 0, 1, 2, 3);
    }

    /**
     * qlinear_conv: the int32 convolution plus bias, requantized per output channel with the float32 multiplier
     * {@code (x_scale * w_scale[m]) / y_scale}, as the interpreter forms it.
     */
    public static Object qlinearConv(KernelModel k, Node n, Strategy t) {
        ConvModel m = new ConvModel(n, 0, 3, 2, 5);
        m.qlinear = true;
        m.hasBias = n.input(8) != null;
        DType out = n.output(0).dtype();
        m.lo = Long.toString(out.minValue());
        m.hi = Long.toString(out.maxValue());
        Value yz = n.input(7);
        m.yz = yz.isConstant() ? Long.toString(yz.constant().getLong(0)) : null;
        Value xs = n.input(1), ws = n.input(4), ys = n.input(6);
        m.wsPerChannel = ws.shape().numel() > 1;
        if (xs.isConstant() && ws.isConstant() && ys.isConstant()) {
            float xScale = xs.constant().getFloat(0), yScale = ys.constant().getFloat(0);
            NdArray w = ws.constant();
            m.mults = new ArrayList<>();
            for (int i = 0; i < m.outChannels; i++) {
                float mult = (xScale * w.getFloat(w.size() == 1 ? 0 : i)) / yScale;
                m.mults.add(ScalarTypes.floatLiteral(mult));
            }
        }
        return m;
    }

    // ---------------------------------------------------------------- matmul_integer, qlinear_matmul

    /**
     * A scale or zero point of a matrix product: a literal (a scalar constant), a single run-time value
     * ({@code ptr[0]}), or one value per row / column / output element found through an index table.
     */
    public static final class Param {
        /** The kernel parameter holding it ({@code x2}). */
        public final String ptr;
        public final String literal;
        /** The index table's name and values (null when the parameter is a single value). */
        public final String table;
        public final List<Long> index;
        public final boolean present;

        Param(String ptr, String literal, String table, List<Long> index, boolean present) {
            this.ptr = ptr;
            this.literal = literal;
            this.table = table;
            this.index = index;
            this.present = present;
        }
    }

    /** The model of matmul_integer and qlinear_matmul: batched [M, K] x [K, N] with broadcast batch offsets. */
    public static final class MatmulModel {
        public final long batches, m, k, n;
        /** Elements of one output matrix (m * n). */
        public final long mn;
        /** For each output batch, where its matrix starts in a and in b. */
        public final List<Long> aOff = new ArrayList<>(), bOff = new ArrayList<>();
        /** Zero points of a (per row) and b (per column). */
        public Param az, bz;
        /** qlinear_matmul: scales of a, b, y, y's zero point, their C type, output range, and a constant multiplier. */
        public Param as, bs, ys, yz;
        public String stype, lo, hi, mult;
        /** qlinear_matmul: whether the multiplier is formed at run time from the scales. */
        public boolean runtimeScales;
        /** The operands' parameter names and C types. */
        public String aName, aType, bName, bType;
        /** Whether the multiplier is computed in double (f64 scales) and must be rounded to float. */
        public boolean f64;
        /** All parameter index tables, for declaring them. */
        public final List<Param> tables = new ArrayList<>();

        MatmulModel(long batches, long m, long k, long n) {
            this.batches = batches;
            this.m = m;
            this.k = k;
            this.n = n;
            this.mn = m * n;
        }
    }

    /** matmul_integer: the exact int32 (wrapping) product {@code (A - a_zero_point) x (B - b_zero_point)}. */
    public static Object matmulInteger(KernelModel k, Node n, Strategy t) {
        return matmul(n, 0, 1, 2, 3);
    }

    /**
     * qlinear_matmul: the int32 product requantized with the float32 multiplier {@code (float)((a_scale * b_scale) /
     * y_scale)} formed in the scales' type, as the interpreter forms it.
     */
    public static Object qlinearMatmul(KernelModel k, Node n, Strategy t) {
        MatmulModel mm = matmul(n, 0, 3, 2, 5);
        Shape a = n.input(0).shape(), b = n.input(3).shape(), y = n.output(0).shape();
        DType sp = n.input(1).dtype();
        mm.stype = ScalarTypes.ctype(sp);
        mm.f64 = sp == DType.F64;
        mm.as = rowColParam(mm, n, 1, "as_i", a, true);
        mm.bs = rowColParam(mm, n, 4, "bs_i", b, false);
        mm.ys = outParam(mm, n, 6, "ys_i", y);
        mm.yz = outParam(mm, n, 7, "yz_i", y);
        DType out = n.output(0).dtype();
        mm.lo = Long.toString(out.minValue());
        mm.hi = Long.toString(out.maxValue());
        if (mm.as.literal != null && mm.bs.literal != null && mm.ys.literal != null) {
            double sa = n.input(1).constant().getDouble(0), sb = n.input(4).constant().getDouble(0), sy = n.input(6).constant().getDouble(0);
            float mult = sp == DType.F64 ? (float) ((sa * sb) / sy) : ((float) sa * (float) sb) / (float) sy;
            mm.mult = ScalarTypes.floatLiteral(mult);
        }
        mm.runtimeScales = mm.mult == null;
        return mm;
    }

    private static MatmulModel matmul(Node n, int aIn, int bIn, int azIn, int bzIn) {
        requireNonEmpty(n);
        Shape a = n.input(aIn).shape(), b = n.input(bIn).shape();
        Shape a2 = promote(a, true), b2 = promote(b, false);
        Shape ab = batchOf(a2), bb = batchOf(b2), batch = Broadcast.shape(ab, bb);
        int m = a2.dim(-2), k = a2.dim(-1), nn = b2.dim(-1);
        MatmulModel mm = new MatmulModel(batch.size(), m, k, nn);
        mm.aName = "x" + aIn;
        mm.aType = ScalarTypes.ctype(n.input(aIn).dtype());
        mm.bName = "x" + bIn;
        mm.bType = ScalarTypes.ctype(n.input(bIn).dtype());
        int[] ai = Broadcast.indexMap(ab, batch), bi = Broadcast.indexMap(bb, batch);
        for (int t = 0; t < batch.size(); t++) {
            mm.aOff.add((long) ai[t] * m * k);
            mm.bOff.add((long) bi[t] * k * nn);
        }
        mm.az = zeroPoint(mm, n, azIn, "az_i", a, true, ai);
        mm.bz = zeroPoint(mm, n, bzIn, "bz_i", b, false, bi);
        return mm;
    }

    /** A zero point of a (per row: index of output batch t, row i) or b (per column: t, column j). */
    private static Param zeroPoint(MatmulModel mm, Node n, int in, String table, Shape x, boolean isA, int[] batchIndex) {
        Value v = n.input(in);
        String ptr = "x" + in;
        if (v == null) return new Param(ptr, "0", null, null, false);
        Param single = single(v, ptr);
        if (single != null) return single;
        int[] map = Broadcast.indexMap(paramShape(v.shape(), x, isA), x);
        long rows = isA ? mm.m : mm.n;
        List<Long> idx = new ArrayList<>();
        for (int t = 0; t < mm.batches; t++)
            for (long r = 0; r < rows; r++) {
                // why: the zero point is constant along K, so the element at k = 0 stands for its row or column
                long e = isA ? (batchIndex[t] * mm.m + r) * mm.k : (long) batchIndex[t] * mm.k * mm.n + r;
                idx.add((long) map[(int) e]);
            }
        return table(mm, ptr, table, idx);
    }

    /** A scale of a (per row) or b (per column), indexed like {@code Quantization.collapsedParamIndex}. */
    private static Param rowColParam(MatmulModel mm, Node n, int in, String table, Shape x, boolean isA) {
        Value v = n.input(in);
        String ptr = "x" + in;
        Param single = single(v, ptr);
        if (single != null) return single;
        int[] d = promote(x, isA).dims();
        d[isA ? d.length - 1 : d.length - 2] = 1;
        Shape c = Shape.of(d);
        int[] map = Broadcast.indexMap(paramShape(v.shape(), x, isA), c);
        Shape batchA = batchOf(promote(n.input(0).shape(), true)), batchB = batchOf(promote(n.input(3).shape(), false));
        Shape batch = Broadcast.shape(batchA, batchB);
        int[] bi = Broadcast.indexMap(isA ? batchA : batchB, batch);
        long rows = isA ? mm.m : mm.n;
        List<Long> idx = new ArrayList<>();
        for (int t = 0; t < mm.batches; t++)
            for (long r = 0; r < rows; r++) idx.add((long) map[(int) (bi[t] * rows + r)]);
        return table(mm, ptr, table, idx);
    }

    /** A parameter of the output (y_scale, y_zero_point): one index per output element. */
    private static Param outParam(MatmulModel mm, Node n, int in, String table, Shape y) {
        Value v = n.input(in);
        String ptr = "x" + in;
        if (v == null) return new Param(ptr, "0", null, null, false);
        Param single = single(v, ptr);
        if (single != null) return single;
        int[] map = Broadcast.indexMap(paramShape(v.shape(), y, true), y);
        List<Long> idx = new ArrayList<>();
        for (int i : map) idx.add((long) i);
        return table(mm, ptr, table, idx);
    }

    /** The parameter as a literal (a constant scalar) or a run-time scalar, or null when it has several values. */
    private static Param single(Value v, String ptr) {
        if (v.shape().numel() != 1) return null;
        if (!v.isConstant()) return new Param(ptr, null, null, null, true);
        NdArray c = v.constant();
        String lit = v.dtype().isFloat() ? ScalarTypes.literal(v.dtype(), c.getDouble(0)) : Long.toString(c.getLong(0));
        return new Param(ptr, lit, null, null, true);
    }

    private static Param table(MatmulModel mm, String ptr, String name, List<Long> idx) {
        Param p = new Param(ptr, null, name, idx, true);
        mm.tables.add(p);
        return p;
    }

    /** As {@code Quantization.paramShape}: a 1-D per-row parameter of M values becomes [M, 1]. */
    private static Shape paramShape(Shape p, Shape x, boolean perRow) {
        if (perRow && p.rank() == 1 && p.numel() > 1 && x.rank() >= 2) return Shape.of(p.dim(0), 1);
        return p;
    }

    private static Shape promote(Shape s, boolean isA) {
        if (s.rank() != 1) return s;
        return isA ? Shape.of(1, s.dim(0)) : Shape.of(s.dim(0), 1);
    }

    private static Shape batchOf(Shape s) {
        int[] d = s.dims();
        return Shape.of(Arrays.copyOf(d, d.length - 2));
    }
    // ---------------------------------------------------------------- dequant_gemm

    /** The float values of the 16 int4 codes (low nibble first as stored), and of the 16 uint4 codes. */
    private static final List<String> INT4_VALUES = List.of("0.0f", "1.0f", "2.0f", "3.0f", "4.0f", "5.0f", "6.0f", "7.0f",
            "-8.0f", "-7.0f", "-6.0f", "-5.0f", "-4.0f", "-3.0f", "-2.0f", "-1.0f");
    private static final List<String> UINT4_VALUES = List.of("0.0f", "1.0f", "2.0f", "3.0f", "4.0f", "5.0f", "6.0f", "7.0f",
            "8.0f", "9.0f", "10.0f", "11.0f", "12.0f", "13.0f", "14.0f", "15.0f");

    /**
     * The model of dequant_gemm: A [rows, k] times the blocked int4/uint4 weight, read on C as rows of Q [n, k] with
     * scales and zero points [n, blocks] (a [k, n] weight is laid out transposed at compile time), blocks of
     * {@code block} along k. OpenCL reads Q, S and Z in their own layout through the strides {@code qk, qn, sb, sn}.
     */
    /** The int8 grid of qdequant_gemm's and qdequant_conv's models: s_x and out_scale as float literals, z_x, the output zero point and clamp range. */
    public abstract static class BlockedInt8Grid {
        public String sx, outScale;
        public long zx, zo, lo, hi;

        /** Sets the grid from node {@code n}'s input type and output attributes; returns this. */
        BlockedInt8Grid int8(Node n) {
            dev.kiln.ir.QuantParams qx = n.input(0).type().quant();
            sx = ScalarTypes.floatLiteral(qx.scale(0));
            zx = qx.zeroPoint(0);
            outScale = ScalarTypes.floatLiteral((float) n.attrs().getFloat(dev.kiln.ops.QuantAttrs.OUT_SCALE));
            zo = n.attrs().getInt(dev.kiln.ops.QuantAttrs.OUT_ZERO_POINT);
            lo = n.attrs().getInt(dev.kiln.ops.QuantAttrs.ACT_MIN);
            hi = n.attrs().getInt(dev.kiln.ops.QuantAttrs.ACT_MAX);
            return this;
        }
    }

    public static final class DequantGemmModel extends BlockedInt8Grid {
        public final long rows, k, n, blocks, block, rowBytes;
        /** Whether k and the block are even, so each weight byte holds two neighbours of one block (read as a pair). */
        public final boolean pairs;
        /** Pairs: whole blocks and byte pairs in each, whether a short last block follows and its pairs. */
        public final long fullBlocks, blockPairs, tailPairs;
        public final boolean tail;
        /** Whether a bias is given, and its C name. */
        public final boolean hasBias;
        public final String bias;
        /** The float values of the 16 nibble codes (int4 or uint4) and the macro that unpacks one nibble. */
        public List<String> nib;
        public String unpack;
        /** The weight's type as the comment names it: int4 or uint4. */
        public String kind;
        /** Whether zero points are given (input 4, nibbles of Q's type, subtracted from each code as integers), their C name. */
        public boolean hasZp;
        public String zp;
        /** Strides of Q along k and n, and of S and Z along the blocks and n, in the graph's own layout (OpenCL). */
        public long qk, qn, sb, sn;

        DequantGemmModel(long rows, long k, long n, long block, String bias) {
            this.rows = rows;
            this.k = k;
            this.n = n;
            this.block = block;
            this.blocks = (k + block - 1) / block;
            this.rowBytes = k / 2;
            this.pairs = k % 2 == 0 && block % 2 == 0;
            this.fullBlocks = k / block;
            this.blockPairs = block / 2;
            this.tailPairs = (k % block) / 2;
            this.tail = k % block != 0;
            this.hasBias = bias != null;
            this.bias = bias;
        }
    }

    /**
     * dequant_gemm: {@code y[r, j] = sum_b S[j, b] * sum_(i in b) A[r, i] * (Q[j, i] - Z[j, b]) + C[j]}, each block's
     * partial sum in float times its scale; Q (and Z) are read as int4/uint4 nibbles from the packed constants (their
     * widening casts dropped), two to a byte through a 16-entry float table where k and the block are even. The
     * difference {@code q - z} is an integer of at most 5 bits, exact in float.
     */
    public static Object dequantGemm(KernelModel k, Node n, Strategy t) { return blockedProduct(k, n); }

    /**
     * qdequant_gemm: per output element, each block's exact int32 sum of {@code (x - z_x) * (q - z)} added in float
     * times {@code s_x * S[j, b]} in block order, the bias added, then {@code acc / out_scale} rounded half to even,
     * offset and clamped: the float operations of {@link dev.kiln.ops.QdequantGemm}'s reference in its order (no
     * FMA), so the bytes equal the interpreter's.
     */
    public static Object qdequantGemm(KernelModel k, Node n, Strategy t) { return blockedProduct(k, n).int8(n); }

    /**
     * The packed int4/uint4 constants behind inputs 1 (Q) and 4 (Z, may be absent) of a blocked op, {Q's, Z's or
     * null}, checked; they are read as nibbles from here on.
     */
    private static Value[] nibbleWeights(KernelModel k, Node n) {
        Value q = n.input(1), z = n.input(4);
        Value packed = PackedConstants.packed(q) ? q : PackedConstants.source(q);
        // why: the kernel reads nibbles; only a packed int4 or uint4 constant has them
        if (packed == null || packed.dtype() != DType.I4 && packed.dtype() != DType.U4) throw new Unsupported("its weight is not a packed int4 or uint4 constant");
        Value zPacked = z == null ? null : PackedConstants.packed(z) ? z : PackedConstants.source(z);
        // why: the zero points are read as nibbles of the weight's type too
        if (z != null && (zPacked == null || zPacked.dtype() != packed.dtype())) throw new Unsupported("its zero points are not a packed constant of its weight's type");
        if (packed != q) k.nibbleInputs.add(1);
        if (zPacked != null && zPacked != z) k.nibbleInputs.add(4);
        k.runtimeHeaders.add("kiln_types.h");
        // why: inlined into the run function, its pointers and table compete with the caller's registers
        k.outOfLine = true;
        return new Value[] {packed, zPacked};
    }

    /** The shared lowering of dequant_gemm and qdequant_gemm (inputs numbered alike): nibble inputs, layouts, model. */
    private static DequantGemmModel blockedProduct(KernelModel k, Node n) {
        boolean tb = n.attrs().getInt("trans_b", 0) != 0;
        Value s = n.input(2), z = n.input(4);
        // why: a [K, N] weight is laid out as [N, K] rows at compile time, its scales and zero points with it
        if (!tb && (!s.isConstant() || s.uses().size() != 1)) throw new Unsupported("a [K, N] weight needs constant scales of its own");
        Value[] nib = nibbleWeights(k, n);
        Value packed = nib[0], zPacked = nib[1];
        Shape a = n.input(0).shape();
        int kk = a.dim(1), nn = n.output(0).shape().dim(1);
        long block = n.attrs().getInt("block_size", 0);
        DequantGemmModel m = new DequantGemmModel(a.dim(0), kk, nn, block, n.input(3) == null ? null : k.ins.get(3).name);
        boolean signed = packed.dtype() == DType.I4;
        m.nib = signed ? INT4_VALUES : UINT4_VALUES;
        m.unpack = signed ? "KILN_UNPACK_I4" : "KILN_UNPACK_U4";
        m.kind = signed ? "int4" : "uint4";
        m.hasZp = z != null;
        m.zp = z == null ? null : k.ins.get(4).name;
        m.qk = tb ? 1 : nn;
        m.qn = tb ? kk : 1;
        m.sb = tb ? 1 : nn;
        m.sn = tb ? m.blocks : 1;
        if (!tb) {
            k.packed.put(1, transposed(packed.constant(), kk, nn));
            k.packed.put(2, transposed(s.constant(), (int) m.blocks, nn));
            if (zPacked != null) k.packed.put(4, transposed(zPacked.constant(), (int) m.blocks, nn));
        }
        return m;
    }

    // ---------------------------------------------------------------- dequant_conv

    /**
     * The model of dequant_conv and qdequant_conv: X [batch, cin, h, w] convolved with the blocked int4/uint4 weight Q
     * [m, c, kh, kw] read as nibbles (c = cin / group channels a group), scales (and zero points) [m, blocks, kh, kw],
     * blocks of {@code block} input channels of a group; output channel o reads the channels of group {@code o / mg}
     * ({@code grouped} when there are several groups); window geometry as numbers.
     */
    public static final class DequantConvModel extends BlockedInt8Grid {
        /** xBatch and xGroup: the elements of X's batch item and of a group's channels. */
        public final long batch, cin, c, mg, xBatch, xGroup, h, w, plane, m, kh, kw, taps, oh, ow, sh, sw, dh, dw, ph, pw, block, blocks;
        public final boolean grouped;
        public final boolean hasBias, hasZp;
        public final String bias, zp, unpack, kind;

        DequantConvModel(KernelModel k, Node n, Value[] nib) {
            Shape x = n.input(0).shape(), q = n.input(1).shape();
            dev.kiln.ops.ConvGeometry g = dev.kiln.ops.ConvGeometry.forConv(n.attrs(), x, q);
            batch = x.dim(0);
            cin = x.dim(1);
            c = q.dim(1);
            m = q.dim(0);
            mg = m / n.attrs().getInt("group", 1);
            grouped = c != cin;
            h = x.dim(2);
            w = x.dim(3);
            plane = h * w;
            xBatch = cin * plane;
            xGroup = c * plane;
            kh = q.dim(2);
            kw = q.dim(3);
            taps = (long) q.dim(2) * q.dim(3);
            oh = g.out[0];
            ow = g.out[1];
            sh = g.strides[0];
            sw = g.strides[1];
            dh = g.dilations[0];
            dw = g.dilations[1];
            ph = g.padsBegin[0];
            pw = g.padsBegin[1];
            block = n.attrs().getInt("block_size");
            blocks = (c + block - 1) / block;
            hasBias = n.input(3) != null;
            bias = hasBias ? k.ins.get(3).name : null;
            hasZp = n.input(4) != null;
            zp = hasZp ? k.ins.get(4).name : null;
            boolean signed = nib[0].dtype() == DType.I4;
            unpack = signed ? "KILN_UNPACK_I4" : "KILN_UNPACK_U4";
            kind = signed ? "int4" : "uint4";
        }
    }

    /**
     * dequant_conv: per output element, for each block of input channels and each tap, the block's products
     * {@code x * (q - z)} summed in float and added times the block's scale, then the bias; Q and Z read as nibbles
     * from the packed constants (their widening casts dropped), taps in the padding skipped.
     */
    public static Object dequantConv(KernelModel k, Node n, Strategy t) { return new DequantConvModel(k, n, nibbleWeights(k, n)); }

    /**
     * qdequant_conv: the float operations of {@link dev.kiln.ops.QdequantConv}'s reference in its order (exact int32
     * block sums, block-major then tap, no FMA), so the bytes equal the interpreter's.
     */
    public static Object qdequantConv(KernelModel k, Node n, Strategy t) { return new DequantConvModel(k, n, nibbleWeights(k, n)).int8(n); }

    /** The [cols, rows] transpose of the [rows, cols] array {@code a}, in a's type. */
    private static NdArray transposed(NdArray a, int rows, int cols) {
        NdArray r = NdArray.zeros(a.dtype(), Shape.of(cols, rows));
        boolean integer = a.dtype().isInteger();
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                if (integer) r.setLong(j * rows + i, a.getLong(i * cols + j));
                else r.setDouble(j * rows + i, a.getDouble(i * cols + j));
            }
        return r;
    }
}
