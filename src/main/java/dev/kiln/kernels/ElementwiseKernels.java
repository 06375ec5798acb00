package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import java.util.List;

/**
 * C kernel lowerings of the element-wise ops: one public static method per op that needs more than
 * {@link KernelModel} (see Lowerings). Each returns a small model whose public fields the op's template in
 * {@code templates/c/ops/elementwise.stg} reads as {@code m}.
 */
public final class ElementwiseKernels {
    private ElementwiseKernels() {}

    /** 2^63 as a C literal of a float type: the first value a float-to-int64 conversion cannot hold. */
    private static String two63(boolean f64) {
        return f64 ? "9223372036854775808.0" : "9223372036854775808.0f";
    }

    /** The C element type of a dtype. */
    private static String ctype(DType t) { return ScalarTypes.ctype(t); }

    /**
     * An unsigned type wide enough that integer arithmetic on {@code t} values cannot overflow a signed {@code int}
     * after the usual promotions: {@code uint32_t} for 8- and 16-bit types, the type's own unsigned type otherwise.
     */
    private static String wide(DType t) {
        return t.byteSize() < 4 ? "uint32_t" : ScalarTypes.utype(t);
    }

    /** The conversion of a float value to a wrapped integer, as {@code NdArray.setDouble} does it (NaN gives 0). */
    public static final class FloatToInt {
        /** 2^63 and -2^63 as literals of the float type being converted. */
        public final String hi, lo;

        FloatToInt(boolean f64) {
            hi = two63(f64);
            lo = "-" + hi;
        }
    }

    /** Model of {@code mul}: the unsigned type integers multiply in. */
    public static final class Mul {
        /** Unsigned type of the product (integers only). */
        public final String wide;

        Mul(DType t) { wide = t.isFloat() ? ctype(t) : wide(t); }
    }

    /** Lowers {@code mul}: integer products wrap, so they are computed in a wide unsigned type. */
    public static Object mul(KernelModel k, Node n, Strategy t) { return new Mul(n.output(0).dtype()); }

    /** Model of {@code prelu}: how {@code x < 0 ? x * slope : x} is computed for the element type. */
    public static final class Prelu {
        /** Float, signed integer (wrapping product in {@link #wide}), or unsigned (never negative: y = x). */
        public final boolean isFloat, isSigned, isUnsigned;
        public final String wide;

        Prelu(DType t) {
            isFloat = t.isFloat();
            isSigned = t.isSigned();
            isUnsigned = !isFloat && !isSigned;
            wide = isFloat ? ctype(t) : wide(t);
        }
    }

    /** Lowers {@code prelu}. */
    public static Object prelu(KernelModel k, Node n, Strategy t) { return new Prelu(n.output(0).dtype()); }

    /** Model of {@code pow}: which of the interpreter's three cases applies. */
    public static final class Pow {
        /** Float base: {@code pow} in {@link #ptype}. */
        public final boolean floatBase;
        /** Integer base, float exponent: {@code pow} in double, then truncated and wrapped. */
        public final boolean floatExp;
        /** Integer base and exponent: exact repeated squaring, wrapping modulo 2^64. */
        public final boolean intInt;
        /** The float type {@code pow} runs in for a float base, and its math.h suffix. */
        public final String ptype, pf;
        public final FloatToInt conv = new FloatToInt(true);

        Pow(DType base, DType exp) {
            floatBase = base.isFloat();
            floatExp = !floatBase && exp.isFloat();
            intInt = !floatBase && !floatExp;
            boolean d = base == DType.F64 || exp == DType.F64;
            ptype = d ? "double" : "float";
            pf = d ? "" : "f";
        }
    }

    /** Lowers {@code pow}: the exponent may have another type than the base. */
    public static Object pow(KernelModel k, Node n, Strategy t) {
        return new Pow(n.input(0).dtype(), n.input(1).dtype());
    }

    /**
     * Model of {@code cast}: which conversion turns an element of the input type into the output type. A storage
     * type (f16, bf16, float8, float4) is read through its kiln_types.h decoder into an f32 {@code v} and written
     * through its encoder; a sub-byte integer is wrapped into its range by a kiln_types.h helper.
     */
    public static final class Cast {
        /** Anything to bool: {@code x != 0} (NaN is true). */
        public final boolean toBool;
        /** Float to integer: truncate toward zero, saturate to int64 (NaN gives 0), then wrap to the type. */
        public final boolean floatToInt;
        /** To a narrow float: {@code encode((float)v, saturate[, mode])}. */
        public final boolean toNarrow;
        /** Every other pair: a plain C conversion (integers wrap, floats round to nearest). */
        public final boolean plain;
        public final FloatToInt conv;
        /** The type v is read in, and the decoder the stored element goes through (empty: none). */
        public final String vtype, decode;
        /** How an integer result enters the output: a C cast {@code (int8_t)} or a wrap helper ({@code kiln_wrap_i4}). */
        public final String wrap;
        /** The encoder of a narrow float output and its arguments after the value ({@code , 1}). */
        public final String encode, encodeArgs;
        /** The macro reading element i of a packed sub-byte input ({@code KILN_UNPACK_I4}; f4e2m1's code: U4), or null. */
        public final String unpack;
        /** The macro adding an element's code to a packed sub-byte output's byte ({@code KILN_PACK4}), or null. */
        public final String pack;
        /** A packed output's elements per byte and bytes. */
        public final int per;
        public final long outBytes;

