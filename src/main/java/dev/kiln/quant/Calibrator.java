package dev.kiln.quant;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.diag.Progress;
import dev.kiln.frontend.onnx.TensorProtos;
import dev.kiln.interp.Interpreter;
import dev.kiln.io.Npy;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;

/**
 * Measures the ranges of a float graph's values on calibration data with the interpreter and turns them into
 * int8 activation parameters ({@link QuantMath#activation}), by one of three methods:
 * <ul>
 *   <li>{@code minmax}: the observed minimum and maximum;</li>
 *   <li>{@code percentile}: the {@code (100 - P)}-th and {@code P}-th percentiles of the observed values (P =
 *       99.99 by default), read off a 2048-bin histogram per value;</li>
 *   <li>{@code entropy}: TensorRT's method: a 2048-bin histogram of |x|; for every candidate threshold (bin i
 *       from the number of int8 levels up to 2048) the clipped distribution P (outliers folded into the last
 *       bin) is merged into the int8 levels and expanded back (Q); the threshold with the smallest KL divergence
 *       KL(P || Q) is kept.</li>
 * </ul>
 * Minimum and maximum come from Apache Commons Math's {@link SummaryStatistics}; the histograms need a second
 * pass over the data.
 */
public final class Calibrator {
    /** The calibration methods. */
    public enum Method { MINMAX, PERCENTILE, ENTROPY }

    /** Histogram bins of the percentile and entropy methods. */
    public static final int BINS = 2048;

    private final Method method;
    private final double percentile;
    private final PrintWriter progress;
    private final Progress bar;

    /**
     * A calibrator; {@code percentile} is used by {@link Method#PERCENTILE}; progress lines go to {@code progress}
     * (null: none) as a running counter when {@code interactive}, else as one summary line.
     */
    public Calibrator(Method method, double percentile, PrintWriter progress, boolean interactive) {
        this(method, percentile, progress, progress != null && interactive
                ? Progress.forced(progress, System::nanoTime, 79) : Progress.OFF);
    }

    /**
     * A calibrator; {@code percentile} is used by {@link Method#PERCENTILE}; a summary line goes to {@code log}
     * (null: none), and {@code bar} shows the samples done while it runs.
     */
    public Calibrator(Method method, double percentile, PrintWriter log, Progress bar) {
        if (!(percentile > 50 && percentile <= 100)) throw new KilnException(Code.USAGE, Location.NONE, "--percentile must be in (50, 100], got " + percentile);
        this.method = method;
        this.percentile = percentile;
        this.progress = log;
        this.bar = bar == null ? Progress.OFF : bar;
    }

    /** The method named {@code name} (minmax, percentile, entropy), or a usage error. */
    public static Method method(String name) {
        for (Method m : Method.values()) if (m.name().equalsIgnoreCase(name)) return m;
        throw new KilnException(Code.USAGE, Location.NONE, "unknown calibration method '" + name + "'").withHint("use minmax, percentile or entropy");
    }

    /** Running statistics of one value. */
    private static final class Stats {
        final SummaryStatistics s = new SummaryStatistics();
        long[] hist;
        double lo, width;
    }

