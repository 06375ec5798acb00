package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.CompileOptions;
import dev.kiln.Kiln;
import dev.kiln.TestFiles;
import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Trait;
import dev.kiln.passes.PassOptions;
import dev.kiln.quant.Calibration;
import dev.kiln.quant.Calibrator;
import dev.kiln.quant.Int8Io;
import dev.kiln.toolchain.CProgramRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
    /** Float models quantized by Kiln for the test. */
    private static final List<String> FLOAT_MODELS = List.of("ds_cnn_kws_op13", "mobilenet_v1_025_vww_op13", "resnet8_cifar10_op13",
            "fc_autoencoder_ad_op13", "digits_lenet5_op13");

    /** The MLPerf Tiny models among them. */
    private static final List<String> MLPERF = FLOAT_MODELS.subList(0, 4);

    @TempDir
    Path tmp;

    @Test
    void hostWithSanitizers() throws Exception {
        check(Target.load("host"), true);
    }

    @Test
    void cortexM0plus() throws Exception {
        check(Target.load("cortex-m0plus"), false);
    }

    @Test
    void cortexM4fDsp() throws Exception {
        check(Target.load("cortex-m4f"), false);
    }

    /**
     * The MLPerf Tiny models quantized by Kiln keep their flash within 5 % of the raw int8 weights and int32 biases:
     * the kernels' own tables (requantization multipliers and shifts, lookup tables) add at most 5 % on top.
     */
    @Test
    void weightsStayWithinFivePercentOfTheRawInt8Weights() throws Exception {
        for (Checker.Job j : jobs()) {
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
        List<Checker.Outcome> got = new CProgramRunner(t, sanitize, null).runAll(jobs);
        for (int i = 0; i < jobs.size(); i++) {
            Checker.Job j = jobs.get(i);
            Checker.Outcome o = got.get(i);
            assertNull(o.error(), t.name() + " " + j.name());
            List<NdArray> want = new Interpreter(j.graph()).run(j.inputs());
            for (int k = 0; k < want.size(); k++) {
                assertEquals(want.get(k).dtype(), o.outputs().get(k).dtype(), j.name());
                assertArrayEquals(want.get(k).toLongArray(), o.outputs().get(k).toLongArray(), t.name() + " " + j.name() + " output " + k);
            }
        }
    }

    /** The int8 graphs with their first recorded input quantized to the graph's int8 input type. */
    private List<Checker.Job> jobs() throws Exception {
        Path models = TestFiles.root().resolve("tests/models");
        List<Checker.Job> jobs = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        try (var s = Files.list(models)) {
            s.filter(d -> d.getFileName().toString().contains("_int8_")).sorted().forEach(dirs::add);
        }
        assertTrue(dirs.size() >= 6, "the quantized models of tests/models: " + dirs);
        for (Path d : dirs) jobs.add(job(d, CompileOptions.defaults()));
        for (String m : FLOAT_MODELS) {
            Path d = models.resolve(m);
            // why: the calibration folder must hold inputs only (the recorded outputs sit beside them)
            Path cal = Files.createDirectories(tmp.resolve(m));
            Files.copy(d.resolve("test_data_set_0/input_0.pb"), cal.resolve("input_0.pb"));
            PassOptions po = new PassOptions();
            po.int8 = Calibration.of(cal, Calibrator.Method.MINMAX);
            jobs.add(job(d, new CompileOptions(CompileOptions.DEFAULT_LEVEL, po, null)));
        }
        return jobs;
    }

    private static Checker.Job job(Path dir, CompileOptions co) {
        TestCase tc = TestCase.find(List.of(dir)).get(0);
        Graph g = Kiln.load(tc.model(), new ImportOptions());
        Kiln.optimize(g, null, co);
        int integer = 0;
        for (Node n : g.nodes()) if (n.op().has(Trait.INTEGER)) integer++;
        assertTrue(integer > 0, dir.getFileName() + " was lowered to int8 ops");
        TestCase.DataSet ds = tc.dataSets(ImportOptions.DEFAULT_MAX_TENSOR_BYTES).get(0);
        List<NdArray> ins = new ArrayList<>();
        for (int i = 0; i < g.inputs().size(); i++) ins.add(Int8Io.toInput(ds.inputs().get(i), g.inputs().get(i).type()));
        for (NdArray a : ins) assertTrue(a.dtype() == DType.I8 || a.dtype() == DType.U8 || a.dtype().isFloat(), dir.toString());
        return new Checker.Job(dir.getFileName().toString(), g, ins);
    }
}
