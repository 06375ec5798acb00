package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnCli;
import dev.kiln.TestFiles;
import dev.kiln.check.Checker;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * dequant_conv and qdequant_conv (2-D convolutions over blocked int4/uint4 weights read as nibbles) against the
 * interpreter, many shapes in one C program each: odd and even blocks with a short last one, one block and many,
 * grouped and depthwise convs (one and two outputs a channel), kernel sizes 1 to 5, strides, pads (also uneven), dilations, batch 2, int4 and uint4 weights with and without zero
 * points (one after an absent bias), int8 and uint8 inputs, a full and a clamped output range. And the blocked
 * LeNet-5 fixtures ({@code tests/tools/int4_blocked_fixture.py}: both convs and the three gemms blocked, float and
 * QDQ int8 activations) against ONNX Runtime on the interpreter, the host C and cortex-m4f.
 */
class Int4BlockedConvTest {
    // C, H, W, M, kh, kw, stride, pad begin, pad end, dilation, block, bias, weights (0 int4, 1 int4 + zero points,
    // 2 uint4, 3 uint4 + zero points), batch, group (the last four: grouped with 4 + 1 blocks a group, depthwise with
    // batch 2, depthwise with two outputs a channel, 3 groups dilated)
    private static final int[][] CASES = {{5, 7, 6, 3, 3, 3, 1, 1, 1, 1, 2, 1, 0, 1, 1}, {16, 5, 5, 4, 1, 1, 1, 0, 0, 1, 16, 0, 1, 1, 1},
            {7, 9, 8, 2, 3, 2, 2, 0, 1, 1, 3, 1, 2, 2, 1}, {12, 8, 8, 3, 5, 5, 1, 2, 2, 1, 5, 1, 3, 1, 1}, {6, 9, 9, 2, 3, 3, 1, 2, 0, 2, 4, 0, 3, 1, 1},
            {3, 6, 7, 4, 2, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1}, {9, 5, 6, 2, 3, 3, 1, 0, 0, 1, 9, 0, 2, 2, 1}, {10, 6, 5, 3, 3, 1, 3, 1, 2, 1, 4, 1, 0, 1, 1},
            {10, 6, 6, 4, 3, 3, 1, 1, 1, 1, 4, 1, 1, 1, 2}, {6, 7, 7, 6, 3, 3, 2, 1, 1, 1, 1, 1, 2, 2, 6}, {4, 6, 5, 8, 5, 5, 1, 2, 2, 1, 1, 0, 3, 1, 4},
            {9, 7, 6, 6, 3, 1, 1, 2, 2, 2, 2, 1, 0, 1, 3}};

    /** The window attributes of a case plus block_size and group. */
    private static Attrs attrs(int[] c) {
        return Attrs.of("block_size", (long) c[10]).with("strides", new long[] {c[6], c[6]}).with("dilations", new long[] {c[9], c[9]})
                .with("pads", new long[] {c[7], c[7], c[8], c[8]}).with("group", (long) c[14]);
    }

    /** One case's graph with input x of type {@code xType} and the blocked operands; op given its attributes. */
    private static Graph graph(String name, int[] c, TensorType xType, Random rnd, double lo, double span, dev.kiln.ops.OpDef op, Attrs a) {
        Graph g = new Graph(name);
        Value x = g.addInput("x", xType);
        List<Value> ins = new ArrayList<>(List.of(x));
        DType t = c[12] >= 2 ? DType.U4 : DType.I4;
        int cg = c[0] / c[14], blocks = (cg + c[10] - 1) / c[10];
        ins.addAll(Int4BlockedWeightsTest.blockedOperands(g, rnd, t, Shape.of(c[3], cg, c[4], c[5]), Shape.of(c[3], blocks, c[4], c[5]),
                c[11] == 1 ? c[3] : 0, c[12] % 2 == 1, lo, span));
        g.addOutput(g.addNode(op, "p", ins, a).output(0));
        return g;
    }

    @Test
    void floatConvolutionsMatchTheInterpreterOnTheHost() {
        Random rnd = new Random(3);
        List<Checker.Job> jobs = new ArrayList<>();
        for (int[] c : CASES) {
            Shape xs = Shape.of(c[13], c[0], c[1], c[2]);
            Graph g = graph("f" + jobs.size(), c, new TensorType(DType.F32, xs), rnd, 0.01, 0.1, Ops.DEQUANT_CONV, attrs(c));
            NdArray xv = NdArray.zeros(DType.F32, xs);
            for (int i = 0; i < xv.size(); i++) xv.setDouble(i, rnd.nextGaussian());
            jobs.add(new Checker.Job(g.name(), g, List.of(xv)));
        }
        Int4BlockedWeightsTest.compareWithInterpreter(jobs, "host", false);
        Int4BlockedWeightsTest.compareWithInterpreter(jobs, "opencl", false);
    }

