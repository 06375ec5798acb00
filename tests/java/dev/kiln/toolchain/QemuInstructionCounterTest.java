package dev.kiln.toolchain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.ModelStats;
import dev.kiln.backend.Target;
import dev.kiln.backend.Templates;
import dev.kiln.backend.c.CBackend;
import dev.kiln.diag.KilnException;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** qemu instruction counts of one inference: exactly repeatable, and growing with the model's work. */
class QemuInstructionCounterTest {
    private final Target m4 = Target.load("cortex-m4f");
    private final Templates templates = new Templates("c", null);

    /** A matmul x[1, k] * w[k, n] for Cortex-M4F. */
    private GeneratedCode matmul(int k, int n) {
        Random rnd = new Random(3);
        NdArray w = NdArray.zeros(DType.F32, Shape.of(k, n));
        for (int i = 0; i < w.size(); i++) w.setDouble(i, rnd.nextGaussian());
        Graph g = new Graph("mm" + k + "x" + n);
        g.addOutput(g.addNode(Ops.get("matmul"), "mm", List.of(g.addInput("x", NdArray.zeros(DType.F32, Shape.of(1, k)).type()),
                g.addConstant("w", w)), Attrs.EMPTY).output(0));
        return new CBackend().generate(g, m4, new Backend.Options("mm" + k + "x" + n, null, "test"));
    }

    @Test
    void aModelCountedTwiceGivesTheSameCount() {
        GeneratedCode code = matmul(16, 8);
        long first = QemuInstructionCounter.count(code, templates);
        long second = QemuInstructionCounter.count(code, templates);
        assertTrue(first > 0, "counted " + first);
        assertEquals(first, second);
    }

    @Test
    void theCountGrowsWithTheModelsMacs() {
        GeneratedCode small = matmul(16, 8), large = matmul(64, 32);
        long macsSmall = new ModelStats(small).macs, macsLarge = new ModelStats(large).macs;
        assertEquals(16L * macsSmall, macsLarge);
        long s = QemuInstructionCounter.count(small, templates), l = QemuInstructionCounter.count(large, templates);
        // 16x the MACs: the inner loop dominates the large model, so its count grows by much more than 4x
        assertTrue(l > 4 * s, "small " + s + ", large " + l);
        assertTrue(l - s >= 15L * macsSmall, "at least one instruction per extra MAC: small " + s + ", large " + l);
    }

    /** A matmul x[1, k] * w[k, n] followed by a relu, for Cortex-M4F: two kernels. */
    private GeneratedCode matmulRelu(int k, int n) {
        Random rnd = new Random(5);
        NdArray w = NdArray.zeros(DType.F32, Shape.of(k, n));
        for (int i = 0; i < w.size(); i++) w.setDouble(i, rnd.nextGaussian());
        Graph g = new Graph("mr");
        Value mm = g.addNode(Ops.get("matmul"), "mm", List.of(g.addInput("x", NdArray.zeros(DType.F32, Shape.of(1, k)).type()),
                g.addConstant("w", w)), Attrs.EMPTY).output(0);
        g.addOutput(g.addNode(Ops.get("relu"), "r", List.of(mm), Attrs.EMPTY).output(0));
        return new CBackend().generate(g, m4, new Backend.Options("mr", null, "test"));
    }

    @Test
    void perFunctionCountsSplitTheTotalByKernel() {
        QemuInstructionCounter.Counts small = QemuInstructionCounter.countPerFunction(matmulRelu(16, 8), templates);
        QemuInstructionCounter.Counts large = QemuInstructionCounter.countPerFunction(matmulRelu(64, 32), templates);
        for (QemuInstructionCounter.Counts c : List.of(small, large)) {
            assertTrue(c.functions().containsKey("mr_k0_matmul") && c.functions().containsKey("mr_k1_relu"), c.functions().toString());
            long sum = c.functions().values().stream().mapToLong(Long::longValue).sum();
            // the markers' calls and returns lie outside the model's functions: a few instructions only
            assertTrue(sum <= c.total() && sum >= c.total() - 40, c.total() + " vs " + c.functions());
        }
        // 16x the matmul's MACs, 4x the relu's elements
        long mmS = small.functions().get("mr_k0_matmul"), mmL = large.functions().get("mr_k0_matmul");
        long reS = small.functions().get("mr_k1_relu"), reL = large.functions().get("mr_k1_relu");
        assertTrue(mmL > 10 * mmS, "matmul " + mmS + " -> " + mmL);
        assertTrue(reL > 2 * reS && reL < 6 * reS, "relu " + reS + " -> " + reL);
    }

    @Test
    void theHostHasNoGuestToCount() {
        Target host = Target.load("host");
        Graph g = new Graph("id");
        g.addOutput(g.addNode(Ops.get("relu"), "r", List.of(g.addInput("x", NdArray.zeros(DType.F32, Shape.of(4)).type())), Attrs.EMPTY).output(0));
        GeneratedCode code = new CBackend().generate(g, host, new Backend.Options("id", null, "test"));
        KilnException e = assertThrows(KilnException.class, () -> QemuInstructionCounter.count(code, templates));
        assertTrue(e.getMessage().contains("qemu target"), e.getMessage());
    }
}
