package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.toolchain.CProgramRunner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The element-wise C kernels on what the ONNX conformance cases leave out: every Cast pair (NaN, infinities and
 * out-of-range floats to integers), integer arithmetic at the edges of each type (wrapping, INT_MIN / -1, 16-bit
 * products), Pow's mixed types, Clip's integer bounds, f64 activations, and alias ops that must copy. All jobs
 * are built into one host program with AddressSanitizer and UBSan and compared with the interpreter.
 */
class ElementwiseKernelsTest {
    private static final DType[] INTS = {DType.I8, DType.U8, DType.I16, DType.U16, DType.I32, DType.U32, DType.I64};
    private static final DType[] ALL = {DType.F32, DType.F64, DType.I8, DType.U8, DType.I16, DType.U16, DType.I32, DType.U32,
            DType.I64, DType.BOOL};

    private final List<Checker.Job> jobs = new ArrayList<>();

    /** One node over graph inputs (null entries are absent optional inputs); its outputs are the graph's. */
    private void job(String name, OpDef op, Attrs attrs, int outputs, NdArray... ins) {
        Graph g = new Graph(name);
        List<Value> vs = new ArrayList<>();
        List<NdArray> data = new ArrayList<>();
        for (int i = 0; i < ins.length; i++) {
            if (ins[i] == null) {
                vs.add(null);
                continue;
            }
            vs.add(g.addInput("in" + i, ins[i].type()));
            data.add(ins[i]);
        }
        Node n = g.addNode(op, "n", Arrays.asList(vs.toArray(new Value[0])), attrs, outputs);
        for (Value v : n.outputs()) g.addOutput(v);
        jobs.add(new Checker.Job(name, g, data));
    }

    private void job(String name, OpDef op, Attrs attrs, NdArray... ins) { job(name, op, attrs, 1, ins); }

    private static NdArray floats(DType t, double... v) {
        NdArray a = NdArray.zeros(t, Shape.of(v.length));
        for (int i = 0; i < v.length; i++) a.setDouble(i, v[i]);
        return a;
    }

    private static NdArray longs(DType t, Shape s, long... v) { return NdArray.ofLongs(t, s, v.clone()); }

    private static NdArray longs(DType t, long... v) { return longs(t, Shape.of(v.length), v); }

    /** min, max, -1, 1, 0 and a few ordinary values of an integer type, as stored (wrapped) values. */
    private static NdArray edges(DType t) {
        return longs(t, t.minValue(), t.maxValue(), -1, 1, 0, 7, -7, t.maxValue() - 1, t.minValue() + 1, 100, -100, 3);
    }

    /** Non-zero divisors to go with {@link #edges}: -1 against the minimum, then mixed signs. */
    private static NdArray divisors(DType t) {
        return longs(t, -1, -1, 3, -1, 5, 2, -2, t.maxValue(), 7, -3, 9, t.isSigned() ? t.minValue() : t.maxValue() / 2);
    }

    @Test
    void matchesTheInterpreter() {
        double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 3e9, -3e9, 1e20, -1e20, 2.5, -2.5,
                255.9, -0.5, 128, -129, 65536.7, 0, 1, 9.2233720368547758e18, -9.2233720368547758e18, 4294967295.5, -2147483648.9};
        for (DType from : new DType[] {DType.F32, DType.F64})
            for (DType to : ALL) job("cast_" + from + "_" + to, Ops.CAST, Attrs.of("to", to.shortName()), floats(from, special));
        NdArray i64 = longs(DType.I64, Long.MIN_VALUE, Long.MAX_VALUE, -1, (1L << 53) + 1, (1L << 24) + 1, 4294967296L + 255, 0, 1, -129);
        for (DType to : ALL) job("cast_i64_" + to, Ops.CAST, Attrs.of("to", to.shortName()), i64);
        for (DType from : new DType[] {DType.I8, DType.U32, DType.BOOL})
            for (DType to : ALL) job("cast_" + from + "_" + to, Ops.CAST, Attrs.of("to", to.shortName()),
                    longs(from, -128, 127, 255, 0, 1, 4294967295L, 2147483648L));