    /**
     * qdequant_conv byte for byte against the interpreter on the host (sanitizers) and on cortex-m4f under qemu: the
     * int32 block sums and the float order of QdequantConv on both.
     */
    @Test
    void int8ActivationConvolutionsEqualTheInterpreterByteForByte() {
        Random rnd = new Random(7);
        List<Checker.Job> jobs = new ArrayList<>();
        for (int[] c : CASES) {
            boolean u8 = jobs.size() % 3 == 1, clamped = jobs.size() % 4 == 2;
            Shape xs = Shape.of(c[13], c[0], c[1], c[2]);
            QuantParams qx = QuantParams.perTensor(0.02f + 0.05f * rnd.nextFloat(), u8 ? 120 + rnd.nextInt(20) : rnd.nextInt(21) - 10);
            // why: a small output step puts many results near rounding boundaries, where any change of order shows
            Attrs a = Int4BlockedWeightsTest.outAttrs(attrs(c), rnd, clamped);
            Graph g = graph("q" + jobs.size(), c, new TensorType(u8 ? DType.U8 : DType.I8, xs, qx), rnd, 0.002, 0.02, Ops.QDEQUANT_CONV, a);
            NdArray xv = NdArray.zeros(u8 ? DType.U8 : DType.I8, xs);
            for (int i = 0; i < xv.size(); i++) xv.setLong(i, u8 ? rnd.nextInt(256) : rnd.nextInt(256) - 128);
            jobs.add(new Checker.Job(g.name(), g, List.of(xv)));
        }
        for (String target : new String[] {"host", "cortex-m4f", "opencl"}) {
            int saturated = Int4BlockedWeightsTest.compareWithInterpreter(jobs, target, true);
            // why: a test whose outputs all saturate would compare nothing of the arithmetic
            assertTrue(saturated < 200, "too many saturated outputs: " + saturated);
        }
    }

    private static final Path FIXTURES = TestFiles.models().resolve("int4_blocked");

    /**
     * Compiles a fixture for cortex-m4f; asserts its ops (no gemm or dequantize left; {@code convs} convs kept packed as
     * {@code conv} with groups {@code groups} in order, {@code gemms} as {@code gemm}) and returns its weights bytes.
     */
    private static long weightsBytes(String fixture, dev.kiln.ops.OpDef conv, List<Long> groups, dev.kiln.ops.OpDef gemm, int gemms) throws Exception {
        Graph g = dev.kiln.Kiln.load(FIXTURES.resolve(fixture).resolve("model.onnx"), new dev.kiln.frontend.onnx.ImportOptions());
        dev.kiln.Kiln.optimize(g, null, new dev.kiln.CompileOptions(dev.kiln.CompileOptions.DEFAULT_LEVEL, new dev.kiln.passes.PassOptions(), null));
        List<Long> packed = new ArrayList<>();
        int products = 0;
        for (dev.kiln.ir.Node n : g.nodes()) {
            assertFalse(n.op() == Ops.GEMM || n.op() == Ops.DEQUANTIZE_LINEAR, n.toString());
            if (n.op() == conv) packed.add(n.attrs().getInt("group", 1));
            if (n.op() == gemm) products++;
        }
        assertEquals(groups, packed, fixture);
        assertEquals(gemms, products, fixture);
        return new CBackend().generate(g, dev.kiln.backend.Target.load("cortex-m4f"), new dev.kiln.backend.Backend.Options("m", null, "blocked")).weightsBytes();
    }

    @Test
    void lenetFixturesKeepEveryWeightPacked() throws Exception {
        // conv1 (one channel: one weight a block) folds to 54 float weights; conv2 864 weights, 288 scales and uint4
        // zero points; fc1 to fc3 7680, 10080 and 840 weights, 480, 336 and 40 scales, 40 int4 zero points; 236 float biases
        long weights = (864 + 7680 + 10080 + 840) / 2, scales = 4L * (288 + 480 + 336 + 40), zps = (288 + 40) / 2, biases = 4L * (6 + 16 + 120 + 84 + 10);
        assertEquals(4 * 54 + weights + scales + zps + biases, weightsBytes("digits_lenet5_int4_blocked", Ops.DEQUANT_CONV, List.of(1L), Ops.DEQUANT_GEMM, 3));
        // conv1 requantized to int8: 54 bytes, its bias int32, a 5-byte requantization (int32 multiplier, shift) a channel
        assertEquals(54 + 5L * 6 + weights + scales + zps + biases, weightsBytes("digits_lenet5_int4_blocked_qdq", Ops.QDEQUANT_CONV, List.of(1L), Ops.QDEQUANT_GEMM, 3));
    }

