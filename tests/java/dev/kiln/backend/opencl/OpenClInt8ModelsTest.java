package dev.kiln.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.CompileOptions;
import dev.kiln.Kiln;
import dev.kiln.TestFiles;
import dev.kiln.backend.opencl.runtime.OpenClRunner;
import dev.kiln.check.Checker;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ops.Trait;
import dev.kiln.passes.PassOptions;
import dev.kiln.quant.Calibration;
import dev.kiln.quant.Calibrator;
import dev.kiln.quant.Int8Io;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quantized models of {@code tests/models} (lowered to int8 by the default pipeline) and float models quantized
 * by Kiln ({@code --int8}, min-max calibration on their recorded input), run through the interpreter and through
 * the OpenCL kernels (JOCL on the first device, pocl in CI): the raw int8 outputs must be equal byte for byte.
 */
class OpenClInt8ModelsTest {
    /** Float models quantized by Kiln for the test (their int8 graphs hold qadd, qsoftmax, qaverage_pool...). */
    private static final List<String> FLOAT_MODELS = List.of("ds_cnn_kws_op13", "mobilenet_v1_025_vww_op13", "resnet8_cifar10_op13",
            "fc_autoencoder_ad_op13", "digits_lenet5_op13");

    @TempDir
    Path tmp;

    @Test
    void int8OutputsEqualTheInterpretersByteForByte() throws Exception {
        List<Checker.Job> jobs = jobs();
        Set<String> ops = new TreeSet<>();
        for (Checker.Job j : jobs) for (Node n : j.graph().nodes()) if (n.op().has(Trait.INTEGER)) ops.add(n.op().name());
        // why: the test is only worth its time if it runs every int8 kernel the lowering makes
        assertTrue(ops.containsAll(Set.of("qconv", "qmatmul", "qadd", "qaverage_pool", "qsoftmax")), "int8 ops met: " + ops);
        List<Checker.Outcome> got = OpenClRunner.create("jocl", null, null, null).runAll(jobs);
        assertEquals(jobs.size(), got.size());
        for (int i = 0; i < jobs.size(); i++) {
            Checker.Job j = jobs.get(i);
            Checker.Outcome o = got.get(i);
            assertNull(o.error(), j.name());
            List<NdArray> want = new Interpreter(j.graph()).run(j.inputs());
            for (int k = 0; k < want.size(); k++) {
                assertEquals(want.get(k).dtype(), o.outputs().get(k).dtype(), j.name());
                assertArrayEquals(want.get(k).toLongArray(), o.outputs().get(k).toLongArray(), j.name() + " output " + k);
            }
        }
    }

    /** The int8 graphs with their first recorded input quantized to the graph's int8 input type. */
    private List<Checker.Job> jobs() throws Exception {
        Path models = TestFiles.models();
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