        for (DType t : INTS) {
            job("add_" + t, Ops.ADD, Attrs.EMPTY, edges(t), divisors(t));
            job("sub_" + t, Ops.SUB, Attrs.EMPTY, edges(t), divisors(t));
            job("mul_" + t, Ops.MUL, Attrs.EMPTY, edges(t), divisors(t));
            job("div_" + t, Ops.DIV, Attrs.EMPTY, edges(t), divisors(t));
            job("abs_" + t, Ops.ABS, Attrs.EMPTY, edges(t));
            job("sum_" + t, Ops.SUM, Attrs.EMPTY, edges(t), divisors(t), longs(t, Shape.of(1), t.maxValue()));
            job("min_" + t, Ops.MIN, Attrs.EMPTY, edges(t), divisors(t), longs(t, Shape.of(1), 2));
            job("max_" + t, Ops.MAX, Attrs.EMPTY, edges(t), divisors(t), longs(t, Shape.of(1), 2));
            job("equal_" + t, Ops.EQUAL, Attrs.EMPTY, edges(t), divisors(t));
            job("prelu_" + t, Ops.PRELU, Attrs.EMPTY, edges(t), longs(t, Shape.of(1), 3));
            job("clip_attr_" + t, Ops.CLIP, Attrs.of("min", 0.0, "max", 200.5), edges(t));
            job("clip_wide_" + t, Ops.CLIP, Attrs.of("min", -1e30, "max", 1e30), edges(t));
            job("clip_in_" + t, Ops.CLIP, Attrs.EMPTY, edges(t), longs(t, Shape.scalar(), -5), longs(t, Shape.scalar(), t.maxValue()));
            job("pow_" + t + "_i32", Ops.POW, Attrs.EMPTY, edges(t), longs(DType.I32, 0, 1, -3, -2, 2, -2, 5, 31, 63, -3, 2, 40));
            job("pow_" + t + "_f32", Ops.POW, Attrs.EMPTY, edges(t), floats(DType.F32, 0.5, 2, 1.5, -1, 2, 0.5, 3, 70, 1, -0.5, 1e3, 2));
            if (t.isSigned()) {
                job("neg_" + t, Ops.NEG, Attrs.EMPTY, edges(t));
                job("relu_" + t, Ops.RELU, Attrs.EMPTY, edges(t));
            }
        }
        // broadcasting in every direction: [2,1,3] with [4,1], and a [3] against [2,4,3]
        NdArray a = longs(DType.I32, Shape.of(2, 1, 3), 1, 2, 3, 4, 5, 6);
        NdArray b = longs(DType.I32, Shape.of(4, 1), 10, 20, 30, 40);
        job("sub_bcast", Ops.SUB, Attrs.EMPTY, a, b);
        job("sum_bcast", Ops.SUM, Attrs.EMPTY, b, a, longs(DType.I32, Shape.of(3), 100, 200, 300));
        job("where_bcast", Ops.WHERE, Attrs.EMPTY, longs(DType.BOOL, Shape.of(4, 1), 1, 0, 1, 0), a, b);
        job("where_bool", Ops.WHERE, Attrs.EMPTY, longs(DType.BOOL, 1, 0, 1), longs(DType.BOOL, 0, 0, 1), longs(DType.BOOL, 1, 1, 0));
        job("where_i64", Ops.WHERE, Attrs.EMPTY, longs(DType.BOOL, Shape.of(2, 1), 1, 0), longs(DType.I64, Long.MIN_VALUE, 5),
                longs(DType.I64, Shape.scalar(), Long.MAX_VALUE));
        job("clip_i64_in", Ops.CLIP, Attrs.EMPTY, edges(DType.I64), longs(DType.I64, Shape.scalar(), (1L << 53) + 1),
                longs(DType.I64, Shape.scalar(), Long.MAX_VALUE));
        job("clip_i8_over", Ops.CLIP, Attrs.of("min", -300.0, "max", 4.5), edges(DType.I8));
        job("pow_i8_i64", Ops.POW, Attrs.EMPTY, edges(DType.I8), longs(DType.I64, Shape.of(1), Long.MAX_VALUE));