    /** The activation parameters of every float graph input and node output of {@code g}, measured on {@code samples}. */
    public Map<String, QuantParams> calibrate(Graph g, List<Map<String, NdArray>> samples) {
        if (samples.isEmpty()) throw new KilnException(Code.USAGE, Location.NONE, "the calibration data holds no samples");
        Map<Value, Stats> stats = new LinkedHashMap<>();
        for (Value v : g.inputs()) if (v.dtype().isFloat()) stats.put(v, new Stats());
        for (dev.kiln.ir.Node n : g.nodes()) for (Value v : n.outputs()) if (v.dtype().isFloat()) stats.put(v, new Stats());
        Interpreter it = new Interpreter(g);
        int passes = method == Method.MINMAX ? 1 : 2;
        long t0 = System.nanoTime();
        bar.begin("calibrating (" + method.name().toLowerCase(Locale.ROOT) + ")", (long) passes * samples.size());
        for (int pass = 0; pass < passes; pass++) {
            if (pass == 1) for (Stats s : stats.values()) setUpHistogram(s);
            for (int i = 0; i < samples.size(); i++) {
                Map<Value, NdArray> env = it.runAll(samples.get(i));
                for (Map.Entry<Value, Stats> e : stats.entrySet()) {
                    NdArray a = env.get(e.getKey());
                    if (a == null) continue;
                    Stats s = e.getValue();
                    if (pass == 0) for (int k = 0; k < a.size(); k++) s.s.addValue(a.getDouble(k));
                    else addToHistogram(s, a);
                }
                bar.update((long) pass * samples.size() + i + 1, passes > 1 ? "pass " + (pass + 1) + "/" + passes : null);
            }
        }
        Map<String, QuantParams> r = new LinkedHashMap<>();
        for (Map.Entry<Value, Stats> e : stats.entrySet()) {
            Stats s = e.getValue();
            if (s.s.getN() == 0) continue;
            double[] range = range(s);
            r.put(e.getKey().name(), QuantMath.activation(range[0], range[1]));
        }
        bar.end();
        if (progress != null) {
            progress.printf(Locale.ROOT, "calibrated %d values on %d samples (%s%s) in %.1f s%n", r.size(), samples.size(),
                    method.name().toLowerCase(Locale.ROOT), method == Method.PERCENTILE ? " " + percentile : "", (System.nanoTime() - t0) / 1e9);
            progress.flush();
        }
        return r;
    }

    private void setUpHistogram(Stats s) {
        s.hist = new long[BINS];
        double min = s.s.getMin(), max = s.s.getMax();
        if (method == Method.ENTROPY) {
            s.lo = 0;
            s.width = Math.max(Math.abs(min), Math.abs(max)) / BINS;
        } else {
            s.lo = min;
            s.width = (max - min) / BINS;
        }
    }

    private void addToHistogram(Stats s, NdArray a) {
        boolean abs = method == Method.ENTROPY;
        for (int k = 0; k < a.size(); k++) {
            double v = a.getDouble(k);
            if (abs) v = Math.abs(v);
            int b = s.width > 0 ? (int) ((v - s.lo) / s.width) : 0;
            s.hist[Math.max(0, Math.min(BINS - 1, b))]++;
        }
    }

    /** The real range [lo, hi] of one value by the chosen method. */
    private double[] range(Stats s) {
        double min = s.s.getMin(), max = s.s.getMax();
        if (method == Method.MINMAX || s.hist == null || s.width == 0) return new double[] {min, max};
        if (method == Method.PERCENTILE) {
            double q = percentile / 100.0;
            return new double[] {Math.max(min, quantile(s, 1 - q)), Math.min(max, quantile(s, q))};
        }
        double t = entropyThreshold(s.hist, s.width, min >= 0 ? 255 : 128);
        return new double[] {Math.max(min, -t), Math.min(max, t)};
    }

    /** The q-quantile of a histogram, interpolated linearly inside its bin. */
    private static double quantile(Stats s, double q) {
        long total = 0;
        for (long h : s.hist) total += h;
        double want = q * total, seen = 0;
        for (int b = 0; b < BINS; b++) {
            if (seen + s.hist[b] >= want && s.hist[b] > 0) {
                double f = (want - seen) / s.hist[b];
                return s.lo + (b + Math.max(0, Math.min(1, f))) * s.width;
            }
            seen += s.hist[b];
        }
        return s.lo + BINS * s.width;
    }

