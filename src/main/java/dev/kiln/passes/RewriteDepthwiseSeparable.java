package dev.kiln.passes;

import dev.kiln.diag.KilnException;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

/**
 * Replaces a standard K×K convolution (group 1, two spatial axes, K·K &gt; 1) by a depthwise convolution with
 * depth multiplier r followed by a 1×1 convolution, from a rank-r SVD of each input channel's weight slice.
 *
 * <p>For input channel c, {@code A_c = W[:, c, :, :]} seen as an [M × K·K] matrix is {@code U S Vᵀ}; keeping the
 * r largest singular values, depthwise channel {@code c·r + j} has weights {@code sqrt(s_j)·v_j} (as a K×K kernel)
 * and the pointwise weight {@code [m, c·r + j]} is {@code u_j[m]·sqrt(s_j)}. The depthwise conv takes the window
 * attributes (strides, pads, dilations); the pointwise one the bias, a fused residual input and every other
 * attribute (e.g. a fused activation). At full rank ({@code r = min(M, K·K)}) the rewrite is exact.
 *
 * <p>Controlled by {@link PassOptions#dwsTolerance}: negative turns the pass off; 0 rewrites every eligible conv at
 * full rank (exact, but MACs grow: a demonstration of the algebra); E &gt; 0 picks, per conv, the smallest r whose
 * relative output error {@code ‖y' − y‖ / ‖y‖} stays under E, measured by the interpreter on the layer's input from
 * a run of the whole graph on random inputs (seeded by {@link PassOptions#seed}), and rewrites only when that r
 * saves MACs. Each rewrite is reported: r, MACs before and after, measured error.
 */
public final class RewriteDepthwiseSeparable implements Pass {
    private static final List<String> WINDOW_ATTRS = List.of("kernel_shape", "strides", "dilations", "pads");

    @Override
    public boolean run(Graph g, PassContext cx) {
        double tol = cx.options().dwsTolerance;
        // why: a lossy rewrite must be asked for (--dws-tolerance); the default leaves convolutions as they are
        if (tol < 0) {
            cx.skip("graph", "off (--dws-tolerance not given; 0 = exact full rank, E > 0 = smallest rank under relative error E)");
            return false;
        }
        List<Node> eligible = new ArrayList<>();
        for (Node n : g.nodes()) {
            String why = ineligible(n);
            if (why == null) eligible.add(n);
            else if (n.op() == Ops.CONV) cx.skip(n.name(), why);
        }
        if (eligible.isEmpty()) return false;
        Map<Value, NdArray> activations = tol > 0 ? activations(g, cx.options().seed) : Map.of();
        Random rnd = new Random(cx.options().seed);
        boolean changed = false;
        for (Node conv : eligible) {
            Decomposition d = new Decomposition(conv);
            long before = Ops.CONV.macs(conv);
            int rank;
            double err;
            if (tol == 0) {
                rank = d.fullRank;
                err = 0;
            } else {
                // the layer's data inputs (x and an optional fused residual z) as a run of the graph saw them
                NdArray x = activations.getOrDefault(conv.input(0), random(conv.input(0), rnd));
                Value zv = conv.input(3);
                NdArray z = zv == null ? null : zv.isConstant() ? zv.constant() : activations.getOrDefault(zv, random(zv, rnd));
                NdArray y = Interpreter.evaluate(conv, Arrays.asList(x, conv.input(1).constant(),
                        conv.input(2) == null ? null : conv.input(2).constant(), z)).get(0);
                rank = -1;
                err = Double.NaN;
                double lastErr = Double.NaN;
                for (int r = 1; r <= d.fullRank && d.macs(r) < before; r++) {
                    lastErr = relativeError(d.evaluate(r, x, z), y);
                    if (lastErr < tol) {
                        rank = r;
                        err = lastErr;
                        break;
                    }
                }
                // why: a rank that keeps the error under E but costs as many MACs as the conv gains nothing
                if (rank < 0) {
                    int rSave = 0;
                    while (rSave < d.fullRank && d.macs(rSave + 1) < before) rSave++;
                    cx.skip(conv.name(), rSave == 0 ? "no rank saves MACs (M=" + d.m + ", K·K=" + d.taps + ")"
                            : String.format(Locale.ROOT, "ranks up to %d save MACs but the best reaches error %.4g >= %s", rSave, lastErr, tol));
                    continue;
                }
            }
            Node[] pair = d.rewrite(g, rank);
            long after = Ops.CONV.macs(pair[0]) + Ops.CONV.macs(pair[1]);
            cx.report(String.format(Locale.ROOT, "%s: r=%d of %d, MACs %d -> %d (%+.1f%%), measured error %.3g%s", conv.name(), rank,
                    d.fullRank, before, after, 100.0 * (after - before) / before, err, tol == 0 ? " (exact full rank: MACs grow)" : ""));
            changed = true;
        }
        if (changed) g.removeUnusedConstants();
        return changed;
    }

