package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.QuantTesting;
import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.ir.DType;
import dev.kiln.ir.Value;
import dev.kiln.toolchain.CProgramRunner;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every quantized model in {@code tests/models} (lowered by the default pipeline) and the float MLPerf Tiny models
 * and LeNet-5 quantized by Kiln ({@code --int8}, min-max calibration on their recorded input), run through the
 * interpreter and through the generated C on the host (ASan/UBSan), on cortex-m0plus (plain C) and cortex-m4f
 * (SMLAD kernels) under qemu: the raw int8 outputs must be equal byte for byte. The MLPerf Tiny models' weights
 * bytes stay within 5 % of their raw int8 weights.
 */
class Int8ModelsTest {
    /** The MLPerf Tiny models among the float models quantized by Kiln. */
    private static final List<String> MLPERF = QuantTesting.FLOAT_MODELS.subList(0, 4);

    @TempDir
    Path tmp;

    @Test
    void hostWithSanitizers() throws Exception {
        check(Target.load("host"), true);
    }

    /**
     * cortex-m0plus's descriptor asks for compact multipliers (int8.multipliers=compact): the C must follow them too.
     * The anomaly autoencoder's 274 KB of int8 weights are over the part's 256 KiB of flash (flash.limit): refused.
     */
    @Test
    void cortexM0plusWithCompactMultipliers() throws Exception {
        List<Checker.Job> jobs = QuantTesting.int8Jobs(tmp, true), fit = new java.util.ArrayList<>();
        List<Checker.Outcome> got = new CProgramRunner(Target.load("cortex-m0plus"), false, null).runAll(jobs), fitGot = new java.util.ArrayList<>();
        for (int i = 0; i < jobs.size(); i++) {
            if (jobs.get(i).name().contains("fc_autoencoder")) {
                String e = String.valueOf(got.get(i).error());
                assertTrue(e.contains("does not fit the 262,144 bytes of flash") && e.contains("--int8"), e);
                continue;
            }
            fit.add(jobs.get(i));
            fitGot.add(got.get(i));
        }
        assertEquals(jobs.size() - 1, fit.size(), "the autoencoder is among the jobs");
        QuantTesting.assertSameAsInterpreter("cortex-m0plus", fit, fitGot);
    }

    @Test
    void cortexM4fDsp() throws Exception {
        check(Target.load("cortex-m4f"), false);
    }

    /**
     * The int8 MCU models' arenas on cortex-m4f at or below their liveness bound (the planner's own, tensors alone)
     * and the bound the issue measured: kernels' scratch goes where no tensor is live, the DSP depthwise and 1x1
     * kernels write over their input. {@link #cortexM4fDsp} runs these same plans byte for byte against the
     * interpreter. ResNet-8's residual adds are fused into their block's last conv (FuseInt8ResidualAdd), which
     * writes the sum over the skip: two planes live during that conv, not three, so the scratch fits under the bound.
     */
    @Test
    void cortexM4fArenasAtOrBelowTheLivenessBound() throws Exception {
        java.util.Map<String, Long> issueBound = java.util.Map.of("ds_cnn_kws", 16_000L, "mobilenet_v1_025_vww", 55_296L,
                "resnet8_cifar10", 49_152L, "fc_autoencoder_ad", 768L);
        Target m4 = Target.load("cortex-m4f");
        int seen = 0;
        for (Checker.Job j : jobs()) {
            String model = j.name().replaceAll("_(op13|int8_qdq)$", "");
            if (!issueBound.containsKey(model)) continue;
            seen++;
            dev.kiln.memory.MemoryPlan plan = new CBackend().generate(j.graph(), m4, new Backend.Options("m", null, j.name())).plan();
            long arena = plan.arenaBytes(), bound = Math.min(plan.lowerBoundBytes(), issueBound.get(model));
            assertTrue(arena <= bound, j.name() + ": arena " + arena + " B above the liveness bound " + bound + " B");
        }
        assertEquals(7, seen, "the four MCU models quantized by Kiln and the three quantized in tests/models");
    }