    /**
     * The depthwise-separable fixture: the stem (group 1) and the grouped pointwise conv (2 groups) stay packed, the two
     * depthwise convs (a float scale for every weight) fold to float; float and int8 activations.
     */
    @Test
    void depthwiseSeparableFixtureKeepsItsGroupedConvPacked() throws Exception {
        // stem 432 weights, 288 scales; pointwise 192 weights, 72 scales and int4 zero points; fc 480 weights, 30
        // scales; the depthwise convs 144 and 432 float weights; 114 float biases
        long packed = (432 + 192 + 480) / 2 + 4L * (288 + 72 + 30) + 72 / 2, biases = 4L * 114;
        assertEquals(packed + 4L * (144 + 432) + biases, weightsBytes("ds_block_int4_blocked", Ops.DEQUANT_CONV, List.of(1L, 2L), Ops.DEQUANT_GEMM, 1));
        // with int8 activations the depthwise convs are requantized: a byte a weight, an int32 bias and a 5-byte
        // requantization (int32 multiplier, shift) a channel; the packed ones keep their float biases (50)
        assertEquals(packed + 144 + 432 + 9L * (16 + 48) + 4L * 50, weightsBytes("ds_block_int4_blocked_qdq", Ops.QDEQUANT_CONV, List.of(1L, 2L), Ops.QDEQUANT_GEMM, 1));
    }

    /**
     * The float fixtures within check's default tolerance, the QDQ ones within one output step (0.2327, 0.0010931) of
     * ONNX Runtime, on the interpreter, the host C (sanitizers) and cortex-m4f; OpenCL refuses the blocked
     * convolutions by name.
     */
    @Test
    void lenetFixturesMatchOnnxRuntime() {
        for (String[] how : new String[][] {{"interp"}, {"c", "--sanitize"}, {"c", "-t", "cortex-m4f"}, {"opencl"}}) {
            for (String[] fx : new String[][] {{"digits_lenet5_int4_blocked"}, {"digits_lenet5_int4_blocked_qdq", "--atol", "0.2327"},
                    {"ds_block_int4_blocked"}, {"ds_block_int4_blocked_qdq", "--atol", "0.0010931"}}) {
                List<String> args = new ArrayList<>(List.of("check", FIXTURES.resolve(fx[0]).toString(), "--backend"));
                args.addAll(List.of(how));
                args.addAll(List.of(fx).subList(1, fx.length));
                KilnCli.Run r = KilnCli.kiln(args.toArray(new String[0]));
                assertEquals(0, r.rc(), String.join(" ", args) + ": " + r.out() + r.err());
                assertTrue(r.out().contains("1 passed, 0 failed"), r.out());
            }
        }
    }

    /**
     * On OpenCL the blocked kernels read the weights' and zero points' nibbles from the weights buffer: no cast
     * widens them into the arena, every int4/uint4 constant is stored in half a byte an element, and the int8 kernels
     * turn FP_CONTRACT off.
     */
    @Test
    void openClReadsTheNibblesFromTheWeightsBuffer() throws Exception {
        for (String fixture : new String[] {"digits_lenet5_int4_blocked", "digits_lenet5_int4_blocked_qdq"}) {
            Graph g = dev.kiln.Kiln.load(FIXTURES.resolve(fixture).resolve("model.onnx"), new dev.kiln.frontend.onnx.ImportOptions());
            dev.kiln.Kiln.optimize(g, null, new dev.kiln.CompileOptions(dev.kiln.CompileOptions.DEFAULT_LEVEL, new dev.kiln.passes.PassOptions(), null));
            dev.kiln.backend.opencl.OpenClProgram p = new dev.kiln.backend.opencl.OpenClBackend()
                    .lower(g, dev.kiln.backend.Target.load("opencl-cpu"), new dev.kiln.backend.Backend.Options("m", null, "blocked")).program();
            List<String> ops = new ArrayList<>();
            for (dev.kiln.backend.opencl.OpenClProgram.Kernel k : p.kernels()) ops.add(k.op());
            assertFalse(ops.contains("cast"), fixture + ": " + ops);
            java.util.Map<String, Long> bytes = new java.util.HashMap<>();
            for (dev.kiln.backend.opencl.OpenClProgram.Constant c : p.constants()) bytes.put(c.name(), c.bytes());
            long nibbles = 0;
            for (Value c : g.constants()) {
                if (c.dtype() != DType.I4 && c.dtype() != DType.U4) continue;
                long n = c.shape().numel();
                assertEquals((n + 1) / 2, bytes.get(c.name()), fixture + " " + c.name());
                for (Value.Use u : c.uses()) assertTrue(u.user().op() == Ops.DEQUANT_CONV || u.user().op() == Ops.QDEQUANT_CONV
                        || u.user().op() == Ops.DEQUANT_GEMM || u.user().op() == Ops.QDEQUANT_GEMM, fixture + " " + c.name() + " read by " + u.user());
                nibbles += n;
            }
            // the weights of conv2 and the three gemms and the zero points of conv2 and fc3 (conv1 folds, as
            // lenetFixturesKeepEveryWeightPacked says)
            assertEquals(864 + 7680 + 10080 + 840 + 288 + 40, nibbles, fixture);
            boolean int8 = fixture.endsWith("qdq");
            assertEquals(int8 ? 4 : 0, p.source().split("#pragma OPENCL FP_CONTRACT OFF", -1).length - 1, fixture);
            assertTrue(p.source().contains("KILN_UNPACK_U4(x4, sp)"), fixture + ": conv2 reads its zero points as nibbles");
        }
    }
}