    /** Why {@code n} is not a conv this pass rewrites, or null when it is one. */
    private static String ineligible(Node n) {
        if (n.op() != Ops.CONV) return "not a conv";
        Value w = n.input(1), b = n.input(2);
        // why: the per-channel SVD is over a plain 2-d filter bank; grouped convs already are (partly) separable
        if (n.attrs().getInt("group", 1) != 1) return "grouped conv (group " + n.attrs().getInt("group", 1) + ")";
        if (w.shape().rank() != 4) return "not a 2-d conv";
        if (w.shape().dim(2) * w.shape().dim(3) <= 1) return "1×1 kernel (nothing to separate)";
        // why: the decomposition is computed at compile time from the weights
        if (!w.isConstant() || (b != null && !b.isConstant())) return "weights or bias are not constants";
        if (!w.dtype().isFloat() || w.dtype() == DType.F16) return "weights are " + w.dtype() + " (float32/float64 only)";
        return null;
    }

    /** Every value of one interpreter run of {@code g} on random inputs, or an empty map if the graph cannot run on them. */
    private static Map<Value, NdArray> activations(Graph g, long seed) {
        Random rnd = new Random(seed);
        Map<String, NdArray> in = new LinkedHashMap<>();
        for (Value v : g.inputs()) in.put(v.name(), random(v, rnd));
        try {
            return new Interpreter(g).runAll(in);
        } catch (KilnException e) {
            return new IdentityHashMap<>(); // why: e.g. integer index inputs; each layer then gets random inputs alone
        }
    }

    /** Uniform values in [-1, 1) of {@code v}'s type (zeros for non-float types). */
    private static NdArray random(Value v, Random rnd) {
        NdArray a = NdArray.zeros(v.type());
        if (v.dtype().isFloat()) for (int i = 0; i < a.size(); i++) a.setDouble(i, rnd.nextDouble() * 2 - 1);
        return a;
    }

    private static double relativeError(NdArray approx, NdArray exact) {
        double num = 0, den = 0;
        for (int i = 0; i < exact.size(); i++) {
            double e = exact.getDouble(i), d = approx.getDouble(i) - e;
            num += d * d;
            den += e * e;
        }
        return den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(num / den);
    }

    /** The per-input-channel SVDs of one conv's weights, and the depthwise + pointwise pair of any rank. */
    private static final class Decomposition {
        final Node conv;
        final int m, c, kh, kw, taps, fullRank;
        final DType dtype;
        /** Per input channel: U [M × p], singular values (descending), V [K·K × p]. */
        final RealMatrix[] u, v;
        final double[][] s;

        Decomposition(Node conv) {
            this.conv = conv;
            NdArray w = conv.input(1).constant();
            int[] d = w.shape().dims();
            m = d[0];
            c = d[1];
            kh = d[2];
            kw = d[3];
            taps = kh * kw;
            fullRank = Math.min(m, taps);
            dtype = w.dtype();
            u = new RealMatrix[c];
            v = new RealMatrix[c];
            s = new double[c][];
            for (int ch = 0; ch < c; ch++) {
                double[][] a = new double[m][taps];
                for (int o = 0; o < m; o++)
                    for (int t = 0; t < taps; t++) a[o][t] = w.getDouble((o * c + ch) * taps + t);
                SingularValueDecomposition svd = new SingularValueDecomposition(new Array2DRowRealMatrix(a, false));
                u[ch] = svd.getU();
                v[ch] = svd.getV();
                s[ch] = svd.getSingularValues();
            }
        }