        Cast(DType from, DType to, boolean saturate, String roundMode, long n) {
            toBool = to == DType.BOOL;
            boolean narrowIn = from.isFloat() && !ScalarTypes.generated(from);
            boolean narrowOut = to.isFloat() && !ScalarTypes.generated(to);
            toNarrow = !toBool && narrowOut;
            floatToInt = !toBool && !toNarrow && from.isFloat() && !to.isFloat();
            plain = !toBool && !floatToInt && !toNarrow;
            conv = new FloatToInt(from == DType.F64);
            vtype = narrowIn ? "float" : ScalarTypes.ctype(ScalarTypes.compute(from));
            unpack = from.isSubByte() ? ScalarTypes.unpacker(from) : null;
            pack = to.isSubByte() ? "KILN_PACK" + to.bits() : null;
            per = to.isSubByte() ? 8 / to.bits() : 1;
            outBytes = to.isSubByte() ? to.packedBytes(n) : n;
            decode = narrowIn ? ScalarTypes.decoder(from) : "";
            wrap = to.isInteger() && !ScalarTypes.generated(to) ? ScalarTypes.wrapper(to) : "(" + ScalarTypes.ctype(to) + ")";
            encode = !narrowOut ? "" : to == DType.F8E8M0 ? ScalarTypes.encoder(to) + "_mode" : ScalarTypes.encoder(to);
            // why: an integer converts to a float8 saturating whatever the attribute says (NdArray.cast rounds it so)
            String sat = saturate || !from.isFloat() && to != DType.F8E8M0 ? "1" : "0";
            encodeArgs = ", " + sat + (to == DType.F8E8M0 ? ", KILN_E8M0_" + roundMode.toUpperCase(java.util.Locale.ROOT) : "");
        }
    }

    /** Lowers {@code cast}; a storage type on either side brings kiln_types.h. */
    public static Object cast(KernelModel k, Node n, Strategy t) {
        DType from = n.input(0).dtype(), to = n.output(0).dtype();
        if (!ScalarTypes.generated(from) || !ScalarTypes.generated(to)) k.runtimeHeaders.add("kiln_types.h");
        String mode = n.attrs().has("round_mode") ? n.attrs().getString("round_mode") : "up";
        if (!java.util.Set.of("up", "down", "nearest").contains(mode)) throw new Unsupported("round_mode '" + mode + "' is not generated (up, down and nearest are)");
        boolean saturate = !n.attrs().has("saturate") || n.attrs().getInt("saturate") != 0;
        return new Cast(from, to, saturate, mode, n.output(0).shape().numel());
    }

    /** Lowers {@code bit_cast}: the template copies each element through a union of the two types (no model fields). */
    public static Object bitCast(KernelModel k, Node n, Strategy t) { return new Object(); }

    /** Model of {@code clip}: each bound is absent, a constant computed here, or read from a scalar input. */
    public static final class Clip {
        public final boolean hasLo, hasHi;
        /** The bound is the scalar input x1 (min) or x2 (max) rather than a literal. */
        public final boolean loInput, hiInput;
        /** Literal bounds of the element type (integer bounds already rounded inward and saturated). */
        public final String lo, hi;
        /**
         * An int64 bound input goes through double like the interpreter's ({@code getDouble}), saturating at
         * 2^63; narrower integers are exact in double, so their inputs are read directly.
         */
        public final boolean viaDouble;
        public final FloatToInt conv = new FloatToInt(true);
        /** The bounds as scalar.stg's {@code scalar_clip} reads them: {@code min} and {@code max} name the C constants lo and hi. */
        public final java.util.Map<String, String> attr;

