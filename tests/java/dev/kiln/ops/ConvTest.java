package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The optimized convolution loops (padded planes, shifted runs, strided columns) against a plain loop over every
 * output and tap, on 1-D, 2-D and 3-D geometries with strides, dilations, asymmetric pads and groups; and
 * qlinear_conv's rounding and saturation.
 */
class ConvTest {
    /** x shape, w shape, strides, dilations, pads, group. */
    private static final Object[][] CASES = {
        {new int[] {1, 2, 9}, new int[] {3, 2, 3}, new int[] {2}, new int[] {1}, new int[] {1, 2}, 1},
        {new int[] {2, 4, 7, 6}, new int[] {6, 2, 3, 2}, new int[] {1, 1}, new int[] {2, 1}, new int[] {1, 0, 2, 1}, 2},
        {new int[] {1, 3, 8, 8}, new int[] {3, 1, 3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, 3},
        {new int[] {1, 2, 5, 6, 4}, new int[] {2, 2, 2, 3, 2}, new int[] {1, 2, 1}, new int[] {1, 1, 2}, new int[] {0, 1, 1, 1, 0, 1}, 1},
        {new int[] {1, 4, 5, 5}, new int[] {4, 4, 1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0}, 1},
    };

    private static long[] longs(int[] v) {
        long[] r = new long[v.length];
        for (int i = 0; i < v.length; i++) r[i] = v[i];
        return r;
    }

    private static NdArray run(OpDef op, List<NdArray> ins, Attrs a) {
        Graph g = new Graph("t");
        List<Value> vs = new ArrayList<>();
        for (int i = 0; i < ins.size(); i++) vs.add(ins.get(i) == null ? null : g.addConstant("c" + i, ins.get(i)));
        g.addOutput(g.addNode(op, "n", vs, a).output(0));
        return new Interpreter(g).run(List.of()).get(0);
    }

    /** y[n, m, o] = b[m] + sum x[n, c, o*s + k*d - pb] * w[m, c - group start, k], by brute force over multi-indices. */
    private static double[] naive(double[] x, int[] xs, double[] w, int[] ws, double[] b, int[] s, int[] d, int[] p, int group, int[] ys) {
        int r = xs.length - 2, cg = ws[1], mg = ws[0] / group;
        double[] y = new double[Shape.of(ys).size()];
        int[] xst = Shape.of(xs).strides(), wst = Shape.of(ws).strides(), yst = Shape.of(ys).strides();
        for (int yi = 0; yi < y.length; yi++) {
            int n = yi / yst[0], m = (yi / yst[1]) % ys[1];
            int[] o = new int[r];
            for (int i = 0; i < r; i++) o[i] = (yi / yst[i + 2]) % ys[i + 2];
            double acc = b == null ? 0 : b[m];
            int taps = 1;
            for (int i = 0; i < r; i++) taps *= ws[i + 2];
            for (int c = 0; c < cg; c++) {
                for (int t = 0; t < taps; t++) {
                    int xi = n * xst[0] + ((m / mg) * cg + c) * xst[1], wi = m * wst[0] + c * wst[1], rest = t;
                    boolean inside = true;
                    for (int i = r - 1; i >= 0; i--) {
                        int k = rest % ws[i + 2];
                        rest /= ws[i + 2];
                        int pos = o[i] * s[i] + k * d[i] - p[i];
                        inside &= pos >= 0 && pos < xs[i + 2];
                        xi += pos * xst[i + 2];
                        wi += k * wst[i + 2];
                    }
                    if (inside) acc += x[xi] * w[wi];
                }
            }
            y[yi] = acc;
        }
        return y;
    }

    @Test
    void floatConvMatchesPlainLoops() {
        Random rnd = new Random(1);
        for (Object[] c : CASES) {
            int[] xs = (int[]) c[0], ws = (int[]) c[1];
            NdArray x = NdArray.zeros(DType.F64, Shape.of(xs)), w = NdArray.zeros(DType.F64, Shape.of(ws)), b = NdArray.zeros(DType.F64, Shape.of(ws[0]));
            for (NdArray a : List.of(x, w, b)) for (int i = 0; i < a.size(); i++) a.setDouble(i, rnd.nextGaussian());
            Attrs at = Attrs.of("strides", longs((int[]) c[2]), "dilations", longs((int[]) c[3]), "pads", longs((int[]) c[4]), "group", (long) (int) c[5]);
            NdArray y = run(Ops.CONV, List.of(x, w, b), at);
            double[] want = naive(x.doubles(), xs, w.doubles(), ws, b.doubles(), (int[]) c[2], (int[]) c[3], (int[]) c[4], (int) c[5], y.shape().dims());
            assertArrayEquals(want, y.doubles(), 1e-12, "case " + y.shape());
        }
    }

    @Test
    void convIntegerMatchesPlainLoopsExactly() {
        Random rnd = new Random(2);
        for (Object[] c : CASES) {
            int[] xs = (int[]) c[0], ws = (int[]) c[1];
            NdArray x = NdArray.zeros(DType.U8, Shape.of(xs)), w = NdArray.zeros(DType.I8, Shape.of(ws));
            for (int i = 0; i < x.size(); i++) x.setLong(i, rnd.nextInt(256));
            for (int i = 0; i < w.size(); i++) w.setLong(i, rnd.nextInt(256) - 128);
            NdArray xzp = NdArray.ofLongs(DType.U8, Shape.scalar(), 131);
            NdArray wzp = NdArray.zeros(DType.I8, Shape.of(ws[0]));
            for (int i = 0; i < wzp.size(); i++) wzp.setLong(i, i * 7 - 10);
            Attrs at = Attrs.of("strides", longs((int[]) c[2]), "dilations", longs((int[]) c[3]), "pads", longs((int[]) c[4]), "group", (long) (int) c[5]);
            NdArray y = run(Ops.CONV_INTEGER, List.of(x, w, xzp, wzp), at);
            double[] xd = x.toDoubleArray(), wd = w.toDoubleArray();
            for (int i = 0; i < xd.length; i++) xd[i] -= 131;
            int per = wd.length / ws[0];
            for (int i = 0; i < wd.length; i++) wd[i] -= wzp.getLong(i / per);
            double[] want = naive(xd, xs, wd, ws, null, (int[]) c[2], (int[]) c[3], (int[]) c[4], (int) c[5], y.shape().dims());
            assertEquals(DType.I32, y.dtype());
            assertArrayEquals(want, y.toDoubleArray(), 0.0, "case " + y.shape());
        }
    }

    @Test
    void qlinearConvRoundsHalfToEvenAndSaturates() {
        // 1x1 kernel of weight 4 and multiplier 1 * 1 / 8: accumulators 4, 12, 20, -12 give 0.5, 1.5, 2.5, -1.5 (ties to even)
        NdArray x = NdArray.ofLongs(DType.I8, Shape.of(1, 1, 1, 6), 1, 3, 5, -3, 100, -100);
        NdArray w = NdArray.ofLongs(DType.I8, Shape.of(1, 1, 1, 1), 4);
        NdArray one = NdArray.scalar(DType.F32, 1), yScale = NdArray.scalar(DType.F32, 8);
        NdArray zp8 = NdArray.ofLongs(DType.I8, Shape.scalar(), 0);
        NdArray bias = NdArray.ofLongs(DType.I32, Shape.of(1), 0);
        NdArray y = run(Ops.QLINEAR_CONV, List.of(x, one, zp8, w, one, zp8, yScale, zp8, bias), Attrs.EMPTY);
        assertArrayEquals(new long[] {0, 2, 2, -2, 50, -50}, y.longs());
        NdArray y2 = run(Ops.QLINEAR_CONV, List.of(x, one, zp8, w, one, zp8, NdArray.scalar(DType.F32, 2), zp8, bias), Attrs.EMPTY);
        assertArrayEquals(new long[] {2, 6, 10, -6, 127, -128}, y2.longs());
    }
}
