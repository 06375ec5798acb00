package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Samples X [N, C, spatial...] at the normalised coordinates of {@code grid} [N, out..., r] (last entry first:
 * x is the innermost axis) by {@code mode} linear, nearest (round half to even) or cubic (Keys, a = -0.75),
 * reading outside positions by {@code padding_mode} zeros, border or reflection; {@code align_corners} maps -1
 * and 1 to the corner pixels' centres instead of their outer edges.
 */
public final class GridSample extends OpDef {
    public GridSample() {
        super("grid_sample", Signature.builder().input("X", "grid").output("Y").attr("mode", AttrType.STRING, "linear")
                .attr("padding_mode", AttrType.STRING, "zeros").attr("align_corners", AttrType.INT, 0L).build());
    }

    @Override
    public String summary() { return "sample at grid coordinates: linear/nearest/cubic, zeros/border/reflection"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        cx.checkFloat(1);
        Shape x = cx.shape(0), g = cx.shape(1);
        int r = x.rank() - 2;
        String mode = cx.attrs().getString("mode"), pad = cx.attrs().getString("padding_mode");
        cx.check(mode.equals("linear") || mode.equals("nearest") || mode.equals("cubic"), "mode '%s' is not linear, nearest or cubic", mode);
        cx.check(pad.equals("zeros") || pad.equals("border") || pad.equals("reflection"), "padding_mode '%s' is not zeros, border or reflection", pad);
        cx.check(r >= 1 && g.rank() == r + 2 && g.dim(0) == x.dim(0) && g.dim(-1) == r,
                "grid %s must be [N, out..., %d] for X %s", g, r, x);
        int[] out = new int[r + 2];
        out[0] = x.dim(0);
        out[1] = x.dim(1);
        for (int i = 0; i < r; i++) out[i + 2] = g.dim(i + 1);
        return List.of(new TensorType(cx.dtype(0), Shape.of(out)));
    }

    /** Reflects {@code x} by the nearer border until it lies in [lo, hi]. */
    static double reflect(double x, double lo, double hi) {
        double rng = hi - lo;
        if (x < lo) {
            double dx = lo - x;
            long n = (long) (dx / rng);
            double r = dx - n * rng;
            return n % 2 == 0 ? lo + r : hi - r;
        }
        if (x > hi) {
            double dx = x - hi;
            long n = (long) (dx / rng);
            double r = dx - n * rng;
            return n % 2 == 0 ? hi - r : lo + r;
        }
        return x;
    }

    private static void cubic(double t, double[] c) {
        double a = -0.75, x = Math.abs(t);
        c[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
        c[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
        c[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
        c[3] = ((a * (2 - x) - 5 * a) * (2 - x) + 8 * a) * (2 - x) - 4 * a;
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), grid = cx.input(1);
        NdArray y = cx.newOutput(0);
        String mode = cx.attrs().getString("mode"), pad = cx.attrs().getString("padding_mode");
        boolean align = cx.attrs().getInt("align_corners") != 0;
        Shape xs = x.shape();
        int r = xs.rank() - 2, n = xs.dim(0), c = xs.dim(1), plane = xs.prod(2, xs.rank()), outPlane = y.shape().prod(2, r + 2);
        int[] dims = new int[r];
        for (int i = 0; i < r; i++) dims[i] = xs.dim(i + 2);
        int taps = mode.equals("cubic") ? 4 : mode.equals("linear") ? 2 : 1;
        double[] pos = new double[r], lo = new double[r], hi = new double[r];
        int[] base = new int[r];
        double[][] w = new double[r][4];
        for (int i = 0; i < r; i++) {
            lo[i] = align ? 0 : -0.5;
            hi[i] = align ? dims[i] - 1 : dims[i] - 0.5;
        }
        int total = 1;
        for (int i = 0; i < r; i++) total *= taps;
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < outPlane; o++) {
                for (int i = 0; i < r; i++) {
                    double g = grid.getDouble((b * outPlane + o) * r + (r - 1 - i));
                    double p = align ? (g + 1) / 2.0 * (dims[i] - 1) : ((g + 1) * dims[i] - 1) / 2.0;
                    if (mode.equals("nearest")) p = Math.rint(p);
                    if (p < lo[i] || p > hi[i]) {
                        if (pad.equals("border")) p = Math.max(0, Math.min(dims[i] - 1, p));
                        else if (pad.equals("reflection")) p = reflect(p, lo[i], hi[i]);
                    }
                    pos[i] = p;
                    if (taps == 1) {
                        base[i] = (int) p;
                        w[i][0] = 1;
                    } else {
                        int f = (int) Math.floor(p);
                        double t = p - f;
                        if (taps == 2) {
                            base[i] = f;
                            w[i][0] = 1 - t;
                            w[i][1] = t;
                        } else {
                            base[i] = f - 1;
                            cubic(t, w[i]);
                        }
                    }
                }
                for (int ch = 0; ch < c; ch++) {
                    int off0 = (b * c + ch) * plane;
                    double sum = 0;
                    for (int k = 0; k < total; k++) {
                        double wt = 1;
                        int off = 0;
                        boolean zero = false;
                        for (int i = 0, rem = k; i < r; i++) {
                            int t = taps == 1 ? 0 : rem % taps;
                            rem /= taps == 1 ? 1 : taps;
                            int q = base[i] + t;
                            wt *= w[i][t];
                            if (q < 0 || q >= dims[i]) {
                                if (pad.equals("zeros")) zero = true;
                                else if (pad.equals("border")) q = Math.max(0, Math.min(dims[i] - 1, q));
                                else q = (int) reflect(q, lo[i], hi[i]);
                            }
                            off = off * dims[i] + q;
                        }
                        if (!zero && wt != 0) sum += wt * x.getDouble(off0 + off);
                    }
                    y.setDouble((b * c + ch) * outPlane + o, sum);
                }
            }
        }
        return List.of(y);
    }
}
