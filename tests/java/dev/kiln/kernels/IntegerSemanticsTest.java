package dev.kiln.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.backend.Target;
import dev.kiln.backend.opencl.runtime.OpenClRunner;
import dev.kiln.check.Checker;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.IntegerSemantics;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.toolchain.CProgramRunner;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The integer cases ONNX leaves undefined (division by zero, MIN / -1, wrapping, NaN and out-of-range floats into
 * integers, 0 to a negative power, remainders by zero, MIN mod -1, shifts past the type's width) give the values {@link IntegerSemantics} documents, on the interpreter, on the
 * generated C and on OpenCL.
 */
class IntegerSemanticsTest {
    private static final DType[] INTS = {DType.I8, DType.U8, DType.I16, DType.U16, DType.I32, DType.U32, DType.I64};

    /** A job, and the outputs Kiln's semantics give it (checked against the interpreter, then every backend). */
    private record Case(Checker.Job job, long[] want) {}

    private static Case binary(String name, OpDef op, DType t, long[] a, long[] b, long[] want) {
        return binary(name, op, Attrs.EMPTY, t, a, b, want);
    }

    private static Case binary(String name, OpDef op, Attrs attrs, DType t, long[] a, long[] b, long[] want) {
        Graph g = new Graph(name);
        Value x = g.addInput("a", NdArray.zeros(t, Shape.of(a.length)).type());
        Value y = g.addInput("b", NdArray.zeros(t, Shape.of(b.length)).type());
        Node n = g.addNode(op, "n", List.of(x, y), attrs);
        g.addOutput(n.output(0));
        return new Case(new Checker.Job(name, g, List.of(NdArray.ofLongs(t, Shape.of(a.length), a.clone()),
                NdArray.ofLongs(t, Shape.of(b.length), b.clone()))), want);
    }

    private static Case unary(String name, OpDef op, DType t, long[] a, long[] want) {
        Graph g = new Graph(name);
        Value x = g.addInput("a", NdArray.zeros(t, Shape.of(a.length)).type());
        Node n = g.addNode(op, "n", List.of(x), Attrs.EMPTY);
        g.addOutput(n.output(0));
        return new Case(new Checker.Job(name, g, List.of(NdArray.ofLongs(t, Shape.of(a.length), a.clone()))), want);
    }

    private static Case cast(DType to, double[] v) {
        long[] want = new long[v.length];
        for (int i = 0; i < v.length; i++) want[i] = wrap(to, (long) v[i]); // Java's cast: toward zero, saturating, NaN 0
        Graph g = new Graph("cast_" + to);
        Value x = g.addInput("x", NdArray.zeros(DType.F32, Shape.of(v.length)).type());
        Node n = g.addNode(Ops.CAST, "n", List.of(x), Attrs.of("to", to.shortName()));
        g.addOutput(n.output(0));
        NdArray in = NdArray.zeros(DType.F32, Shape.of(v.length));
        for (int i = 0; i < v.length; i++) in.setDouble(i, v[i]);
        return new Case(new Checker.Job("cast_" + to, g, List.of(in)), want);
    }

    private static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        for (DType t : INTS) {
            long min = t.minValue(), max = t.maxValue();
            // x / 0 == 0; MIN / -1 wraps to MIN (unsigned: -1 is MAX, so MIN / MAX == 0)
            long[] a = {7, -7, min, max, 0, min};
            long[] b = {0, 0, 0, 0, 0, -1};
            long[] q = new long[a.length];
            for (int i = 0; i < a.length; i++) q[i] = wrap(t, IntegerSemantics.div(wrap(t, a[i]), wrap(t, b[i])));
            cs.add(binary("div_" + t, Ops.DIV, t, a, b, q));
            // wrapping add and mul
            cs.add(binary("add_" + t, Ops.ADD, t, new long[] {max, min}, new long[] {1, -1}, new long[] {min, max}));
            cs.add(binary("mul_" + t, Ops.MUL, t, new long[] {max}, new long[] {2}, new long[] {wrap(t, max * 2)}));
            cs.add(binary("sub_" + t, Ops.SUB, t, new long[] {min, max}, new long[] {1, -1}, new long[] {max, min}));
            // wrapping reductions: the sum and the product of all elements, wrapped into the type
            cs.add(unary("reduce_sum_" + t, Ops.REDUCE_SUM, t, new long[] {max, 1, 0}, new long[] {min}));
            cs.add(unary("reduce_prod_" + t, Ops.REDUCE_PROD, t, new long[] {max, 2, 3}, new long[] {wrap(t, wrap(t, max * 2) * 3)}));
            if (t.isSigned()) {
                // -MIN and |MIN| wrap to MIN
                cs.add(unary("neg_" + t, Ops.NEG, t, new long[] {min, max, -3}, new long[] {min, -max, 3}));
                cs.add(unary("abs_" + t, Ops.ABS, t, new long[] {min, max, -3}, new long[] {min, max, 3}));
            }
            // x mod 0 == x; MIN mod -1 == 0; the remainder takes the dividend's sign (fmod = 1) or the divisor's (0)
            long[] ma = {7, -7, min, max, min, -7, 7, -6, 0};
            long[] mb = {0, 0, 0, 0, -1, 3, -3, 3, -5};
            for (long fmod : new long[] {0, 1}) {
                long[] r = new long[ma.length];
                for (int i = 0; i < ma.length; i++) {
                    long x = wrap(t, ma[i]), d = wrap(t, mb[i]);
                    r[i] = wrap(t, fmod == 1 ? IntegerSemantics.rem(x, d) : IntegerSemantics.floorRem(x, d));
                }
                cs.add(binary("mod" + fmod + "_" + t, Ops.get("mod"), Attrs.of("fmod", fmod), t, ma, mb, r));
            }
            // a shift by the type's width or more, or by a negative amount, shifts every bit out (a signed right
            // shift leaves the sign); bits shifted past the type are lost
            int w = 8 * t.byteSize();
            long[] sa = {1, -8, max, min, 5, -8, 3};
            long[] sb = {w, w + 3, -1, 1, 0, 2, w - 1};
            for (String dir : new String[] {"LEFT", "RIGHT"}) {
                long[] r = new long[sa.length];
                for (int i = 0; i < sa.length; i++) {
                    long x = wrap(t, sa[i]), d = wrap(t, sb[i]);
                    boolean out = d < 0 || d >= w;
                    r[i] = dir.equals("LEFT") ? (out ? 0 : wrap(t, x << d)) : out ? (x < 0 ? -1 : 0) : x >> d;
                }
                cs.add(binary("shift_" + dir + "_" + t, Ops.get("bit_shift"), Attrs.of("direction", dir), t, sa, sb, r));
            }
        }
        // 0 to a negative power is 0; 1 and -1 stay themselves
        cs.add(binary("pow_i32", Ops.POW, DType.I32, new long[] {0, 1, -1, 2}, new long[] {-1, -5, -3, -1}, new long[] {0, 1, -1, 0}));
        double[] f = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e10, -1e10, -2.7, 2.7};
        for (DType t : INTS) cs.add(cast(t, f));
        return cs;
    }

    /** {@code v} stored in type {@code t} (wrapped modulo 2^bits), read back as a long. */
    private static long wrap(DType t, long v) { return NdArray.ofLongs(t, Shape.of(1), new long[] {v}).getLong(0); }

    @Test
    void documentedRules() {
        assertArrayEquals(new long[] {0, -1, 0, 1410065408, -2}, cast(DType.I32, new double[] {Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e10, -2.7}).want());
        assertEquals(0, IntegerSemantics.div(5, 0));
        assertEquals(Long.MIN_VALUE, IntegerSemantics.div(Long.MIN_VALUE, -1));
        assertEquals(-2, IntegerSemantics.div(-7, 3));
        assertEquals(5, IntegerSemantics.rem(5, 0));
        assertEquals(-1, IntegerSemantics.rem(-7, 3));
        assertEquals(5, IntegerSemantics.floorRem(5, 0));
        assertEquals(2, IntegerSemantics.floorRem(-7, 3));
        assertEquals(-2, IntegerSemantics.floorRem(7, -3));
        assertEquals(0, IntegerSemantics.floorRem(Long.MIN_VALUE, -1));
        for (long a : new long[] {-7, 7, 0, Long.MIN_VALUE})
            for (long b : new long[] {-3, 3, 0, -1, 1})
                assertEquals(a, IntegerSemantics.div(a, b) * b + IntegerSemantics.rem(a, b), a + " / " + b);
    }

    @Test
    void interpreterGivesTheDocumentedValues() {
        for (Case c : cases()) {
            NdArray got = new Interpreter(c.job().graph()).run(c.job().inputs()).get(0);
            assertArrayEquals(c.want(), longs(got), c.job().name());
        }
    }

    @Test
    void generatedCGivesTheDocumentedValues() {
        List<Case> cs = cases();
        assertBackend("C", cs, new CProgramRunner(Target.load("host"), true, null).runAll(jobs(cs)));
    }

    @Test
    void openClGivesTheDocumentedValues() {
        List<Case> cs = cases();
        assertBackend("OpenCL", cs, OpenClRunner.create(null, null, null, null).runAll(jobs(cs)));
    }

    private static List<Checker.Job> jobs(List<Case> cs) {
        List<Checker.Job> js = new ArrayList<>();
        for (Case c : cs) js.add(c.job());
        return js;
    }

    private static void assertBackend(String what, List<Case> cs, List<Checker.Outcome> outs) {
        for (int i = 0; i < cs.size(); i++) {
            assertNull(outs.get(i).error(), what + " " + cs.get(i).job().name());
            assertArrayEquals(cs.get(i).want(), longs(outs.get(i).outputs().get(0)), what + " " + cs.get(i).job().name());
        }
    }

    private static long[] longs(NdArray a) {
        long[] r = new long[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.getLong(i);
        return r;
    }
}
