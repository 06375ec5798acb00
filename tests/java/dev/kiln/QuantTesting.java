package dev.kiln;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.check.Checker;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.ops.Trait;
import dev.kiln.passes.PassOptions;
import dev.kiln.quant.Calibration;
import dev.kiln.quant.Calibrator;
import dev.kiln.quant.Int8Io;
import dev.kiln.quant.QLinearExpansion;
import dev.kiln.quant.QdqPatterns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Helpers for tests of quantized models: how many roundings a model stacks (its depth), the step of its output
 * grid, so that "one output step per layer of depth" is a number, and the quantizing/dequantizing of int8 I/O.
 */
public final class QuantTesting {
    private QuantTesting() {}

    /** Whether the graph as imported is a quantized model (it holds quantize_linear or QOperator nodes). */
    public static boolean quantized(Graph g) {
        for (Node n : g.nodes()) if (n.op() == Ops.QUANTIZE_LINEAR || QLinearExpansion.expandable(n)) return true;
        return false;
    }

    /** Whether the model in test folder {@code dir} is quantized. */
    public static boolean quantized(Path dir) { return quantized(Kiln.load(dir.resolve("model.onnx"), new ImportOptions())); }

    /** The absolute tolerance for the quantized model in test folder {@code dir}: depth × output step. */
    public static double tolerance(Path dir) { return tolerance(Kiln.load(dir.resolve("model.onnx"), new ImportOptions())); }

    /** The absolute tolerance for a quantized model's outputs: depth × output step. */
    public static double tolerance(Graph imported) { return depth(imported) * outputStep(imported.outputs().get(0)); }

    /** The most roundings (quantize_linear or QOperator ops) on a path from a graph input to an output. */
    public static int depth(Graph g) {
        Map<Value, Integer> d = new LinkedHashMap<>();
        int best = 0;
        for (Node n : g.nodes()) {
            int in = 0;
            for (Value v : n.inputs()) if (v != null) in = Math.max(in, d.getOrDefault(v, 0));
            int here = in + (rounds(n) ? 1 : 0);
            for (Value o : n.outputs()) d.put(o, here);
        }
        for (Value o : g.outputs()) best = Math.max(best, d.getOrDefault(o, 0));
        return best;
    }

    /**
     * Whether {@code n} rounds to a grid: a QOperator op, or a quantize — except one that re-quantizes, on the
     * same grid, what a transparent op (max pool, flatten...) made of a dequantize's output: nothing rounds there.
     */
    public static boolean rounds(Node n) {
        if (QLinearExpansion.expandable(n)) return true;
        if (n.op() != Ops.QUANTIZE_LINEAR) return false;
        Node t = n.input(0).producer();
        if (t == null || !QdqPatterns.transparent(t)) return true;
        Node d = t.input(0).producer();
        return d == null || !QdqPatterns.isDequantize(d) || !QdqPatterns.sameQuantization(d, n);
    }

    /** The scale of the last dequantize before {@code out} (its grid's step), searching back through float ops. */
    public static double outputStep(Value out) {
        List<Value> work = new ArrayList<>(List.of(out));
        while (!work.isEmpty()) {
            Value v = work.remove(0);
            Node p = v.producer();
            if (p == null) continue;
            if (QdqPatterns.isDequantize(p) && !p.input(0).isConstant()) return p.input(1).constant().getDouble(0);
            for (Value i : p.inputs()) if (i != null && !i.isConstant()) work.add(i);
        }
        throw new AssertionError("no dequantize before " + out.name());
    }

    public static NdArray quantize(NdArray a, QuantParams p) {
        long[] q = new long[a.size()];
        for (int i = 0; i < q.length; i++) q[i] = Math.max(-128, Math.min(127, Math.round(Math.rint(a.getDouble(i) / p.scale(0))) + p.zeroPoint(0)));
        return NdArray.ofLongs(DType.I8, a.shape(), q);
    }