        Clip(KernelModel k, Node n) {
            DType t = n.input(0).dtype();
            loInput = n.numInputs() > 1 && n.input(1) != null;
            hiInput = n.numInputs() > 2 && n.input(2) != null;
            boolean loAttr = n.attrs().has("min"), hiAttr = n.attrs().has("max");
            hasLo = loInput || loAttr;
            hasHi = hiInput || hiAttr;
            viaDouble = t == DType.I64;
            lo = loAttr && !loInput ? bound(t, n.attrs().getFloat("min"), true) : null;
            hi = hiAttr && !hiInput ? bound(t, n.attrs().getFloat("max"), false) : null;
            java.util.Map<String, String> a = new java.util.TreeMap<>();
            if (hasLo) a.put("min", "lo");
            if (hasHi) a.put("max", "hi");
            attr = java.util.Collections.unmodifiableMap(a);
        }

        private static String bound(DType t, double v, boolean lower) {
            if (t.isFloat()) return ScalarTypes.literal(t, v);
            // why: integer bounds round inward (ceil of min, floor of max) and saturate to the type, as Clip does
            double r = lower ? Math.ceil(v) : Math.floor(v);
            return ScalarTypes.intLiteral(t, t.saturate((long) r));
        }
    }

    /** Lowers {@code clip}: bounds from attributes or from optional scalar inputs (inputs win). */
    public static Object clip(KernelModel k, Node n, Strategy t) { return new Clip(k, n); }

    /** Model of {@code sum}, {@code mean}, {@code min} and {@code max}: inputs after the first, folded in order. */
    public static final class Variadic {
        /** Inputs 1.. (input 0 starts the fold). */
        public final List<TensorInfo> rest;
        /** The input count as a literal of the compute type (mean divides by it). */
        public final String count;

        Variadic(KernelModel k) {
            rest = k.ins.subList(1, k.ins.size());
            count = k.y.isFloat ? ScalarTypes.literal(k.y.isF64 ? DType.F64 : DType.F32, k.ins.size()) : Integer.toString(k.ins.size());
        }
    }

    /** Lowers {@code sum}. */
    public static Object sum(KernelModel k, Node n, Strategy t) { return new Variadic(k); }

    /** Lowers {@code mean}. */
    public static Object mean(KernelModel k, Node n, Strategy t) { return new Variadic(k); }

    /** Lowers {@code min}. */
    public static Object min(KernelModel k, Node n, Strategy t) { return new Variadic(k); }

    /** Lowers {@code max}. */
    public static Object max(KernelModel k, Node n, Strategy t) { return new Variadic(k); }

    /** Model of {@code dropout}: whether the mask output is wanted, and its size. */
    public static final class Dropout {
        public final boolean mask;
        public final long maskBytes;
        /** The mask's parameter name. */
        public final String maskName;

        Dropout(KernelModel k) {
            mask = k.outs.size() > 1 && k.outs.get(1).present;
            maskName = mask ? k.outs.get(1).name : null;
            maskBytes = mask ? k.outs.get(1).bytes : 0;
        }
    }

    /** Lowers {@code dropout} (inference: y = x, mask all ones). */
    public static Object dropout(KernelModel k, Node n, Strategy t) { return new Dropout(k); }

    /** Model of {@code gelu}: the erf form or the tanh approximation, with their constants. */
    public static final class Gelu {
        public final boolean tanh;
        /** 1/sqrt(2) for the erf form; sqrt(2/pi) and 0.044715 for the tanh form. */
        public final String rsqrt2, sqrt2OverPi, cubic;

        Gelu(KernelModel k, Node n) {
            DType c = k.y.isF64 ? DType.F64 : DType.F32;
            tanh = n.attrs().getString("approximate").equals("tanh");
            rsqrt2 = ScalarTypes.literal(c, 1.0 / Math.sqrt(2.0));
            sqrt2OverPi = ScalarTypes.literal(c, Math.sqrt(2.0 / Math.PI));
            cubic = ScalarTypes.literal(c, 0.044715);
        }
    }

    /** Lowers {@code gelu}. */
    public static Object gelu(KernelModel k, Node n, Strategy t) { return new Gelu(k, n); }

    /** Model of {@code erf}. */
    public static final class Erf {
        /** An f32 kernel on a C vector host optimised for speed: kiln_runtime.h's kiln_erf_f32, which GCC vectorises. */
        public final boolean vectorisable;

        Erf(boolean vectorisable) { this.vectorisable = vectorisable; }
    }

    /** Lowers {@code erf}: libm's erff kept KWS transformers' GELU scalar (28 % of their time). */
    public static Object erf(KernelModel k, Node n, Strategy t) {
        return new Erf(n.output(0).dtype() == DType.F32 && t.optimizeForSpeed() && t.vectorBytes() >= 16);
    }

    /** Lowers {@code hard_swish}: its model is its {@link Activation}, which holds ONNX's fixed slope 1/6. */
    public static Object hardSwish(KernelModel k, Node n, Strategy t) { return Activation.standalone(n); }
}
