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
 * An imported blocked int4 model ({@code tests/models/int4_blocked/digits_mlp_int4_blocked}, made by
 * {@code tests/tools/int4_blocked_fixture.py}: DequantizeLinear with {@code block_size} 16, 32 and 24 in front of two
 * Gemms and a MatMul, ONNX Runtime's outputs): each product becomes one dequant_gemm whose weight stays int4, stored
 * packed in flash with its blocked scales, and the interpreter, the C on the host (sanitizers) and on cortex-m4f
 * under qemu match ONNX Runtime within check's default tolerance.
 */
class Int4BlockedWeightsTest {
    private static final Path DIR = TestFiles.models().resolve("int4_blocked/digits_mlp_int4_blocked");

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
        assertTrue(source.contains("KILN_UNPACK_I4"), "the kernels read nibbles");
    }

    @Test
    void interpreterHostAndCortexM4fMatchOnnxRuntime() {
        for (String[] how : new String[][] {{"interp"}, {"c", "--sanitize"}, {"c", "-t", "cortex-m4f"}}) {
            String[] args = new String[4 + how.length - 1];
            args[0] = "check";
            args[1] = DIR.toString();
            args[2] = "--backend";
            System.arraycopy(how, 0, args, 3, how.length);
            KilnCli.Run r = KilnCli.kiln(args);
            assertEquals(0, r.rc(), String.join(" ", how) + ": " + r.out() + r.err());
            assertTrue(r.out().contains("1 passed, 0 failed"), r.out());
        }
    }
}