        /** MACs of the rank-{@code r} pair: depthwise {@code C·r·K·K} plus pointwise {@code M·C·r} per output pixel. */
        long macs(int r) {
            Shape out = conv.output(0).shape();
            long pixels = out.numel() / out.dim(1);
            return pixels * ((long) c * r * taps + (long) m * c * r);
        }

        /** Depthwise weights [C·r, 1, kh, kw]: channel c·r + j holds sqrt(s_j)·v_j. */
        NdArray depthwise(int r) {
            NdArray a = NdArray.zeros(dtype, Shape.of(c * r, 1, kh, kw));
            for (int ch = 0; ch < c; ch++)
                for (int j = 0; j < r; j++) {
                    double sq = Math.sqrt(s[ch][j]);
                    for (int t = 0; t < taps; t++) a.setDouble((ch * r + j) * taps + t, sq * v[ch].getEntry(t, j));
                }
            return a;
        }

        /** Pointwise weights [M, C·r, 1, 1]: element [m, c·r + j] is u_j[m]·sqrt(s_j). */
        NdArray pointwise(int r) {
            NdArray a = NdArray.zeros(dtype, Shape.of(m, c * r, 1, 1));
            for (int o = 0; o < m; o++)
                for (int ch = 0; ch < c; ch++)
                    for (int j = 0; j < r; j++) a.setDouble((o * c + ch) * r + j, u[ch].getEntry(o, j) * Math.sqrt(s[ch][j]));
            return a;
        }

        Attrs dwAttrs() {
            Attrs a = Attrs.EMPTY.with("group", (long) c);
            for (String k : WINDOW_ATTRS) if (conv.attrs().has(k)) a = a.with(k, conv.attrs().get(k));
            return a;
        }

        Attrs pwAttrs() {
            Attrs a = conv.attrs().without("group");
            for (String k : WINDOW_ATTRS) a = a.without(k);
            return a;
        }

        /** The rank-{@code r} pair's output on {@code x} (and residual {@code z}, or null), computed by the interpreter. */
        NdArray evaluate(int r, NdArray x, NdArray z) {
            Graph s = new Graph("dws_probe");
            Value in = s.addInput("x", x.type());
            Value b = conv.input(2) == null ? null : s.addConstant("b", conv.input(2).constant());
            Value zc = z == null ? null : s.addConstant("z", z);
            Node dw = s.addNode(Ops.CONV, "dw", List.of(in, s.addConstant("wd", depthwise(r))), dwAttrs());
            Node pw = s.addNode(Ops.CONV, "pw", Arrays.asList(dw.output(0), s.addConstant("wp", pointwise(r)), b, zc), pwAttrs());
            s.addOutput(pw.output(0));
            return new Interpreter(s).run(List.of(x)).get(0);
        }

        /** Rewrites the conv in {@code g} into the rank-{@code r} pair; returns {depthwise, pointwise}. */
        Node[] rewrite(Graph g, int r) {
            // conv(x, W, b, z) -> conv1x1(conv_dw(x, Wd, group=C), Wp, b, z), the fused activation staying on the 1×1
            int at = g.nodes().indexOf(conv);
            Value out = conv.output(0);
            String outName = out.name();
            Value wd = g.addConstant(conv.name() + "_dw_w", depthwise(r));
            Value wp = g.addConstant(conv.name() + "_pw_w", pointwise(r));
            Node dw = g.insertNode(at, Ops.CONV, conv.name() + "_dw", List.of(conv.input(0), wd), dwAttrs(),
                    List.of(g.uniqueValueName(outName + "_dw")));
            Node pw = g.insertNode(at + 1, Ops.CONV, conv.name() + "_pw", Arrays.asList(dw.output(0), wp, conv.input(2), conv.input(3)), pwAttrs(),
                    List.of(g.uniqueValueName(outName + "_pw")));
            g.replaceAllUses(out, pw.output(0));
            g.removeNode(conv);
            g.renameValue(pw.output(0), outName);
            return new Node[] {dw, pw};
        }
    }

    /** False: it is an opt-in rewrite measured on the main graph; regions keep their convolutions. */
    @Override
    public boolean entersRegions() { return false; }
}