    /**
     * TensorRT's entropy calibration on a histogram of |x|: for each candidate bin count i (from {@code levels} to
     * {@link #BINS}), P is the first i bins with every outlier folded into the last one, and Q is the first i bins
     * <em>without</em> the outliers merged into {@code levels} levels and spread back evenly over the bins where P
     * is nonzero; both are smoothed (zero bins get a small epsilon) and the threshold {@code (i + 0.5) * width}
     * of the smallest KL(P || Q) is returned. Clipping costs through the outliers P holds and Q lacks; coarse
     * levels cost through the spreading.
     */
    static double entropyThreshold(long[] hist, double width, int levels) {
        int n = hist.length;
        double best = Double.POSITIVE_INFINITY;
        int bestI = n;
        for (int i = levels; i <= n; i++) {
            double[] p = new double[i];
            for (int b = 0; b < i; b++) p[b] = hist[b];
            for (int b = i; b < n; b++) p[i - 1] += hist[b];
            double[] qd = new double[i];
            double per = (double) i / levels;
            for (int l = 0; l < levels; l++) {
                int from = (int) Math.floor(l * per), to = l == levels - 1 ? i : (int) Math.floor((l + 1) * per);
                double sum = 0;
                int nonzero = 0;
                for (int b = from; b < to; b++) {
                    sum += hist[b];
                    if (p[b] != 0) nonzero++;
                }
                for (int b = from; b < to; b++) qd[b] = p[b] == 0 || nonzero == 0 ? 0 : sum / nonzero;
            }
            double kl = kl(smooth(p), smooth(qd));
            if (kl < best) {
                best = kl;
                bestI = i;
            }
        }
        return (bestI + 0.5) * width;
    }

    /** A histogram normalised to sum 1 with every zero bin given 1e-4 (taken evenly from the nonzero ones). */
    private static double[] smooth(double[] h) {
        double sum = 0;
        int zeros = 0;
        for (double v : h) {
            sum += v;
            if (v == 0) zeros++;
        }
        double[] r = new double[h.length];
        if (sum == 0 || zeros == h.length) return r;
        double eps = 1e-4, take = eps * zeros / (h.length - zeros);
        for (int b = 0; b < h.length; b++) r[b] = h[b] == 0 ? eps : h[b] / sum - take;
        return r;
    }

    /** KL(P || Q) of two distributions (bins where P is 0 count nothing; Q 0 where P is not: infinite). */
    private static double kl(double[] p, double[] q) {
        double d = 0;
        for (int b = 0; b < p.length; b++) {
            if (p[b] <= 0) continue;
            if (q[b] <= 0) return Double.POSITIVE_INFINITY;
            d += p[b] * Math.log(p[b] / q[b]);
        }
        return d;
    }

