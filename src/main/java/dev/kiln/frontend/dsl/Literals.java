package dev.kiln.frontend.dsl;

import dev.kiln.diag.Code;
import dev.kiln.frontend.dsl.parser.KilnParser;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.antlr.v4.runtime.Token;

/** Reads the DSL's types ({@code f32[1, 4] quant(...)}), numbers and literal tensors, reporting bad ones. */
final class Literals {
    private final Problems problems;

    private final dev.kiln.frontend.onnx.ImportOptions options;

    Literals(Problems problems, dev.kiln.frontend.onnx.ImportOptions options) {
        this.problems = problems;
        this.options = options;
    }

    /** The tensor type a {@code type} clause spells; unknown dtypes and bad quant parameters are errors. */
    TensorType type(KilnParser.TypeContext t) {
        String dn = Names.text(t.dtype);
        DType dt = DType.fromShortName(dn);
        if (dt == null || !dt.shortName().equals(dn)) {
            List<String> all = new ArrayList<>();
            for (DType d : DType.values()) all.add(d.shortName());
            String near = Problems.nearest(dn, all);
            throw problems.fail(Code.DSL_UNKNOWN_DTYPE, t.dtype.getStart(), "unknown dtype '" + dn + "'"
                    + (near != null ? " (did you mean '" + near + "'?)" : " (known: " + String.join(" ", all) + ")"));
        }
        long[] dims = new long[t.INT().size()];
        for (int i = 0; i < dims.length; i++) {
            Token d = t.INT(i).getSymbol();
            try {
                dims[i] = Long.parseLong(d.getText());
                if (dims[i] > Integer.MAX_VALUE) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                throw problems.fail(Code.DSL_BAD_LITERAL, d, "dimension " + d.getText() + " is too large");
            }
        }
        String problem = options.shapeProblem(dims, dt.byteSize());
        if (problem != null) throw problems.fail(Code.BAD_SHAPE, t.getStart(), "type " + t.getText() + " is not acceptable: " + problem);
        Shape shape = Shape.of(dims);
        TensorType r = new TensorType(dt, shape);
        if (t.quant() != null) r = r.withQuant(quant(t.quant(), shape));
        return r;
    }

    private QuantParams quant(KilnParser.QuantContext q, Shape shape) {
        Map<String, KilnParser.KeywordArgContext> given = new LinkedHashMap<>();
        ValueEvaluator ev = new ValueEvaluator(this, null);
        for (KilnParser.KeywordArgContext k : q.keywordArg()) {
            String key = Names.text(k.key);
            if (!List.of("scale", "zero_point", "axis").contains(key))
                throw problems.fail(Code.DSL_UNKNOWN_ARGUMENT, k.key.getStart(), "quant has no parameter '" + key + "' (it takes: scale, zero_point, axis)");
            if (given.put(key, k) != null) throw problems.fail(Code.DSL_BAD_ARGUMENT, k.key.getStart(), "quant parameter '" + key + "' is given twice");
        }
        if (!given.containsKey("scale")) throw problems.fail(Code.DSL_BAD_ARGUMENT, q.getStart(), "quant needs 'scale'");
        KilnParser.KeywordArgContext sc = given.get("scale");
        KilnParser.KeywordArgContext zc = given.get("zero_point");
        KilnParser.KeywordArgContext ac = given.get("axis");
        Object s = ev.visit(sc.value());
        Object z = zc == null ? null : ev.visit(zc.value());
        if (ac == null) {
            if (!(s instanceof Long || s instanceof Double))
                throw problems.fail(Code.DSL_BAD_ARGUMENT, sc.value().getStart(), "scale must be a number (or a list with axis=A), got " + DslValues.describe(s));
            if (z != null && !(z instanceof Long))
                throw problems.fail(Code.DSL_BAD_ARGUMENT, zc.value().getStart(), "zero_point must be an int, got " + DslValues.describe(z));
            return QuantParams.perTensor(((Number) s).floatValue(), z == null ? 0 : (Long) z);
        }
        Object a = ev.visit(ac.value());
        if (!(a instanceof Long)) throw problems.fail(Code.DSL_BAD_ARGUMENT, ac.value().getStart(), "axis must be an int, got " + DslValues.describe(a));
        long axis = (Long) a;
        if (axis < -shape.rank() || axis >= shape.rank())
            throw problems.fail(Code.DSL_BAD_ARGUMENT, ac.value().getStart(), "axis " + axis + " is out of range for a tensor of rank " + shape.rank());
        int ax = (int) (axis < 0 ? axis + shape.rank() : axis);
        double[] scales = numbers(s, sc.value().getStart(), "scale", false);
        double[] zps = z == null ? new double[scales.length] : numbers(z, zc.value().getStart(), "zero_point", true);
        int channels = shape.dim(ax);
        if (scales.length != channels || zps.length != channels)
            throw problems.fail(Code.DSL_BAD_ARGUMENT, q.getStart(), "per-channel quant along axis " + ax + " needs " + channels
                    + " scales and zero points, got " + scales.length + " and " + zps.length);
        float[] fs = new float[channels];
        long[] lz = new long[channels];
        for (int i = 0; i < channels; i++) {
            fs[i] = (float) scales[i];
            lz[i] = (long) zps[i];
        }
        return new QuantParams(fs, lz, ax);
    }

