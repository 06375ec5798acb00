package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The recurrent ops of ONNX (RNN, GRU, LSTM): the signature, shapes, activation functions and the time loop they
 * share; each subclass says how many gates it has and what one step of its cell computes.
 *
 * <p>Inputs {@code X, W, R, B?, sequence_lens?, initial_h?} (LSTM adds {@code initial_c?, P?}); outputs
 * {@code Y, Y_h} (LSTM adds {@code Y_c}). {@code layout} 0 is {@code X [seq, batch, input]},
 * {@code Y [seq, dirs, batch, hidden]}, states {@code [dirs, batch, hidden]}; layout 1 puts batch first
 * ({@code X [batch, seq, input]}, {@code Y [batch, seq, dirs, hidden]}, states {@code [batch, dirs, hidden]}).
 * {@code activations} lists the lower-case function names per direction ({@link #FUNCTIONS}),
 * {@code activation_alpha}/{@code activation_beta} one value per listed function (the importer fills the defaults),
 * {@code clip} (0: none) bounds every gate's input. Steps past a batch entry's sequence length leave Y at zero and
 * its final state at the last valid step; the reverse direction walks the valid steps backwards.
 */
public abstract class Recurrent extends OpDef {
    /** The activation functions by lower-case name, with their default alpha and beta (NaN: takes none). */
    public static final Map<String, double[]> FUNCTIONS = Map.ofEntries(
            Map.entry("relu", new double[] {Double.NaN, Double.NaN}),
            Map.entry("tanh", new double[] {Double.NaN, Double.NaN}),
            Map.entry("sigmoid", new double[] {Double.NaN, Double.NaN}),
            Map.entry("affine", new double[] {1.0, 0.0}),
            Map.entry("leakyrelu", new double[] {0.01, Double.NaN}),
            Map.entry("thresholdedrelu", new double[] {1.0, Double.NaN}),
            Map.entry("scaledtanh", new double[] {1.0, 1.0}),
            Map.entry("hardsigmoid", new double[] {0.2, 0.5}),
            Map.entry("elu", new double[] {1.0, Double.NaN}),
            Map.entry("softsign", new double[] {Double.NaN, Double.NaN}),
            Map.entry("softplus", new double[] {Double.NaN, Double.NaN}));

    /** Gates per hidden unit (1, 3 or 4) and activation functions per direction (1, 2 or 3). */
    private final int gates, functions;
    private final String[] defaults;

    protected Recurrent(String name, Signature sig, int gates, String... defaults) {
        super(name, sig);
        this.gates = gates;
        this.functions = defaults.length;
        this.defaults = defaults;
    }

    /** The signature builder with the inputs, outputs and attributes every recurrent op has. */
    protected static Signature.Builder common(boolean lstm) {
        Signature.Builder b = Signature.builder().input("X", "W", "R").optionalInput("B", "sequence_lens", "initial_h");
        if (lstm) b.optionalInput("initial_c", "P");
        b.optionalOutput("Y", "Y_h");
        if (lstm) b.optionalOutput("Y_c");
        return b.attr("hidden_size", AttrType.INT, 0L)
                .attr("direction", AttrType.STRING, "forward")
                .optionalAttr("activations", AttrType.STRINGS)
                .optionalAttr("activation_alpha", AttrType.FLOATS)
                .optionalAttr("activation_beta", AttrType.FLOATS)
                .attr("clip", AttrType.FLOAT, 0.0)
                .attr("layout", AttrType.INT, 0L);
    }

    /** Gates per hidden unit: 1 (RNN), 3 (GRU: z, r, h), 4 (LSTM: i, o, f, c). */
    public final int gates() { return gates; }

    /** Activation functions per direction. */
    public final int functions() { return functions; }

    /** Number of directions of a node with these attributes. */
    public static int directions(Attrs a) { return a.getString("direction", "forward").equals("bidirectional") ? 2 : 1; }

    /** The activation function names of every direction (defaults filled in), {@code functions()} per direction. */
    public final String[] activations(Attrs a) {
        int d = directions(a);
        String[] given = a.has("activations") ? a.getStrings("activations") : null;
        String[] r = new String[functions * d];
        for (int i = 0; i < r.length; i++) r[i] = given == null ? defaults[i % functions] : given[i].toLowerCase(Locale.ROOT);
        return r;
    }

    /** Alpha ({@code beta=false}) or beta of each activation function, the given value or the function's default. */
    public final double[] activationParams(Attrs a, boolean beta) {
        String[] f = activations(a);
        double[] given = a.getFloatsOrNull(beta ? "activation_beta" : "activation_alpha");
        double[] r = new double[f.length];
        for (int i = 0; i < r.length; i++)
            r[i] = given != null && i < given.length ? given[i] : FUNCTIONS.get(f[i])[beta ? 1 : 0];
        return r;
    }

    /** Applies activation {@code f} with {@code alpha} and {@code beta} to {@code x}. */
    public static double activate(String f, double alpha, double beta, double x) {
        switch (f) {
            case "relu": return Math.max(x, 0);
            case "tanh": return Math.tanh(x);
            case "sigmoid": return 1 / (1 + Math.exp(-x));
            case "affine": return alpha * x + beta;
            case "leakyrelu": return x < 0 ? alpha * x : x;
            case "thresholdedrelu": return x > alpha ? x : 0;
            case "scaledtanh": return alpha * Math.tanh(beta * x);
            case "hardsigmoid": return Math.max(0, Math.min(1, alpha * x + beta));
            case "elu": return x < 0 ? alpha * Math.expm1(x) : x;
            case "softsign": return x / (1 + Math.abs(x));
            case "softplus": return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
            default: throw new IllegalArgumentException("unknown activation function " + f);
        }
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        Attrs a = cx.attrs();
        String dir = a.getString("direction");
        cx.check(dir.equals("forward") || dir.equals("reverse") || dir.equals("bidirectional"),
                "direction must be forward, reverse or bidirectional, got '%s'", dir);
        long layout = a.getInt("layout");
        cx.check(layout == 0 || layout == 1, "layout must be 0 or 1, got %d", layout);
        cx.check(a.getFloat("clip") >= 0, "clip must not be negative, got %s", a.getFloat("clip"));
        int d = directions(a);
        Shape x = cx.shape(0);
        cx.check(x.rank() == 3, "input X must have rank 3, got %s", x);
        int seq = x.dim(layout == 0 ? 0 : 1), batch = x.dim(layout == 0 ? 1 : 0), in = x.dim(2);
        Shape w = cx.shape(1);
        cx.check(w.rank() == 3 && w.dim(0) == d && w.dim(2) == in && w.dim(1) % gates == 0,
                "input W must be [%d, %d x hidden_size, %d], got %s", d, gates, in, w);
        int h = w.dim(1) / gates;
        long hs = a.getInt("hidden_size");
        cx.check(hs == 0 || hs == h, "hidden_size %d disagrees with W's %d rows (%d gates)", hs, w.dim(1), gates);
        cx.check(h > 0, "hidden_size must be positive");
        cx.checkSameDType(0, 1);
        expect(cx, 2, Shape.of(d, gates * h, h), "R");
        if (cx.has(3)) expect(cx, 3, Shape.of(d, 2 * gates * h), "B");
        if (cx.has(4)) {
            cx.checkDType(4, DType.I32, DType.I64);
            cx.check(cx.shape(4).equals(Shape.of(batch)), "input sequence_lens must be [%d], got %s", batch, cx.shape(4));
        }
        Shape state = layout == 0 ? Shape.of(d, batch, h) : Shape.of(batch, d, h);
        if (cx.has(5)) expect(cx, 5, state, "initial_h");
        if (gates == 4 && cx.has(6)) expect(cx, 6, state, "initial_c");
        if (gates == 4 && cx.has(7)) expect(cx, 7, Shape.of(d, 3 * h), "P");
        String[] f = a.has("activations") ? a.getStrings("activations") : null;
        cx.check(f == null || f.length == functions * d, "activations must list %d function(s) per direction (%d in all), got %d",
                functions, functions * d, f == null ? 0 : f.length);
        if (f != null)
            for (String s : f)
                cx.check(FUNCTIONS.containsKey(s.toLowerCase(Locale.ROOT)), "unknown activation function '%s' (known: %s)", s,
                        new java.util.TreeSet<>(FUNCTIONS.keySet()));
        DType t = cx.dtype(0);
        List<TensorType> r = new ArrayList<>();
        r.add(new TensorType(t, layout == 0 ? Shape.of(seq, d, batch, h) : Shape.of(batch, seq, d, h)));
        for (int i = 1; i < cx.numOutputs(); i++) r.add(new TensorType(t, state));
        return r;
    }

    private static void expect(InferContext cx, int i, Shape s, String what) {
        if (!cx.has(i)) return;
        cx.checkSameDType(0, i);
        cx.check(cx.shape(i).equals(s), "input %s must be %s, got %s", what, s, cx.shape(i));
    }

    @Override
    public long macs(Node n) {
        Shape x = n.input(0).shape(), w = n.input(1).shape();
        long steps = (long) x.dim(0) * x.dim(1);
        return steps * w.dim(0) * w.dim(1) * ((long) w.dim(2) + w.dim(1) / gates);
    }

    /**
     * The geometry of one node: sizes, and the element strides of X, Y and the states, so that element
     * {@code (t, b, j)} of X is at {@code t * xT + b * xB + j}, {@code (t, d, b, k)} of Y at
     * {@code t * yT + d * yD + b * yB + k} and {@code (d, b, k)} of a state at {@code d * sD + b * sB + k}.
     */
    public record Geometry(int seq, int batch, int input, int hidden, int dirs, int xT, int xB, int yT, int yD, int yB, int sD, int sB) {
        /** The geometry of a node with input X of {@code x} and these attributes, W having {@code rows} rows. */
        public static Geometry of(Shape x, int rows, int gates, Attrs a) {
            boolean l0 = a.getInt("layout") == 0;
            int seq = x.dim(l0 ? 0 : 1), batch = x.dim(l0 ? 1 : 0), in = x.dim(2), h = rows / gates, d = directions(a);
            return l0 ? new Geometry(seq, batch, in, h, d, batch * in, in, d * batch * h, batch * h, h, batch * h, h)
                    : new Geometry(seq, batch, in, h, d, in, seq * in, d * h, h, seq * d * h, h, d * h);
        }
    }

    /** One direction's activation functions, alpha and beta, as {@link #activate} takes them. */
    protected record Functions(String[] f, double[] alpha, double[] beta) {
        double apply(int i, double x) { return activate(f[i], alpha[i], beta[i], x); }
    }

    /**
     * One step of the cell for one direction and batch entry: {@code xw} holds the input products plus W's bias
     * per gate row, {@code hr} the recurrent products plus R's bias (computed from {@code h}); the step updates
     * {@code h} (and {@code c}) in place. {@code rec} recomputes the recurrent product of a vector over gate rows.
     */
    protected abstract void step(double[] xw, double[] hr, double[] h, double[] c, double[] peep, Functions fn, double clip,
            Attrs a, Recurrence rec);

    /** The recurrent matrix of one direction, for cells that need another product (GRU's reset gate). */
    protected interface Recurrence {
        /** {@code sum_k v[k] * R[row, k]} plus R's bias of that row. */
        double row(int row, double[] v);
    }

    /** {@code x} bounded to [-clip, clip], or itself when clip is 0. */
    protected static double clip(double x, double clip) { return clip > 0 ? Math.max(-clip, Math.min(clip, x)) : x; }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        Attrs a = cx.attrs();
        NdArray x = cx.input(0), w = cx.input(1), r = cx.input(2), b = cx.input(3), lens = cx.input(4), h0 = cx.input(5);
        NdArray c0 = gates == 4 ? cx.input(6) : null, p = gates == 4 ? cx.input(7) : null;
        Geometry g = Geometry.of(x.shape(), w.shape().dim(1), gates, a);
        int hid = g.hidden(), rows = gates * hid;
        String[] f = activations(a);
        double[] alpha = activationParams(a, false), beta = activationParams(a, true);
        double clip = a.getFloat("clip");
        boolean reverse = a.getString("direction").equals("reverse");
        List<NdArray> out = new ArrayList<>();
        for (int i = 0; i < cx.numOutputs(); i++) out.add(cx.newOutput(i));
        for (int d = 0; d < g.dirs(); d++) {
            boolean back = reverse || d == 1;
            Functions fn = new Functions(java.util.Arrays.copyOfRange(f, d * functions, (d + 1) * functions),
                    java.util.Arrays.copyOfRange(alpha, d * functions, (d + 1) * functions),
                    java.util.Arrays.copyOfRange(beta, d * functions, (d + 1) * functions));
            double[] peep = new double[3 * hid];
            if (p != null) for (int k = 0; k < 3 * hid; k++) peep[k] = p.getDouble(d * 3 * hid + k);
            final int dd = d;
            for (int bi = 0; bi < g.batch(); bi++) {
                int len = lens == null ? g.seq() : (int) Math.max(0, Math.min(g.seq(), lens.getLong(bi)));
                double[] h = new double[hid], c = new double[hid];
                int so = d * g.sD() + bi * g.sB();
                for (int k = 0; k < hid; k++) {
                    if (h0 != null) h[k] = h0.getDouble(so + k);
                    if (c0 != null) c[k] = c0.getDouble(so + k);
                }
                Recurrence rec = (row, v) -> {
                    double s = b == null ? 0 : b.getDouble(dd * 2 * rows + rows + row);
                    for (int k = 0; k < hid; k++) s += v[k] * r.getDouble((dd * rows + row) * hid + k);
                    return s;
                };
                for (int s = 0; s < len; s++) {
                    int t = back ? len - 1 - s : s;
                    double[] xw = new double[rows], hr = new double[rows];
                    for (int row = 0; row < rows; row++) {
                        double v = b == null ? 0 : b.getDouble(d * 2 * rows + row);
                        for (int j = 0; j < g.input(); j++)
                            v += x.getDouble(t * g.xT() + bi * g.xB() + j) * w.getDouble((d * rows + row) * g.input() + j);
                        xw[row] = v;
                        hr[row] = rec.row(row, h);
                    }
                    step(xw, hr, h, c, peep, fn, clip, a, rec);
                    for (int k = 0; k < hid; k++) out.get(0).setDouble(t * g.yT() + d * g.yD() + bi * g.yB() + k, h[k]);
                }
                if (out.size() > 1) for (int k = 0; k < hid; k++) out.get(1).setDouble(so + k, h[k]);
                if (out.size() > 2) for (int k = 0; k < hid; k++) out.get(2).setDouble(so + k, c[k]);
            }
        }
        return out;
    }
}