    /**
     * Reads calibration data for graph {@code g}: a {@code .npy} file whose first axis counts samples (each slice
     * reshaped to the single input's shape; one sample of the input's own shape is one sample), a single {@code .pb}
     * tensor (one sample), or a folder of {@code .npy}/{@code .pb} files (one sample each, for a
     * single-input model) or of {@code test_data_set_*} folders ({@code input_<i>.pb} per input).
     */
    public static List<Map<String, NdArray>> load(Path data, Graph g) {
        List<Map<String, NdArray>> r = new ArrayList<>();
        if (!Files.exists(data)) throw new KilnException(Code.FILE_NOT_FOUND, Location.file(data.toString()), data + " (no such file or folder)");
        long limit = 1L << 31;
        Map<String, NdArray> one = Files.isDirectory(data) ? testDataSet(g, data, limit) : null;
        if (one != null) {
            r.add(one); // why: DATA is itself one test_data_set folder (input_<i>.pb per input)
        } else if (Files.isDirectory(data)) {
            List<Path> entries;
            try (Stream<Path> s = Files.list(data)) {
                entries = s.sorted().toList();
            } catch (IOException e) {
                throw new KilnException(Code.IO_ERROR, Location.file(data.toString()), e.getMessage());
            }
            for (Path p : entries) {
                String f = p.getFileName().toString();
                if (Files.isDirectory(p)) {
                    Map<String, NdArray> m = testDataSet(g, p, limit);
                    if (m != null) r.add(m);
                } else if (f.startsWith("output_") && f.endsWith(".pb")) {
                    continue; // why: a test_data_set folder's recorded outputs are not inputs
                } else if (f.endsWith(".npy") || f.endsWith(".pb")) {
                    Value in = single(g, data);
                    NdArray a = f.endsWith(".npy") ? Npy.read(p, limit) : TensorProtos.readPb(p, limit);
                    r.add(Map.of(in.name(), fit(a, in, p.toString())));
                }
            }
        } else if (data.getFileName().toString().endsWith(".pb")) {
            // why: one recorded input (an input_0.pb) is one sample, as in a folder
            Value in = single(g, data);
            r.add(Map.of(in.name(), fit(TensorProtos.readPb(data, limit), in, data.toString())));
        } else {
            Value in = single(g, data);
            NdArray a = Npy.read(data, limit);
            for (NdArray s : samples(a, in, data.toString())) r.add(Map.of(in.name(), s));
        }
        if (r.isEmpty()) throw new KilnException(Code.USAGE, Location.file(data.toString()), "no calibration samples found in " + data)
                .withHint("give a .npy file whose first axis counts samples, a single .npy or .pb sample, or a folder of .npy/.pb inputs");
        return r;
    }

    /** The inputs of a test_data_set folder ({@code input_<i>.pb} for every graph input), or null when it is not one. */
    private static Map<String, NdArray> testDataSet(Graph g, Path dir, long limit) {
        Map<String, NdArray> m = new LinkedHashMap<>();
        for (int i = 0; i < g.inputs().size(); i++) {
            Path pb = dir.resolve("input_" + i + ".pb");
            if (!Files.exists(pb)) return null;
            Value in = g.inputs().get(i);
            m.put(in.name(), fit(TensorProtos.readPb(pb, limit), in, pb.toString()));
        }
        return m;
    }

    private static Value single(Graph g, Path data) {
        if (g.inputs().size() != 1)
            throw new KilnException(Code.USAGE, Location.file(data.toString()), "the model has " + g.inputs().size() + " inputs; a .npy calibration file feeds one")
                    .withHint("give a folder of test_data_set_* folders with input_<i>.pb files");
        return g.inputs().get(0);
    }

    /** Splits {@code a} along its first axis into samples of {@code in}'s shape (batch 1) and type. */
    public static List<NdArray> samples(NdArray a, Value in, String where) {
        Shape s = in.shape();
        int per = s.size();
        if (a.shape().rank() == 0 || per == 0 || a.size() % per != 0)
            throw new KilnException(Code.USAGE, Location.file(where), "data of shape " + a.shape() + " does not split into samples of input '" + in.name() + "' " + s);
        int count = a.size() / per;
        if (a.shape().dim(0) != count && !(count == 1))
            throw new KilnException(Code.USAGE, Location.file(where), "data of shape " + a.shape() + ": the first axis should count samples of " + s);
        List<NdArray> r = new ArrayList<>();
        NdArray f = a.cast(in.dtype());
        for (int i = 0; i < count; i++) {
            NdArray x = NdArray.zeros(in.dtype(), s);
            for (int k = 0; k < per; k++) x.setDouble(k, f.getDouble(i * per + k));
            r.add(x);
        }
        return r;
    }

    private static NdArray fit(NdArray a, Value in, String where) {
        if (a.size() != in.shape().size())
            throw new KilnException(Code.USAGE, Location.file(where), "sample of shape " + a.shape() + " does not fit input '" + in.name() + "' " + in.type());
        NdArray x = NdArray.zeros(in.dtype().isFloat() ? in.dtype() : DType.F32, in.shape());
        for (int k = 0; k < a.size(); k++) x.setDouble(k, a.getDouble(k));
        return x;
    }
}
