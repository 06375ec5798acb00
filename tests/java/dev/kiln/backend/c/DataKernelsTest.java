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
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.toolchain.CProgramRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The C data kernels against the interpreter on dtypes and attribute combinations the ONNX conformance cases do
 * not cover (integer reductions that wrap or truncate, runtime gather indices, integer pads and resizes, three
 * resized axes, f64 softmax, empty outputs, aliases in the arena), all built into one program.
 */
class DataKernelsTest {
    private final Random rnd = new Random(7);
    private final List<Checker.Job> jobs = new ArrayList<>();

    private NdArray random(DType t, Shape s) {
        NdArray a = NdArray.zeros(t, s);
        for (int i = 0; i < a.size(); i++) {
            if (t.isFloat()) a.setDouble(i, rnd.nextGaussian() * 3);
            else if (t == DType.BOOL) a.setLong(i, rnd.nextInt(2));
            else if (t == DType.I32) a.setLong(i, rnd.nextInt() / 2 + (rnd.nextBoolean() ? 1L << 30 : -(1L << 30)));
            else a.setLong(i, t.minValue() + (long) (rnd.nextDouble() * ((double) t.maxValue() - t.minValue())));
        }
        return a;
    }

    /** One node on graph inputs of the given types (random data), outputs all the node's outputs. */
    private void job(String name, OpDef op, Attrs attrs, int outputs, List<NdArray> inputs) {
        Graph g = new Graph(name);
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) ins.add(g.addInput("in" + i, inputs.get(i).type()));
        var n = g.addNode(op, name, ins, attrs, outputs);
        for (Value v : n.outputs()) g.addOutput(v);
        jobs.add(new Checker.Job(name, g, inputs));
    }

    private void job(String name, OpDef op, Attrs attrs, NdArray... inputs) { job(name, op, attrs, 1, List.of(inputs)); }

    @Test
    void dataKernelsMatchTheInterpreter() {
        NdArray i32 = random(DType.I32, Shape.of(2, 3, 4));
        job("sum_i32_wraps", Ops.REDUCE_SUM, Attrs.of("axes", new long[] {1}, "keepdims", 0L), i32);
        job("mean_i8_truncates", Ops.REDUCE_MEAN, Attrs.of("axes", new long[] {0, 2}), random(DType.I8, Shape.of(3, 2, 4)));
        job("max_i16_all", Ops.REDUCE_MAX, Attrs.EMPTY, random(DType.I16, Shape.of(3, 5)));
        job("max_bool_axis1", Ops.REDUCE_MAX, Attrs.of("axes", new long[] {-1}, "keepdims", 0L), random(DType.BOOL, Shape.of(4, 3)));
        NdArray nan = random(DType.F32, Shape.of(2, 4));
        nan.setDouble(5, Double.NaN);
        job("max_f32_nan_wins", Ops.REDUCE_MAX, Attrs.of("axes", new long[] {1}), nan);
        job("sum_noop_axes", Ops.REDUCE_SUM, Attrs.of("axes", new long[0]), random(DType.F32, Shape.of(2, 3)));
        job("mean_f64_middle", Ops.REDUCE_MEAN, Attrs.of("axes", new long[] {1}), random(DType.F64, Shape.of(2, 5, 3)));
        job("gather_axis1_runtime", Ops.GATHER, Attrs.of("axis", 1L), random(DType.I64, Shape.of(2, 3, 4)),
                NdArray.ofLongs(DType.I32, Shape.of(2, 2), -1, 0, 2, -3));
        job("gather_last_axis", Ops.GATHER, Attrs.of("axis", -1L), random(DType.U8, Shape.of(2, 5)),
                NdArray.ofLongs(DType.I64, Shape.of(3), 4, -5, 1));
        for (String mode : List.of("edge", "wrap", "reflect"))
            job("pad_i8_" + mode, Ops.PAD, Attrs.of("mode", mode, "pads", new long[] {1, -1, 2, 3}), random(DType.I8, Shape.of(3, 4)));
        job("pad_u8_crop_value", Ops.PAD, Attrs.of("pads", new long[] {-1, 2, 1, -2}, "value", 7.0), random(DType.U8, Shape.of(3, 5)));
        job("resize_linear_u8", Ops.RESIZE, Attrs.of("mode", "linear", "coordinate_transformation_mode", "asymmetric",
                "sizes", new long[] {1, 3, 7}, "scales", new double[] {1, 1.5, 1.75}), random(DType.U8, Shape.of(1, 2, 4)));
        job("resize_linear_3_axes", Ops.RESIZE, Attrs.of("mode", "linear", "sizes", new long[] {3, 5, 7},
                "scales", new double[] {1.5, 5.0 / 3, 7.0 / 4}), random(DType.F32, Shape.of(2, 3, 4)));
        job("resize_cubic_antialias_f64", Ops.RESIZE, Attrs.of("mode", "cubic", "antialias", 1L,
                "sizes", new long[] {1, 1, 3, 2}, "scales", new double[] {1, 1, 0.5, 0.4}), random(DType.F64, Shape.of(1, 1, 6, 5)));
        job("resize_nearest_crop_i32", Ops.RESIZE, Attrs.of("mode", "nearest", "coordinate_transformation_mode", "tf_crop_and_resize",
                "sizes", new long[] {4, 5}, "scales", new double[] {2, 2.5}, "roi", new double[] {0.2, -0.3, 1.4, 1.2},
                "extrapolation_value", -3.7), random(DType.I32, Shape.of(2, 2)));
        job("softmax_f64_axis0", Ops.SOFTMAX, Attrs.of("axis", 0L), random(DType.F64, Shape.of(3, 4)));
        job("log_softmax_inner", Ops.LOG_SOFTMAX, Attrs.of("axis", 1L), random(DType.F32, Shape.of(2, 3, 4)));
        laneWiseRows();
        // f16/bf16 rows round every step (ops.RoundingSteps): a long bf16 row whose sum rounds after each addition,
        // an f16 row along a middle axis, a scaled bf16 row, log-softmax on both
        job("softmax_bf16_steps_300", Ops.SOFTMAX, Attrs.EMPTY, random(DType.BF16, Shape.of(2, 300)));
        job("softmax_f16_steps_inner", Ops.SOFTMAX, Attrs.of("axis", 1L), random(DType.F16, Shape.of(2, 40, 3)));
        job("softmax_bf16_steps_scaled", Ops.SOFTMAX, Attrs.of(dev.kiln.ops.SoftmaxOp.SCALE, 0.3), random(DType.BF16, Shape.of(3, 17)));
        job("log_softmax_bf16_steps", Ops.LOG_SOFTMAX, Attrs.EMPTY, random(DType.BF16, Shape.of(2, 33)));
        job("log_softmax_f16_steps", Ops.LOG_SOFTMAX, Attrs.of("axis", 0L), random(DType.F16, Shape.of(25, 2)));
        job("slice_i16_step2", Ops.SLICE, Attrs.of("starts", new long[] {1, -1}, "ends", new long[] {100, -100},
                "steps", new long[] {2, -2}), random(DType.I16, Shape.of(5, 6)));
        job("slice_empty", Ops.SLICE, Attrs.of("starts", new long[] {3}, "ends", new long[] {1}, "axes", new long[] {1}),
                random(DType.F32, Shape.of(2, 4)));
        job("transpose_i64_rank5", Ops.TRANSPOSE, Attrs.of("perm", new long[] {4, 2, 0, 3, 1}), random(DType.I64, Shape.of(2, 3, 1, 2, 3)));
        job("concat_i8_with_empty", Ops.CONCAT, Attrs.of("axis", 1L), random(DType.I8, Shape.of(2, 3)),
                NdArray.zeros(DType.I8, Shape.of(2, 0)), random(DType.I8, Shape.of(2, 2)));
        job("split_bool", Ops.SPLIT, Attrs.of("axis", 0L, "split", new long[] {1, 0, 2}), 3, List.of(random(DType.BOOL, Shape.of(3, 2))));
        job("expand_bool", Ops.EXPAND, Attrs.of("shape", new long[] {2, 3, 4}), random(DType.BOOL, Shape.of(3, 1)));
        job("tile_u16", Ops.TILE, Attrs.of("repeats", new long[] {2, 1, 3}), random(DType.U16, Shape.of(2, 1, 3)));
        job("tile_zero", Ops.TILE, Attrs.of("repeats", new long[] {0, 2}), random(DType.F32, Shape.of(2, 3)));
        job("flatten_io_copy", Ops.FLATTEN, Attrs.of("axis", 2L), random(DType.F64, Shape.of(2, 3, 2)));
        // relu -> reshape -> relu: the reshape is an alias inside the arena, so its kernel does nothing
        Graph g = new Graph("reshape_in_arena");
        Value x = g.addInput("x", new TensorType(DType.F32, Shape.of(2, 6)));
        Value a = g.addNode(Ops.RELU, "r1", List.of(x), Attrs.EMPTY).output(0);
        Value b = g.addNode(Ops.RESHAPE, "rs", List.of(a), Attrs.of("shape", new long[] {3, 4})).output(0);
        g.addOutput(g.addNode(Ops.RELU, "r2", List.of(b), Attrs.EMPTY).output(0));
        jobs.add(new Checker.Job("reshape_in_arena", g, List.of(random(DType.F32, Shape.of(2, 6)))));
        assertEquals(List.of(2), copies(concatInArena(), "concat"), "relu(x) and neg(y) are in place, sigmoid(x) and x copied");
        jobs.add(new Checker.Job("concat_in_arena", concatInArena(), List.of(random(DType.F32, Shape.of(1, 16, 1)), random(DType.F32, Shape.of(1, 3, 1)))));
        assertEquals(List.of(0, 1), copies(nestedConcat(), "concat"), "the inner concat's inputs and the inner concat itself lie in the outer one's buffer; only y is copied");
        jobs.add(new Checker.Job("concat_of_concat", nestedConcat(), List.of(random(DType.F32, Shape.of(1, 8, 1)), random(DType.F32, Shape.of(1, 4, 1)))));
        assertEquals(List.of(1), copies(viewsOfOneRun(), "split"), "split copies only its unaligned last part");
        assertEquals(List.of(0), copies(viewsOfOneRun(), "slice"), "the slice is a view");
        jobs.add(new Checker.Job("views_of_one_run", viewsOfOneRun(), List.of(random(DType.F32, Shape.of(1, 19, 1)))));

        compare(Target.load("host"), true);
    }

    /**
     * The f32 softmax and layer-normalization rows in lane-wise partials on aarch64-linux too (16-byte vectors: 8, 4
     * partials), under qemu, against the interpreter; cortex-m55 (no vector width in its descriptor) keeps one running
     * value, checked the same way.
     */
    @Test
    void laneWiseRowsMatchOnAarch64() {
        laneWiseRows();
        Checker.Job row = jobs.get(0);
        for (String target : new String[] {"aarch64-linux", "cortex-m55"}) {
            String c = new CBackend().generate(row.graph(), Target.load(target), new dev.kiln.backend.Backend.Options("t", null, "j")).files().get("t.c");
            assertEquals(target.startsWith("aarch64"), c.contains("float part["), target + ": lane-wise softmax partials");
            compare(Target.load(target), false);
        }
    }

    /** Softmax and layer-normalization rows that vector targets sum in lane-wise partials. */
    private void laneWiseRows() {
        // contiguous f32 rows take the lane-wise form on the host (maxima and sums in 32, 16 or 4 partials, a
        // scalar tail, the vectorisable exp): ViT's 65-key rows, a row of 7, attention's fused score scale
        job("softmax_f32_lanes_65", Ops.SOFTMAX, Attrs.EMPTY, random(DType.F32, Shape.of(2, 3, 65)));
        job("softmax_f32_lanes_7", Ops.SOFTMAX, Attrs.of("axis", 1L), random(DType.F32, Shape.of(3, 7)));
        job("softmax_f32_lanes_scaled", Ops.SOFTMAX, Attrs.of(dev.kiln.ops.SoftmaxOp.SCALE, 0.125), random(DType.F32, Shape.of(2, 48)));
        // a NaN or +inf makes the whole row NaN, -inf keys weigh nothing, keys far below the maximum underflow
        NdArray odd = random(DType.F32, Shape.of(4, 20));
        odd.setDouble(5, Double.NaN);
        for (int j : new int[] {20, 27, 39}) odd.setDouble(j, Double.NEGATIVE_INFINITY);
        odd.setDouble(43, Double.POSITIVE_INFINITY);
        for (int j = 0; j < 20; j++) odd.setDouble(60 + j, -200 + 13.0 * j);
        job("softmax_f32_lanes_nan_inf", Ops.SOFTMAX, Attrs.EMPTY, odd);
        // layer normalization sums the mean and the variance in lane-wise partials on the host: rows of 64 (32 lanes),
        // 185 (16 lanes and a tail of 9), f64 rows of 20 with the Mean and InvStdDev outputs, and a plain row of 3
        job("layer_norm_f32_64", Ops.LAYER_NORMALIZATION, Attrs.of("axis", -1L, "epsilon", 1e-5),
                random(DType.F32, Shape.of(1, 5, 64)), random(DType.F32, Shape.of(64)), random(DType.F32, Shape.of(64)));
        job("layer_norm_f32_185", Ops.LAYER_NORMALIZATION, Attrs.of("axis", 1L, "epsilon", 1e-3),
                random(DType.F32, Shape.of(2, 5, 37)), random(DType.F32, Shape.of(5, 37)));
        job("layer_norm_f64_20_stats", Ops.LAYER_NORMALIZATION, Attrs.of("axis", -1L, "epsilon", 1e-5), 3,
                List.of(random(DType.F64, Shape.of(3, 20)), random(DType.F64, Shape.of(20)), random(DType.F64, Shape.of(20))));
        job("layer_norm_f32_3", Ops.LAYER_NORMALIZATION, Attrs.of("axis", -1L, "epsilon", 1e-5),
                random(DType.F32, Shape.of(4, 3)), random(DType.F32, Shape.of(3)), random(DType.F32, Shape.of(3)));
    }

    /** Runs every job on {@code t} (host: with sanitizers when asked) and compares with the interpreter. */
    private void compare(Target t, boolean sanitize) {
        List<Checker.Outcome> got = new CProgramRunner(t, sanitize, null).runAll(jobs);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < jobs.size(); i++) {
            Checker.Job j = jobs.get(i);
            Checker.Outcome o = got.get(i);
            if (o.error() != null) {
                failures.add(t.name() + " " + j.name() + ": " + o.error());
                continue;
            }
            List<NdArray> want = new Interpreter(j.graph()).run(j.inputs());
            assertEquals(want.size(), o.outputs().size(), j.name());
            for (int k = 0; k < want.size(); k++) {
                String why = differs(want.get(k), o.outputs().get(k));
                if (why != null) failures.add(t.name() + " " + j.name() + " output " + k + ": " + why);
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * A concat of one outer row: relu(x) and neg(y) are written in their slices of the output (its kernel copies only
     * sigmoid(x), at an unaligned offset, and the graph input x); neg(y) is read again after the concat.
     */
    private static Graph concatInArena() {
        Graph j = new Graph("concat_in_arena");
        Value jx = j.addInput("x", new TensorType(DType.F32, Shape.of(1, 16, 1)));
        Value jy = j.addInput("y", new TensorType(DType.F32, Shape.of(1, 3, 1)));
        Value ja = j.addNode(Ops.RELU, "a", List.of(jx), Attrs.EMPTY).output(0);
        Value jb = j.addNode(Ops.NEG, "b", List.of(jy), Attrs.EMPTY).output(0);
        Value jc = j.addNode(Ops.SIGMOID, "c", List.of(jx), Attrs.EMPTY).output(0);
        Value cat = j.addNode(Ops.CONCAT, "cat", List.of(ja, jb, jc, jx), Attrs.of("axis", 1L)).output(0);
        j.addOutput(j.addNode(Ops.TANH, "t", List.of(cat), Attrs.EMPTY).output(0));
        j.addOutput(j.addNode(Ops.RELU, "late", List.of(jb), Attrs.EMPTY).output(0));
        return j;
    }

    /** The memcpy calls in each generated host kernel of {@code op} in {@code g}, in schedule order. */
    private static List<Integer> copies(Graph g, String op) {
        String c = new CBackend().generate(g, Target.load("host"), new dev.kiln.backend.Backend.Options("t", null, "j")).files().get("t.c");
        java.util.regex.Matcher kernels = java.util.regex.Pattern.compile("(?s)static void t_k\\d+_" + op + "\\(.*?\n}").matcher(c);
        List<Integer> copies = new java.util.ArrayList<>();
        while (kernels.find()) copies.add(kernels.group().split("memcpy", -1).length - 1);
        return copies;
    }

    /**
     * A concat of a concat: relu(x) and neg(y) are written in their slices of the inner concat, which is itself written
     * in its slice of the outer one (with sigmoid(x) before it and the graph input y after it); the inner concat is
     * read again afterwards.
     */
    private static Graph nestedConcat() {
        Graph j = new Graph("concat_of_concat");
        Value jx = j.addInput("x", new TensorType(DType.F32, Shape.of(1, 8, 1)));
        Value jy = j.addInput("y", new TensorType(DType.F32, Shape.of(1, 4, 1)));
        Value ja = j.addNode(Ops.RELU, "a", List.of(jx), Attrs.EMPTY).output(0);
        Value jb = j.addNode(Ops.NEG, "b", List.of(jy), Attrs.EMPTY).output(0);
        Value inner = j.addNode(Ops.CONCAT, "inner", List.of(ja, jb), Attrs.of("axis", 1L)).output(0);
        Value jc = j.addNode(Ops.SIGMOID, "c", List.of(jx), Attrs.EMPTY).output(0);
        Value outer = j.addNode(Ops.CONCAT, "outer", List.of(jc, inner, jy), Attrs.of("axis", 1L)).output(0);
        j.addOutput(j.addNode(Ops.TANH, "t", List.of(outer), Attrs.EMPTY).output(0));
        j.addOutput(j.addNode(Ops.RELU, "late", List.of(inner), Attrs.EMPTY).output(0));
        return j;
    }

    /**
     * A split and a slice of one contiguous run of relu(x), placed as views of it: neg(y0) must not overwrite y0's
     * bytes while y1, the slice and relu(x) itself are still read; the split's last part, 15 floats in, is at an
     * unaligned offset and copied.
     */
    private static Graph viewsOfOneRun() {
        Graph j = new Graph("views_of_one_run");
        Value jx = j.addInput("x", new TensorType(DType.F32, Shape.of(1, 19, 1)));
        Value a = j.addNode(Ops.RELU, "a", List.of(jx), Attrs.EMPTY).output(0);
        dev.kiln.ir.Node split = j.addNode(Ops.SPLIT, "split", List.of(a), Attrs.of("axis", 1L).with("split", new long[] {8, 7, 4}), 3);
        Value e = j.addNode(Ops.NEG, "e", List.of(split.output(0)), Attrs.EMPTY).output(0);
        Value f = j.addNode(Ops.SIGMOID, "f", List.of(split.output(1)), Attrs.EMPTY).output(0);
        Value sl = j.addNode(Ops.SLICE, "slice", List.of(a), Attrs.of("starts", new long[] {4}).with("ends", new long[] {12})
                .with("axes", new long[] {1})).output(0);
        j.addOutput(e);
        j.addOutput(f);
        j.addOutput(j.addNode(Ops.TANH, "t", List.of(sl), Attrs.EMPTY).output(0));
        j.addOutput(j.addNode(Ops.NEG, "late", List.of(split.output(2)), Attrs.EMPTY).output(0));
        j.addOutput(j.addNode(Ops.SIGMOID, "whole", List.of(a), Attrs.EMPTY).output(0));
        return j;
    }

    /** Why two arrays differ (integers exactly, floats within 1e-5 absolute plus relative), or null. */
    private static String differs(NdArray want, NdArray got) {
        if (!want.shape().equals(got.shape())) return "shape " + got.shape() + " instead of " + want.shape();
        for (int i = 0; i < want.size(); i++) {
            if (want.dtype().isFloat()) {
                double w = want.getDouble(i), g = got.getDouble(i);
                if (Double.isNaN(w) != Double.isNaN(g) || !Double.isNaN(w) && Math.abs(w - g) > 1e-5 + 1e-5 * Math.abs(w))
                    return "element " + i + " is " + g + ", expected " + w;
            } else if (want.getLong(i) != got.getLong(i)) {
                return "element " + i + " is " + got.getLong(i) + ", expected " + want.getLong(i);
            }
        }
        return null;
    }
}
