package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.QuantTesting;
import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.toolchain.CProgramRunner;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --int8 --weights int4} on the MLPerf Tiny DS-CNN and MobileNetV1-VWW: every conv and gemm weight is int4
 * in the graph; the generated C stores them packed two to a byte in flash and gives the interpreter's int8 outputs
 * byte for byte on the host (ASan/UBSan, weights widened to int8 before their layer) and on cortex-m4f under qemu
 * (the SMLAD kernels reading the nibbles in flash: blocked convs, depthwise convs, the matrix product; the arena is
 * int8's); so does an imported int4 QDQ LeNet-5.
 */
class Int4WeightsTest {
    private static final List<String> MODELS = List.of("ds_cnn_kws_op13", "mobilenet_v1_025_vww_op13");

    @TempDir
    static Path tmp;

    private static final java.util.Map<Boolean, List<Checker.Job>> JOBS = new java.util.HashMap<>();

    /** The two models quantized with int4 (or int8) weights, calibrated once for the class. */
    private static synchronized List<Checker.Job> jobs(boolean int4) throws Exception {
        if (!JOBS.containsKey(int4)) JOBS.put(int4, QuantTesting.calibratedJobs(tmp.resolve(int4 ? "i4" : "i8"), MODELS, o -> o.int4Weights = int4));
        return JOBS.get(int4);
    }

    @Test
    void everyProductWeightIsInt4() throws Exception {
        for (Checker.Job j : jobs(true)) {
            int products = 0;
            for (Node n : j.graph().nodes()) {
                if (n.op() != Ops.QCONV && n.op() != Ops.QMATMUL) continue;
                products++;
                Value w = n.input(1);
                assertEquals(DType.I4, w.dtype(), j.name() + " " + n);
                for (long v : w.constant().toLongArray()) assertTrue(v >= -7 && v <= 7, j.name() + " " + n + " weight " + v);
            }
            assertTrue(products > 5, j.name());
        }
    }

    /**
     * An imported int4 QDQ model (DequantizeLinear of INT4 initializers) keeps every product weight int4: its 2 convs
     * and its 3 Gemms, whose grids follow the weights through PruneDeadChannels (the LeNet's first two Gemms lose
     * dead channels there; before, the pruned weights lost their int4 grid and came out int8).
     */
    @Test
    void importedInt4QdqWeightsStayInt4() throws Exception {
        Checker.Job j = QuantTesting.quantizedJob(dev.kiln.TestFiles.models().resolve("digits_lenet5_int4_qdq"));
        int convs = 0, gemms = 0;
        for (Node n : j.graph().nodes()) {
            if (n.op() != Ops.QCONV && n.op() != Ops.QMATMUL) continue;
            if (n.op() == Ops.QCONV) convs++;
            else gemms++;
            assertEquals(DType.I4, n.input(1).dtype(), n.toString());
        }
        assertEquals(2, convs);
        assertEquals(3, gemms);
    }

    @Test
    void hostWithSanitizersAndCortexM4fMatchTheInterpreter() throws Exception {
        List<Checker.Job> jobs = new java.util.ArrayList<>(jobs(true));
        jobs.add(QuantTesting.quantizedJob(dev.kiln.TestFiles.models().resolve("digits_lenet5_int4_qdq")));
        QuantTesting.assertSameAsInterpreter("host", jobs, new CProgramRunner(Target.load("host"), true, null).runAll(jobs));
        QuantTesting.assertSameAsInterpreter("cortex-m4f", jobs, new CProgramRunner(Target.load("cortex-m4f"), false, null).runAll(jobs));
    }

    /** The weights' flash: each int4 product weight takes half its int8 bytes (rounded up), the rest is unchanged. */
    @Test
    void int4WeightsTakeHalfTheFlash() throws Exception {
        // why: fresh graphs (the other tests' C generation inserts the widening casts into the shared ones)
        List<Checker.Job> i8 = QuantTesting.calibratedJobs(tmp.resolve("f8"), MODELS, o -> o.int4Weights = false);
        List<Checker.Job> i4 = QuantTesting.calibratedJobs(tmp.resolve("f4"), MODELS, o -> o.int4Weights = true);
        for (int m = 0; m < MODELS.size(); m++) {
            long w8 = 0, w4 = 0;
            for (Value c : i8.get(m).graph().constants()) if (isProductWeight(c)) w8 += c.shape().numel();
            for (Value c : i4.get(m).graph().constants()) if (isProductWeight(c)) w4 += (c.shape().numel() + 1) / 2;
            Target t = Target.load("cortex-m4f");
            GeneratedCode c8 = new CBackend().generate(i8.get(m).graph(), t, new Backend.Options("m", null, MODELS.get(m)));
            GeneratedCode c4 = new CBackend().generate(i4.get(m).graph(), t, new Backend.Options("m", null, MODELS.get(m)));
            assertTrue(w8 > 10_000 && w4 <= (w8 + 40) / 2, MODELS.get(m) + ": " + w8 + " vs " + w4);
            assertEquals(c8.weightsBytes() - w8 + w4, c4.weightsBytes(), MODELS.get(m) + " weights bytes");
            String weights = c4.files().get("m_weights.c");
            assertTrue(weights.contains("packed"), "the weights file stores int4 packed");
            // why: the SMLAD kernels read the nibbles themselves: no product weight is widened into the arena
            for (Node n : c4.graph().nodes()) {
                if (n.op() != Ops.QCONV && n.op() != Ops.QMATMUL) continue;
                assertEquals(DType.I4, n.input(1).dtype(), MODELS.get(m) + " " + n + " reads its weights through a cast");
                assertTrue(n.input(1).isConstant(), MODELS.get(m) + " " + n);
            }
            String source = c4.files().get("m.c");
            assertTrue(source.contains("over int4 weights (nibbles in flash), blocked DSP"), MODELS.get(m));
            assertTrue(source.contains("over int4 weights (nibbles in flash), DSP (SMLAD) kernel"), MODELS.get(m));
            assertEquals(c8.plan().arenaBytes(), c4.plan().arenaBytes(), MODELS.get(m) + " arena: int4 weights take no arena bytes");
        }
    }

    private static boolean isProductWeight(Value c) {
        for (Value.Use u : c.uses()) if ((u.user().op() == Ops.QCONV || u.user().op() == Ops.QMATMUL) && u.index() == 1) return true;
        return false;
    }
}