    /**
     * FuseInt8Bottlenecks on cortex-m4f: the MobileNetV2-shaped MCU model's arena falls from 62,016 B (its 49,152 B
     * expanded tensor beside the 12,288 B depthwise output, the plan the target gets without {@code ram.tight}) to 31,336 B, under its
     * liveness bound of 32,768 B (the unfused plan's is 61,440 B); the int8 outputs stay the interpreter's ({@link #cortexM4fDsp}, {@link #hostWithSanitizers}).
     */
    @Test
    void cortexM4fBottlenecksHalveTheMicroArena() throws Exception {
        Target m4 = Target.load("cortex-m4f"), plain = m4.with(java.util.Map.of("ram.tight", "false"));
        Checker.Job fused = QuantTesting.bottleneckJob(tmp, m4), unfused = QuantTesting.bottleneckJob(tmp, plain);
        assertTrue(unfused.graph().nodes().stream().noneMatch(n -> n.op() == dev.kiln.ops.Ops.QBOTTLENECK), "nothing fused without ram.tight");
        dev.kiln.memory.MemoryPlan a = new CBackend().generate(fused.graph(), m4, new Backend.Options("m", null, "fused")).plan();
        dev.kiln.memory.MemoryPlan b = new CBackend().generate(unfused.graph(), m4, new Backend.Options("m", null, "unfused")).plan();
        assertEquals(62_016, b.arenaBytes(), "unfused arena");
        assertEquals(31_336, a.arenaBytes(), "fused arena");
        assertTrue(a.arenaBytes() <= a.lowerBoundBytes() && a.lowerBoundBytes() * 1.8 < b.lowerBoundBytes(), a.arenaBytes() + " B vs bounds " + a.lowerBoundBytes() + " and " + b.lowerBoundBytes());
    }

    /**
     * A qbottleneck folds its three biases into its stages' literals, so their constants take no flash: the weights
     * are the constants something reads at run time plus the kernels' tables, nothing else.
     */
    @Test
    void bottleneckBiasesTakeNoFlash() throws Exception {
        Target m4 = Target.load("cortex-m4f");
        Checker.Job fused = QuantTesting.bottleneckJob(tmp, m4);
        GeneratedCode code = new CBackend().generate(fused.graph(), m4, new Backend.Options("m", null, "fused"));
        long read = 0, folded = 0;
        for (Value c : fused.graph().constants()) {
            boolean biasOnly = !c.uses().isEmpty() && c.uses().stream().allMatch(u -> u.user().op() == dev.kiln.ops.Ops.QBOTTLENECK && u.index() >= 4);
            long bytes = c.type().byteSize();
            if (biasOnly) folded += bytes;
            else if (!c.uses().isEmpty()) read += bytes;
        }
        assertTrue(folded > 0, "the fused model's qbottlenecks have biases");
        assertEquals(read + code.tableBytes(), code.weightsBytes(), "weights bytes (" + folded + " B of folded biases must not be stored)");
    }

    /**
     * The MLPerf Tiny models quantized by Kiln with compact multipliers (the small-flash form cortex-m0plus asks
     * for) keep their flash within 5 % of the raw int8 weights and int32 biases: the kernels' own tables
     * (requantization multipliers and shifts, lookup tables) add at most 5 % on top. (Q31 multipliers, the default,
     * cost 5 bytes per channel instead of 2.)
     */
    @Test
    void compactWeightsStayWithinFivePercentOfTheRawInt8Weights() throws Exception {
        for (Checker.Job j : QuantTesting.int8Jobs(tmp, true)) {
            // why: the goal is stated for the four MLPerf Tiny models
            if (!MLPERF.contains(j.name())) continue;
            GeneratedCode code = new CBackend().generate(j.graph(), Target.load("cortex-m0plus"), new Backend.Options("m", null, j.name()));
            long raw = 0;
            for (Value c : j.graph().constants()) {
                if (c.uses().isEmpty()) continue;
                assertTrue(c.dtype() == DType.I8 || c.dtype() == DType.I32, j.name() + ": constant " + c.name() + " is " + c.dtype());
                raw += c.shape().numel() * (c.dtype() == DType.I8 ? 1L : 4L);
            }
            assertEquals(raw + code.tableBytes(), code.weightsBytes(), j.name());
            assertTrue(code.tableBytes() > 0, j.name() + " has per-channel tables");
            double over = (double) code.weightsBytes() / raw - 1;
            assertTrue(over <= 0.05, String.format("%s: weights_bytes %d vs raw %d (+%.2f %%)", j.name(), code.weightsBytes(), raw, 100 * over));
        }
    }

    private void check(Target t, boolean sanitize) throws Exception {
        List<Checker.Job> jobs = jobs();
        QuantTesting.assertSameAsInterpreter(t.name(), jobs, new CProgramRunner(t, sanitize, null).runAll(jobs));
    }

    /**
     * The int8 jobs, plus the MobileNetV2-shaped MCU model optimized for cortex-m4f, whose peak-setting inverted
     * residual bodies run as {@code qbottleneck}s (their expanded tensors streamed through a band of rows).
     */
    private List<Checker.Job> jobs() throws Exception {
        List<Checker.Job> jobs = new java.util.ArrayList<>(QuantTesting.int8Jobs(tmp));
        Checker.Job b = QuantTesting.bottleneckJob(tmp, Target.load("cortex-m4f"));
        assertTrue(b.graph().nodes().stream().anyMatch(n -> n.op() == dev.kiln.ops.Ops.QBOTTLENECK), "mbv2_micro has qbottleneck nodes");
        jobs.add(b);
        return jobs;
    }
}
