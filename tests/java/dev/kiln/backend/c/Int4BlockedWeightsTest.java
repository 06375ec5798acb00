package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnCli;
import dev.kiln.TestFiles;
import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ops.Ops;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Imported blocked int4 models (made by {@code tests/tools/int4_blocked_fixture.py}: DequantizeLinear with
 * {@code block_size} 16, 32 and 24 in front of two Gemms and a MatMul, ONNX Runtime's outputs):
 * {@code tests/models/int4_blocked/digits_mlp_int4_blocked} symmetric int4, {@code digits_mlp_uint4_blocked_zp} uint4
 * and int4 with a zero point per block. Each product becomes one dequant_gemm whose weight (and zero points) stay
 * packed in flash with its blocked scales, and the interpreter, the C on the host (sanitizers) and on cortex-m4f under
 * qemu, and OpenCL match ONNX Runtime within check's default tolerance.
 */
class Int4BlockedWeightsTest {
    private static final Path FIXTURES = TestFiles.models().resolve("int4_blocked");
    private static final Path DIR = FIXTURES.resolve("digits_mlp_int4_blocked");

    @Test
    void everyBlockedProductKeepsItsInt4WeightPacked() throws Exception {
        dev.kiln.ir.Graph g = dev.kiln.Kiln.load(DIR.resolve("model.onnx"), new dev.kiln.frontend.onnx.ImportOptions());
        dev.kiln.Kiln.optimize(g, null, new dev.kiln.CompileOptions(dev.kiln.CompileOptions.DEFAULT_LEVEL, new dev.kiln.passes.PassOptions(), null));
        int products = 0;
        for (Node n : g.nodes()) {
            assertFalse(n.op() == Ops.GEMM || n.op() == Ops.MATMUL || n.op() == Ops.DEQUANTIZE_LINEAR, n.toString());
            if (n.op() != Ops.DEQUANT_GEMM) continue;
            products++;
            assertEquals(DType.I4, n.input(1).dtype(), n.toString());
            assertTrue(n.input(1).isConstant(), n.toString());
        }
        assertEquals(3, products);
        GeneratedCode c = new CBackend().generate(g, Target.load("cortex-m4f"), new Backend.Options("m", null, "blocked"));
        // 8192 + 8192 + 640 weights at half a byte, 512 + 256 + 30 float scales, 202 float biases
        long packed = (8192 + 8192 + 640) / 2, scales = 4L * (512 + 256 + 30), biases = 4L * 202;
        assertEquals(packed + scales + biases, c.weightsBytes(), "weights bytes");
        String source = c.files().get("m.c");
        assertEquals(3, source.split("over blocked int4 weights \\(nibbles in flash\\)", -1).length - 1, "three blocked kernels");
        // fc3 (64 = 24 + 24 + 16) reads its short last block in a second loop
        assertEquals(4, source.split("nib\\[v & 15u\\]", -1).length - 1, "the kernels read two nibbles a byte");
    }

    /** The uint4 fixture keeps its weights and zero points packed: half a byte each, next to the float scales. */
    @Test
    void zeroPointsAndUint4StayPacked() throws Exception {
        dev.kiln.ir.Graph g = dev.kiln.Kiln.load(FIXTURES.resolve("digits_mlp_uint4_blocked_zp/model.onnx"), new dev.kiln.frontend.onnx.ImportOptions());
        dev.kiln.Kiln.optimize(g, null, new dev.kiln.CompileOptions(dev.kiln.CompileOptions.DEFAULT_LEVEL, new dev.kiln.passes.PassOptions(), null));
        java.util.List<DType> types = new java.util.ArrayList<>();
        for (Node n : g.nodes()) {
            assertFalse(n.op() == Ops.GEMM || n.op() == Ops.MATMUL || n.op() == Ops.DEQUANTIZE_LINEAR, n.toString());
            if (n.op() == Ops.DEQUANT_GEMM) types.add(n.input(4).dtype());
        }
        assertEquals(java.util.List.of(DType.U4, DType.U4, DType.I4), types);
        GeneratedCode c = new CBackend().generate(g, Target.load("cortex-m4f"), new Backend.Options("m", null, "blocked"));
        // as digits_mlp_int4_blocked, plus 512 + 256 + 30 zero points at half a byte (the last byte half used)
        long packed = (8192 + 8192 + 640) / 2, scales = 4L * (512 + 256 + 30), biases = 4L * 202, zps = 256 + 128 + 15;
        assertEquals(packed + scales + biases + zps, c.weightsBytes(), "weights bytes");
        String source = c.files().get("m.c");
        assertEquals(2, source.split("KILN_UNPACK_U4\\(x4, ", -1).length - 1, "two uint4 kernels read their zero points as nibbles");
        assertEquals(2, source.split("KILN_UNPACK_I4\\(x4, ", -1).length - 1, "fc3 reads its int4 zero points in both its loops");
    }

    /**
     * Odd blocks (nibbles one by one) and even ones (two a byte), with [N, K] and [K, N] weights (the latter laid out
     * transposed), a short last block, with and without bias, int4 and uint4 with and without zero points (one after
     * an absent bias too), two rows: the C on the host (sanitizers) against the interpreter, within float rounding.
     */
    @Test
    void oddAndEvenBlocksMatchTheInterpreterOnTheHost() {
        java.util.Random rnd = new java.util.Random(11);
        java.util.List<dev.kiln.check.Checker.Job> jobs = new java.util.ArrayList<>();
        // trans_b, block, K, N, bias, then 0 int4, 1 int4 with zero points, 2 uint4, 3 uint4 with zero points
        int[][] cases = {{1, 5, 37, 6, 1, 0}, {0, 4, 40, 5, 1, 0}, {1, 6, 40, 3, 0, 0}, {0, 7, 37, 4, 0, 0},
                {1, 6, 40, 3, 1, 3}, {0, 7, 37, 4, 0, 3}, {1, 5, 37, 6, 0, 1}, {0, 8, 40, 5, 1, 1}, {0, 4, 40, 5, 1, 2}, {1, 3, 37, 2, 0, 2}};
        for (int[] c : cases) {
            boolean tb = c[0] == 1, bias = c[4] == 1, zp = c[5] % 2 == 1;
            DType t = c[5] >= 2 ? DType.U4 : DType.I4;
            int block = c[1], k = c[2], n = c[3];
            dev.kiln.ir.Graph g = new dev.kiln.ir.Graph("b" + block + "_" + k + "_" + c[5]);
            dev.kiln.ir.Value x = g.addInput("x", dev.kiln.ir.TensorType.of(DType.F32, 2, k));
            java.util.List<dev.kiln.ir.Value> ins = new java.util.ArrayList<>(java.util.List.of(x));
            ins.addAll(operands(g, rnd, t, tb, block, k, n, bias, zp, 0.01, 0.1));
            g.addOutput(g.addNode(Ops.DEQUANT_GEMM, "p", ins, dev.kiln.ir.Attrs.of("trans_b", tb ? 1L : 0L, "block_size", (long) block)).output(0));
            dev.kiln.ir.NdArray xv = dev.kiln.ir.NdArray.zeros(DType.F32, dev.kiln.ir.Shape.of(2, k));
            for (int i = 0; i < xv.size(); i++) xv.setDouble(i, rnd.nextGaussian());
            jobs.add(new dev.kiln.check.Checker.Job(g.name(), g, java.util.List.of(xv)));
        }
        compareWithInterpreter(jobs, "host", false);
        compareWithInterpreter(jobs, "opencl", false);
    }

    /** {@code a} with a random small int8 output grid, clamped to [-20, 90] or not. */
    static dev.kiln.ir.Attrs outAttrs(dev.kiln.ir.Attrs a, java.util.Random rnd, boolean clamped) {
        return a.with(dev.kiln.ops.QuantAttrs.OUT_SCALE, 0.05 + 0.1 * rnd.nextDouble()).with(dev.kiln.ops.QuantAttrs.OUT_ZERO_POINT, (long) rnd.nextInt(11) - 5)
                .with(dev.kiln.ops.QuantAttrs.ACT_MIN, clamped ? -20L : -128L).with(dev.kiln.ops.QuantAttrs.ACT_MAX, clamped ? 90L : 127L);
    }

    /**
     * Runs the jobs as one C program on {@code target} (the host one with sanitizers), or as one OpenCL program on
     * pocl when target is {@code opencl}, and compares each output with the interpreter's: byte for byte when
     * {@code exact}, else within float rounding. Returns how many exact outputs sit at -128 or 127.
     */
    static int compareWithInterpreter(java.util.List<dev.kiln.check.Checker.Job> jobs, String target, boolean exact) {
        java.util.List<dev.kiln.ir.NdArray> got = new java.util.ArrayList<>();
        if (target.equals("opencl")) {
            dev.kiln.check.Checker.Job all = oneGraph(jobs);
            dev.kiln.check.Checker.Outcome o = dev.kiln.backend.opencl.runtime.OpenClRunner.create("jocl", null, null, null).runAll(java.util.List.of(all)).get(0);
            assertEquals(null, o.error(), "opencl");
            got.addAll(o.outputs());
        } else {
            java.util.List<dev.kiln.check.Checker.Outcome> outs = new dev.kiln.toolchain.CProgramRunner(Target.load(target), target.equals("host"), null).runAll(jobs);
            for (int i = 0; i < jobs.size(); i++) {
                assertEquals(null, outs.get(i).error(), target + " " + jobs.get(i).name());
                got.add(outs.get(i).outputs().get(0));
            }
        }
        int saturated = 0;
        for (int i = 0; i < jobs.size(); i++) {
            dev.kiln.check.Checker.Job j = jobs.get(i);
            dev.kiln.ir.NdArray want = new dev.kiln.interp.Interpreter(j.graph()).run(j.inputs()).get(0), have = got.get(i);
            for (int e = 0; e < want.size(); e++) {
                if (!exact) {
                    assertEquals(want.getDouble(e), have.getDouble(e), 1e-5 + 1e-5 * Math.abs(want.getDouble(e)), target + " " + j.name() + "[" + e + "]");
                    continue;
                }
                assertEquals(want.getLong(e), have.getLong(e), target + " " + j.name() + "[" + e + "]");
                if (want.getLong(e) == -128 || want.getLong(e) == 127) saturated++;
            }
        }
        return saturated;
    }

    /**
     * The jobs (one output each) as one graph, so OpenCL builds one program for all of them: job i's inputs and
     * nodes copied in under the prefix {@code j<i>}, its output the graph's output i.
     */
    static dev.kiln.check.Checker.Job oneGraph(java.util.List<dev.kiln.check.Checker.Job> jobs) {
        dev.kiln.ir.Graph g = new dev.kiln.ir.Graph("all");
        java.util.List<dev.kiln.ir.NdArray> inputs = new java.util.ArrayList<>();
        for (int i = 0; i < jobs.size(); i++) {
            dev.kiln.check.Checker.Job j = jobs.get(i);
            java.util.List<dev.kiln.ir.Value> bound = new java.util.ArrayList<>();
            for (dev.kiln.ir.Value v : j.graph().inputs()) bound.add(g.addInput("j" + i + "_" + v.name(), v.type()));
            inputs.addAll(j.inputs());
            java.util.List<dev.kiln.ir.Value> outs = g.spliceRegion(g.nodes().size(), "j" + i, j.graph(), bound);
            assertEquals(1, outs.size(), j.name());
            g.addOutput(outs.get(0));
        }
        return new dev.kiln.check.Checker.Job(g.name(), g, inputs);
    }

    /**
     * qdequant_gemm (int8 activations) byte for byte against the interpreter, on the host (sanitizers) and on
     * cortex-m4f under qemu, one program each: int8 and uint8 inputs, int4 and uint4 weights with and without zero
     * points, odd and even blocks with a short last one, [N, K] and [K, N] weights, with and without bias, a full and
     * a clamped output range. The float block sums and the final division run in QdequantGemm's order on both.
     */
    @Test
    void int8ActivationProductsEqualTheInterpreterByteForByte() {
        java.util.Random rnd = new java.util.Random(5);
        java.util.List<dev.kiln.check.Checker.Job> jobs = new java.util.ArrayList<>();
        // trans_b, block, K, N, bias, weights (0 int4, 1 int4 + zero points, 2 uint4, 3 uint4 + zero points), uint8 input, clamped
        int[][] cases = {{1, 16, 64, 9, 1, 0, 0, 0}, {0, 7, 37, 4, 0, 3, 0, 1}, {1, 24, 64, 5, 1, 1, 1, 0}, {0, 32, 96, 6, 1, 3, 0, 0},
                {1, 5, 37, 3, 0, 2, 1, 1}, {0, 8, 40, 7, 1, 1, 0, 0}};
        for (int[] c : cases) {
            boolean tb = c[0] == 1, bias = c[4] == 1, zp = c[5] % 2 == 1, u8 = c[6] == 1, clamped = c[7] == 1;
            DType t = c[5] >= 2 ? DType.U4 : DType.I4;
            int block = c[1], k = c[2], n = c[3];
            dev.kiln.ir.Graph g = new dev.kiln.ir.Graph("q" + block + "_" + k + "_" + c[5]);
            dev.kiln.ir.QuantParams qx = dev.kiln.ir.QuantParams.perTensor(0.02f + 0.05f * rnd.nextFloat(), u8 ? 120 + rnd.nextInt(20) : rnd.nextInt(21) - 10);
            dev.kiln.ir.Value x = g.addInput("x", new dev.kiln.ir.TensorType(u8 ? DType.U8 : DType.I8, dev.kiln.ir.Shape.of(3, k), qx));
            java.util.List<dev.kiln.ir.Value> ins = new java.util.ArrayList<>(java.util.List.of(x));
            ins.addAll(operands(g, rnd, t, tb, block, k, n, bias, zp, 0.005, 0.05));
            // why: a small output step puts many results near rounding boundaries, where any change of order shows
            dev.kiln.ir.Attrs a = outAttrs(dev.kiln.ir.Attrs.of("trans_b", tb ? 1L : 0L, "block_size", (long) block), rnd, clamped);
            g.addOutput(g.addNode(Ops.QDEQUANT_GEMM, "p", ins, a).output(0));
            dev.kiln.ir.NdArray xv = dev.kiln.ir.NdArray.zeros(x.dtype(), dev.kiln.ir.Shape.of(3, k));
            for (int i = 0; i < xv.size(); i++) xv.setLong(i, u8 ? rnd.nextInt(256) : rnd.nextInt(256) - 128);
            jobs.add(new dev.kiln.check.Checker.Job(g.name(), g, java.util.List.of(xv)));
        }
        for (String target : new String[] {"host", "cortex-m4f", "opencl"}) {
            int saturated = compareWithInterpreter(jobs, target, true);
            // why: a test whose outputs all saturate would compare nothing of the arithmetic
            assertTrue(saturated < 40, "too many saturated outputs: " + saturated);
        }
    }

    /** The int8-activation fixture: every product runs int8, within one output step of ONNX Runtime's float product. */
    @Test
    void int8ActivationFixtureStaysInt8AndMatchesOnnxRuntime() throws Exception {
        Path qdq = FIXTURES.resolve("digits_mlp_int4_blocked_qdq");
        dev.kiln.ir.Graph g = dev.kiln.Kiln.load(qdq.resolve("model.onnx"), new dev.kiln.frontend.onnx.ImportOptions());
        dev.kiln.Kiln.optimize(g, null, new dev.kiln.CompileOptions(dev.kiln.CompileOptions.DEFAULT_LEVEL, new dev.kiln.passes.PassOptions(), null));
        int products = 0;
        for (Node n : g.nodes()) {
            assertFalse(n.op() == Ops.DEQUANT_GEMM || n.op() == Ops.GEMM || n.op() == Ops.MATMUL || n.op() == Ops.DEQUANTIZE_LINEAR, n.toString());
            if (n.op() == Ops.QDEQUANT_GEMM) products++;
        }
        assertEquals(3, products, "fc1, fc2 (its bias add absorbed) and fc3 run with int8 activations");
        // the output step is 0.19008; the integer block sums round differently from ORT's float sums at most once per output
        for (String[] how : new String[][] {{"interp"}, {"c", "--sanitize"}, {"c", "-t", "cortex-m4f"}, {"opencl"}}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("check", qdq.toString(), "--atol", "0.1901", "--backend"));
            args.addAll(java.util.List.of(how));
            KilnCli.Run r = KilnCli.kiln(args.toArray(new String[0]));
            assertEquals(0, r.rc(), String.join(" ", how) + ": " + r.out() + r.err());
            assertTrue(r.out().contains("1 passed, 0 failed"), r.out());
        }
    }

    /**
     * Random constant operands Q, S (scales in [lo, lo + span)), C and Z of a blocked product of t weights, numbered
     * as dequant_gemm's inputs 1 to 4 (C null when absent but Z given; trailing absent ones left out).
     */
    private static java.util.List<dev.kiln.ir.Value> operands(dev.kiln.ir.Graph g, java.util.Random rnd, DType t, boolean tb, int block,
            int k, int n, boolean bias, boolean zp, double lo, double span) {
        int blocks = (k + block - 1) / block;
        return blockedOperands(g, rnd, t, tb ? dev.kiln.ir.Shape.of(n, k) : dev.kiln.ir.Shape.of(k, n),
                tb ? dev.kiln.ir.Shape.of(n, blocks) : dev.kiln.ir.Shape.of(blocks, n), bias ? n : 0, zp, lo, span);
    }

    /**
     * Random constant operands of a blocked op over t weights: Q of shape {@code qShape}, S of {@code sShape} (scales
     * in [lo, lo + span)), a bias of {@code biasLen} values (none when 0) and Z (S's shape), in the order of
     * dequant_gemm's and dequant_conv's inputs 1 to 4 (the bias null when absent but Z given; trailing absent ones
     * left out).
     */
    static java.util.List<dev.kiln.ir.Value> blockedOperands(dev.kiln.ir.Graph g, java.util.Random rnd, DType t, dev.kiln.ir.Shape qShape,
            dev.kiln.ir.Shape sShape, int biasLen, boolean zp, double lo, double span) {
        long first = t == DType.I4 ? -8 : 0;
        long[] q = new long[(int) qShape.numel()];
        for (int i = 0; i < q.length; i++) q[i] = first + rnd.nextInt(16);
        dev.kiln.ir.NdArray s = dev.kiln.ir.NdArray.zeros(DType.F32, sShape);
        for (int i = 0; i < s.size(); i++) s.setDouble(i, lo + span * rnd.nextDouble());
        java.util.List<dev.kiln.ir.Value> r = new java.util.ArrayList<>(java.util.List.of(
                g.addConstant("q", dev.kiln.ir.NdArray.ofLongs(t, qShape, q)), g.addConstant("s", s)));
        if (biasLen > 0) {
            dev.kiln.ir.NdArray b = dev.kiln.ir.NdArray.zeros(DType.F32, dev.kiln.ir.Shape.of(biasLen));
            for (int i = 0; i < biasLen; i++) b.setDouble(i, rnd.nextGaussian());
            r.add(g.addConstant("b", b));
        } else if (zp) r.add(null);
        if (zp) {
            long[] z = new long[s.size()];
            for (int i = 0; i < z.length; i++) z[i] = first + rnd.nextInt(16);
            r.add(g.addConstant("z", dev.kiln.ir.NdArray.ofLongs(t, s.shape(), z)));
        }
        return r;
    }

    /** The two float-activation fixtures on every backend, in one check run each. */
    @Test
    void interpreterHostCortexM4fAndOpenClMatchOnnxRuntime() {
        for (String[] how : new String[][] {{"interp"}, {"c", "--sanitize"}, {"c", "-t", "cortex-m4f"}, {"opencl"}}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("check", DIR.toString(),
                    FIXTURES.resolve("digits_mlp_uint4_blocked_zp").toString(), "--backend"));
            args.addAll(java.util.List.of(how));
            KilnCli.Run r = KilnCli.kiln(args.toArray(new String[0]));
            assertEquals(0, r.rc(), String.join(" ", how) + ": " + r.out() + r.err());
            assertTrue(r.out().contains("2 passed, 0 failed"), r.out());
        }
    }
}