        double[] x = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -800, -30, -3.5, -1, -0.25, 0, 0.25, 1, 2.5, 6, 30,
                800, 1e-30};
        for (DType t : new DType[] {DType.F64, DType.F32}) {
            NdArray f = floats(t, x);
            for (OpDef op : new OpDef[] {Ops.SQRT, Ops.EXP, Ops.LOG, Ops.ABS, Ops.NEG, Ops.RECIPROCAL, Ops.FLOOR, Ops.CEIL, Ops.ERF,
                    Ops.RELU, Ops.ELU, Ops.SIGMOID, Ops.HARD_SIGMOID, Ops.HARD_SWISH, Ops.TANH, Ops.SOFTPLUS, Ops.MISH, Ops.GELU,
                    Ops.LEAKY_RELU})
                job(op.name() + "_" + t, op, Attrs.EMPTY, f);
            job("gelu_tanh_" + t, Ops.GELU, Attrs.of("approximate", "tanh"), f);
            // erf on f32 vector hosts is kiln_erf_f32: its series below |x| = 1, its exp form above, both sides of 1
            double[] sweep = new double[401];
            for (int i = 0; i < sweep.length; i++) sweep[i] = (i - 200) / 50.0 + (i % 7) * 1e-3;
            sweep[0] = Math.nextDown(1.0);
            sweep[1] = 1.0;
            sweep[2] = -Math.nextUp(1.0);
            sweep[3] = 1e-20;
            job("erf_sweep_" + t, Ops.ERF, Attrs.EMPTY, floats(t, sweep));
            job("swish_" + t, Ops.SWISH, Attrs.of("alpha", 2.0), f);
            job("hard_sigmoid_ab_" + t, Ops.HARD_SIGMOID, Attrs.of("alpha", 0.5, "beta", 0.25), f);
            NdArray g = floats(t, 1, Double.NaN, 3, -4, 0, 2, Double.NaN, 8, -1, 1, 2, 3, -5, 0, 4, 1e-3);
            job("min_" + t, Ops.MIN, Attrs.EMPTY, f, g, floats(t, 0.5));
            job("max_" + t, Ops.MAX, Attrs.EMPTY, f, g, floats(t, 0.5));
            job("mean_" + t, Ops.MEAN, Attrs.EMPTY, f, g, floats(t, 0.5));
            job("sum_" + t, Ops.SUM, Attrs.EMPTY, g, f);
            job("equal_" + t, Ops.EQUAL, Attrs.EMPTY, f, g);
            job("div_" + t, Ops.DIV, Attrs.EMPTY, g, f);
            job("prelu_" + t, Ops.PRELU, Attrs.EMPTY, f, floats(t, 0.5));
            job("pow_" + t + "_f64", Ops.POW, Attrs.EMPTY, g, floats(DType.F64, 0.5));
            job("pow_" + t + "_i32", Ops.POW, Attrs.EMPTY, f, longs(DType.I32, Shape.of(1), 3));
            job("clip_attr_" + t, Ops.CLIP, Attrs.of("min", -1.5, "max", 2.0), f);
            job("clip_max_in_" + t, Ops.CLIP, Attrs.EMPTY, f, null, floats(t, 2.0).reshape(Shape.scalar()));
        }
        job("identity_copy", Ops.IDENTITY, Attrs.EMPTY, longs(DType.I16, -1, 2, 3));
        job("dropout_mask", Ops.DROPOUT, Attrs.EMPTY, 2, floats(DType.F32, 1, 2, 3));

        List<Checker.Outcome> outs = new CProgramRunner(Target.load("host"), true, null).runAll(jobs);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < jobs.size(); i++) {
            Checker.Job j = jobs.get(i);
            Checker.Outcome o = outs.get(i);
            if (o.error() != null) {
                failures.add(j.name() + ": " + o.error());
                continue;
            }
            List<NdArray> want = new Interpreter(j.graph()).run(j.inputs());
            for (int k = 0; k < want.size(); k++) {
                String why = differs(want.get(k), o.outputs().get(k));
                if (why != null) failures.add(j.name() + " output " + k + ": " + why);
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + jobs.size() + " jobs differ:\n" + String.join("\n", failures));
    }

    /** Null when {@code got} equals {@code want} (integers exactly, floats within 1e-5 + 1e-5 relative). */
    private static String differs(NdArray want, NdArray got) {
        if (got == null) return "no output";
        assertEquals(want.type(), got.type());
        for (int i = 0; i < want.size(); i++) {
            if (!want.dtype().isFloat()) {
                if (want.getLong(i) != got.getLong(i)) return "element " + i + ": want " + want.getLong(i) + ", got " + got.getLong(i);
                continue;
            }
            double w = want.getDouble(i), g = got.getDouble(i);
            boolean same = Double.isNaN(w) ? Double.isNaN(g) : w == g || Math.abs(w - g) <= 1e-5 + 1e-5 * Math.abs(w);
            if (!same) return "element " + i + ": want " + w + ", got " + g;
        }
        return null;
    }
}
