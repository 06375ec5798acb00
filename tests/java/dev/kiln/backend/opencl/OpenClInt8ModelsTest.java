package dev.kiln.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.QuantTesting;
import dev.kiln.backend.opencl.runtime.OpenClRunner;
import dev.kiln.check.Checker;
import dev.kiln.ir.Node;
import dev.kiln.ops.Trait;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quantized models of {@code tests/models} (lowered to int8 by the default pipeline) and float models quantized
 * by Kiln ({@code --int8}, min-max calibration on their recorded input), run through the interpreter and through
 * the OpenCL kernels (JOCL on the first device, pocl in CI): the raw int8 outputs must be equal byte for byte. ResNet-8
 * runs twice: with its residual adds fused into the convs (-O2) and as qadd nodes (-O1).
 */
class OpenClInt8ModelsTest {
    @TempDir
    Path tmp;

    @Test
    void int8OutputsEqualTheInterpretersByteForByte() throws Exception {
        List<Checker.Job> jobs = new java.util.ArrayList<>(jobs());
        // ResNet-8 at -O1 too: its residual adds stay qadd nodes there (-O2 fuses them into the convs' stores)
        Checker.Job o1 = QuantTesting.quantizedJob(dev.kiln.TestFiles.models().resolve("resnet8_cifar10_int8_qdq"), 1);
        jobs.add(new Checker.Job(o1.name() + "_O1", o1.graph(), o1.inputs()));
        Set<String> ops = new TreeSet<>();
        boolean residual = false;
        for (Checker.Job j : jobs) for (Node n : j.graph().nodes()) {
            if (n.op().has(Trait.INTEGER)) ops.add(n.op().name());
            residual |= n.op().name().equals("qconv") && n.input(3) != null;
        }
        // why: the test is only worth its time if it runs every int8 kernel the lowering makes
        assertTrue(ops.containsAll(Set.of("qconv", "qmatmul", "qadd", "qaverage_pool", "qsoftmax")), "int8 ops met: " + ops);
        assertTrue(residual, "a qconv with a fused residual add is met");
        QuantTesting.assertSameAsInterpreter("opencl", jobs, OpenClRunner.create("jocl", null, null, null).runAll(jobs));
    }

    private List<Checker.Job> jobs() throws Exception { return QuantTesting.int8Jobs(tmp); }
}