    /** A graph output's values as reals: int8 ones dequantized with the grid on their type. */
    public static NdArray dequantized(Value o, NdArray a) {
        QuantParams p = o.type().quant();
        if (a.dtype().isFloat() || p == null) return a;
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) f[i] = (a.getLong(i) - p.zeroPoint(0)) * p.scale(0);
        return NdArray.ofFloats(a.shape(), f);
    }

    /** Float models of {@code tests/models} that the int8 tests quantize with Kiln (min-max on their recorded input). */
    public static final List<String> FLOAT_MODELS = List.of("ds_cnn_kws_op13", "mobilenet_v1_025_vww_op13", "resnet8_cifar10_op13",
            "fc_autoencoder_ad_op13", "digits_lenet5_op13");

    /**
     * The int8 graphs of every quantized model in {@code tests/models} (lowered by the default pipeline) and of
     * {@link #FLOAT_MODELS} quantized by Kiln, each with its first recorded input quantized to the graph's input type.
     * {@code tmp} holds the calibration folders.
     */
    public static List<Checker.Job> int8Jobs(Path tmp) throws IOException { return int8Jobs(tmp, null); }

    /** {@link #int8Jobs(Path)} with the multiplier form {@code compact} forces (null: the default, Q31). */
    public static List<Checker.Job> int8Jobs(Path tmp, Boolean compact) throws IOException {
        Path models = TestFiles.models();
        List<Checker.Job> jobs = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        try (var s = Files.list(models)) {
            s.filter(d -> d.getFileName().toString().contains("_int8_")).sorted().forEach(dirs::add);
        }
        assertTrue(dirs.size() >= 6, "the quantized models of tests/models: " + dirs);
        PassOptions plain = new PassOptions();
        plain.compactMultipliers = compact;
        for (Path d : dirs) jobs.add(int8Job(d, new CompileOptions(CompileOptions.DEFAULT_LEVEL, plain, null)));
        for (String m : FLOAT_MODELS) {
            Path d = models.resolve(m);
            // why: the calibration folder must hold inputs only (the recorded outputs sit beside them)
            Path cal = Files.createDirectories(tmp.resolve(m));
            Files.copy(d.resolve("test_data_set_0/input_0.pb"), cal.resolve("input_0.pb"));
            PassOptions po = new PassOptions();
            po.int8 = Calibration.of(cal, Calibrator.Method.MINMAX);
            po.compactMultipliers = compact;
            jobs.add(int8Job(d, new CompileOptions(CompileOptions.DEFAULT_LEVEL, po, null)));
        }
        return jobs;
    }

    /**
     * The float models {@code names} of {@code tests/models} quantized by Kiln (min-max on their recorded input) with
     * the pass options {@code po} adds to the calibration, as in {@link #int8Jobs(Path)}.
     */
    public static List<Checker.Job> calibratedJobs(Path tmp, List<String> names, java.util.function.Consumer<PassOptions> po) throws IOException {
        List<Checker.Job> jobs = new ArrayList<>();
        for (String m : names) {
            Path d = TestFiles.models().resolve(m);
            Path cal = Files.createDirectories(tmp.resolve(m + "_cal"));
            Files.copy(d.resolve("test_data_set_0/input_0.pb"), cal.resolve("input_0.pb"));
            PassOptions o = new PassOptions();
            o.int8 = Calibration.of(cal, Calibrator.Method.MINMAX);
            po.accept(o);
            jobs.add(int8Job(d, new CompileOptions(CompileOptions.DEFAULT_LEVEL, o, null)));
        }
        return jobs;
    }

    /**
     * The MobileNetV2-shaped MCU model {@code tests/data/mbv2_micro} quantized by Kiln (min-max on its recorded input)
     * and optimized for target {@code t}: on a target whose RAM is tight its peak-setting inverted residual bodies
     * become {@code qbottleneck}s (FuseInt8Bottlenecks).
     */
    public static Checker.Job bottleneckJob(Path tmp, dev.kiln.backend.Target t) throws IOException {
        Path d = TestFiles.root().resolve("tests/data/mbv2_micro");
        Path cal = Files.createDirectories(tmp.resolve("mbv2_micro_cal_" + t.name()));
        Files.copy(d.resolve("test_data_set_0/input_0.pb"), cal.resolve("input_0.pb"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        PassOptions po = new PassOptions();
        po.int8 = Calibration.of(cal, Calibrator.Method.MINMAX);
        return int8Job(d, t, new CompileOptions(CompileOptions.DEFAULT_LEVEL, po, null));
    }

    /** The int8 graph of quantized model {@code dir} lowered by the default pipeline, with its first recorded input. */
    public static Checker.Job quantizedJob(Path dir) { return quantizedJob(dir, CompileOptions.DEFAULT_LEVEL); }

    /** {@link #quantizedJob(Path)} optimized for target {@code t}. */
    public static Checker.Job quantizedJob(Path dir, dev.kiln.backend.Target t) { return int8Job(dir, t, new CompileOptions(CompileOptions.DEFAULT_LEVEL, new PassOptions(), null)); }

    /** {@link #quantizedJob(Path)} at optimisation level {@code level} (-O1 keeps the int8 residual adds as qadd nodes). */
    public static Checker.Job quantizedJob(Path dir, int level) { return int8Job(dir, new CompileOptions(level, new PassOptions(), null)); }

    private static Checker.Job int8Job(Path dir, CompileOptions co) { return int8Job(dir, null, co); }

    private static Checker.Job int8Job(Path dir, dev.kiln.backend.Target t, CompileOptions co) {
        TestCase tc = TestCase.find(List.of(dir)).get(0);
        Graph g = Kiln.load(tc.model(), new ImportOptions());
        Kiln.optimize(g, t, co);
        int integer = 0;
        for (Node n : g.nodes()) if (n.op().has(Trait.INTEGER)) integer++;
        assertTrue(integer > 0, dir.getFileName() + " was lowered to int8 ops");
        TestCase.DataSet ds = tc.dataSets(ImportOptions.DEFAULT_MAX_TENSOR_BYTES).get(0);
        List<NdArray> ins = new ArrayList<>();
        for (int i = 0; i < g.inputs().size(); i++) ins.add(Int8Io.toInput(ds.inputs().get(i), g.inputs().get(i).type()));
        for (NdArray a : ins) assertTrue(a.dtype() == DType.I8 || a.dtype() == DType.U8 || a.dtype().isFloat(), dir.toString());
        return new Checker.Job(dir.getFileName().toString(), g, ins);
    }

    /** Asserts that every job's outputs in {@code got} equal the interpreter's byte for byte ({@code where} names the run). */
    public static void assertSameAsInterpreter(String where, List<Checker.Job> jobs, List<Checker.Outcome> got) {
        assertEquals(jobs.size(), got.size(), where);
        for (int i = 0; i < jobs.size(); i++) {
            Checker.Job j = jobs.get(i);
            Checker.Outcome o = got.get(i);
            assertNull(o.error(), where + " " + j.name());
            List<NdArray> want = new Interpreter(j.graph()).run(j.inputs());
            for (int k = 0; k < want.size(); k++) {
                assertEquals(want.get(k).dtype(), o.outputs().get(k).dtype(), where + " " + j.name());
                assertArrayEquals(want.get(k).toLongArray(), o.outputs().get(k).toLongArray(), where + " " + j.name() + " output " + k);
            }
        }
    }
}
