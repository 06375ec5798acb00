package dev.kiln.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.backend.opencl.runtime.OpenClRunner;
import dev.kiln.check.Checker;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The OpenCL backend run from Java against ONNX's conformance cases and Kiln's bundled models, compared with
 * the recorded outputs like the C conformance test. Both bindings are in the suite: the conformance cases are
 * dealt alternately to JOCL and LWJGL (every op runs on one of them, each binding runs half), and every bundled
 * model runs on both. Each binding's share runs as one batch in one OpenCL session, so the whole class takes
 * well under a minute once pocl has compiled the kernels. Needs an OpenCL runtime (CI installs pocl).
 */
class OpenClJavaRunnerTest {
    private static Stream<DynamicTest> run(List<Path> dirs, String binding, double atol) {
        List<TestCase> cases = new ArrayList<>();
        for (Path d : dirs) cases.addAll(TestCase.find(List.of(d)));
        Checker checker = new Checker(OpenClRunner.create(binding, null, null, null), 1e-3, atol, ImportOptions::new, null);
        List<Checker.Result> results = checker.checkAll(cases, cases.size(), r -> {});
        return results.stream().map(r -> DynamicTest.dynamicTest("opencl/" + binding + " " + r.name(), () -> assertTrue(r.passed(), r.line())));
    }

    /** The conformance cases the interpreter passes, every other one on each binding. */
    @TestFactory
    Stream<DynamicTest> onnxNodeCases() {
        Map<String, String> interpFailures = TestFiles.readList(TestFiles.onnxNode().resolve("EXPECTED_FAILURES.txt"));
        List<Path> dirs = TestFiles.caseDirs(TestFiles.onnxNode())
                .filter(d -> !interpFailures.containsKey(d.getFileName().toString())).toList();
        List<Path> jocl = new ArrayList<>(), lwjgl = new ArrayList<>();
        for (int i = 0; i < dirs.size(); i++) (i % 2 == 0 ? jocl : lwjgl).add(dirs.get(i));
        return Stream.concat(run(jocl, "jocl", 1e-5), run(lwjgl, "lwjgl", 1e-5));
    }

    /** Every bundled model on both bindings. */
    @TestFactory
    Stream<DynamicTest> modelsOnBothBindings() {
        List<Path> dirs = TestFiles.caseDirs(TestFiles.models()).toList();
        return Stream.concat(run(dirs, "jocl", 1e-4), run(dirs, "lwjgl", 1e-4));
    }
}