    private double[] numbers(Object v, Token at, String what, boolean ints) {
        List<?> l = v instanceof List ? (List<?>) v : List.of(v);
        double[] r = new double[l.size()];
        for (int i = 0; i < r.length; i++) {
            Object o = l.get(i);
            if (!(o instanceof Long || (!ints && o instanceof Double)))
                throw problems.fail(Code.DSL_BAD_ARGUMENT, at, what + " must be a list of " + (ints ? "ints" : "numbers") + ", got " + DslValues.describe(v));
            r[i] = ((Number) o).doubleValue();
        }
        return r;
    }

    /** A number token: a Long for integers, a Double for the rest ({@code inf}, {@code nan}, {@code 1e-5}). */
    Object number(KilnParser.NumberContext n) {
        boolean neg = n.getChild(0).getText().equals("-");
        Token t = n.getStop();
        String s = t.getText();
        if (t.getType() == KilnParser.INT) {
            BigInteger b = new BigInteger(s);
            if (neg) b = b.negate();
            if (b.bitLength() > 63) throw problems.fail(Code.DSL_BAD_LITERAL, n.getStart(), "integer " + (neg ? "-" : "") + s + " is out of range (64-bit)");
            return b.longValue();
        }
        double d = s.equals("inf") ? Double.POSITIVE_INFINITY : s.equals("nan") ? Double.NaN : Double.parseDouble(s);
        return neg ? -d : d;
    }

    /** The tensor a literal spells for type {@code t}: one number fills the shape; lists must nest like the shape. */
    NdArray tensor(KilnParser.LiteralContext lit, TensorType t) {
        NdArray a = NdArray.zeros(t.dtype(), t.shape());
        int[] dims = t.shape().dims();
        if (!isList(lit)) {
            Object v = leaf(lit);
            for (int i = 0; i < a.size(); i++) store(a, i, v, lit.getStart());
            return a;
        }
        int[] next = {0};
        fill(lit, dims, 0, a, next);
        return a;
    }

    private static boolean isList(KilnParser.LiteralContext lit) { return lit.getStart().getText().equals("["); }

    private void fill(KilnParser.LiteralContext lit, int[] dims, int depth, NdArray a, int[] next) {
        if (depth == dims.length) {
            if (isList(lit))
                throw problems.fail(Code.DSL_BAD_LITERAL, lit.getStart(), "literal nests deeper than the shape " + Shape.of(dims) + " (rank " + dims.length + ")");
            store(a, next[0]++, leaf(lit), lit.getStart());
            return;
        }
        if (!isList(lit))
            throw problems.fail(Code.DSL_BAD_LITERAL, lit.getStart(), "literal does not match the shape " + Shape.of(dims)
                    + ": expected a list of " + dims[depth] + " at depth " + (depth + 1) + ", got a number");
        if (lit.literal().size() != dims[depth])
            throw problems.fail(Code.DSL_BAD_LITERAL, lit.getStart(), "literal does not match the shape " + Shape.of(dims)
                    + ": expected " + dims[depth] + " values at depth " + (depth + 1) + ", got " + lit.literal().size());
        for (KilnParser.LiteralContext c : lit.literal()) fill(c, dims, depth + 1, a, next);
    }

    private Object leaf(KilnParser.LiteralContext lit) {
        if (lit.number() != null) return number(lit.number());
        return lit.boolean_().getText().equals("true");
    }

    private void store(NdArray a, int i, Object v, Token at) {
        DType dt = a.dtype();
        if (dt == DType.BOOL) {
            if (v instanceof Boolean) a.setLong(i, (Boolean) v ? 1 : 0);
            else if (v instanceof Long && ((Long) v == 0 || (Long) v == 1)) a.setLong(i, (Long) v);
            else throw problems.fail(Code.DSL_BAD_LITERAL, at, "value " + DslValues.describe(v) + " is not a bool (true, false, 0 or 1)");
            return;
        }
        if (v instanceof Boolean) throw problems.fail(Code.DSL_BAD_LITERAL, at, "value " + v + " is not a number (the type is " + dt + ")");
        if (dt.isFloat()) {
            a.setDouble(i, ((Number) v).doubleValue());
            return;
        }
        if (!(v instanceof Long))
            throw problems.fail(Code.DSL_BAD_LITERAL, at, "value " + DslValues.describe(v) + " is not an integer (the type is " + dt + ")");
        long l = (Long) v;
        if (l < dt.minValue() || l > dt.maxValue())
            throw problems.fail(Code.DSL_BAD_LITERAL, at, "value " + l + " is out of range for " + dt + " (" + dt.minValue() + ".." + dt.maxValue() + ")");
        a.setLong(i, l);
    }

    /** A double in its shortest round-trip form ({@code 1e-05}, {@code 0.5}, {@code inf}, {@code nan}). */
    static String formatDouble(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d) + ".0";
        return Double.toString(d);
    }
}
