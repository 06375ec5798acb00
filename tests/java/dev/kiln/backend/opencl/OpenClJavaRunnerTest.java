package dev.kiln.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.backend.opencl.runtime.OpenClRunner;
import dev.kiln.check.BackendRefusals;
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
 * model runs on both. Each binding's share runs as one batch in one OpenCL session, so the class takes about a
 * minute once pocl has compiled the kernels. Needs an OpenCL runtime (CI installs pocl).
 *
 * <p>A case passes when its outputs match, or when the backend refused it up front (K0403) for ops listed in
 * ops that declare {@code @NoKernel(backend = "opencl")} only. A case listed in
 * {@code tests/onnx-node/EXPECTED_REFUSALS.txt} must be refused for the reason listed there.
 */
class OpenClJavaRunnerTest {
    private static List<Checker.Result> check(List<Path> dirs, String binding, double atol) {
        List<TestCase> cases = new ArrayList<>();
        for (Path d : dirs) cases.addAll(TestCase.find(List.of(d)));
        Checker checker = new Checker(OpenClRunner.create(binding, null, null, null), 1e-3, atol, ImportOptions::new, null);
        return checker.checkAll(cases, cases.size(), r -> {});
    }

    private static Stream<DynamicTest> tests(List<Checker.Result> results, String binding) {
        Map<String, List<String>> listed = BackendRefusals.expected("OpenCL");
        return results.stream().map(r -> DynamicTest.dynamicTest("opencl/" + binding + " " + r.name(),
                () -> BackendRefusals.assertPassedOrRefused(r, listed, "OpenCL")));
    }

    /** The conformance cases the interpreter passes, every other one on each binding. */
    @TestFactory
    Stream<DynamicTest> onnxNodeCases() {
        Map<String, String> interpFailures = TestFiles.readList(TestFiles.onnxNode().resolve("EXPECTED_FAILURES.txt"));
        List<Path> dirs = TestFiles.caseDirs(TestFiles.onnxNode())
                .filter(d -> !interpFailures.containsKey(d.getFileName().toString())).toList();
        List<Path> jocl = new ArrayList<>(), lwjgl = new ArrayList<>();
        for (int i = 0; i < dirs.size(); i++) (i % 2 == 0 ? jocl : lwjgl).add(dirs.get(i));
        List<Checker.Result> j = check(jocl, "jocl", 1e-5), l = check(lwjgl, "lwjgl", 1e-5);
        return Stream.concat(tests(j, "jocl"), tests(l, "lwjgl"));
    }

    /** Every bundled model on both bindings; a quantized one within its rounding tolerance (depth x output step). */
    @TestFactory
    Stream<DynamicTest> modelsOnBothBindings() {
        List<Path> all = TestFiles.caseDirs(TestFiles.models()).toList();
        List<Path> quantized = all.stream().filter(dev.kiln.QuantTesting::quantized).toList();
        List<Path> plain = all.stream().filter(d -> !quantized.contains(d)).toList();
        assertTrue(quantized.size() >= 6, "quantized models: " + quantized);
        List<Stream<DynamicTest>> parts = new ArrayList<>();
        for (String b : List.of("jocl", "lwjgl")) {
            parts.add(tests(check(plain, b, 1e-4), b));
            for (Path q : quantized) parts.add(tests(check(List.of(q), b, dev.kiln.QuantTesting.tolerance(q)), b));
        }
        return parts.stream().flatMap(s -> s);
    }
}
