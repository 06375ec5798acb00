package dev.kiln.check;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.TestFiles;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.interp.Interpreter;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every ONNX conformance case in {@code tests/onnx-node} and every model in {@code tests/models} through
 * the reference interpreter and compares with the recorded outputs. Cases listed in
 * {@code tests/onnx-node/EXPECTED_FAILURES.txt} must still fail, and for the listed reason: each line's
 * {@code [fragment]} must occur in the failure message, so the list stays honest.
 */
class ConformanceTest {
    static Checker interpChecker(double rtol, double atol) {
        return new Checker((g, ins) -> new Interpreter(g).run(ins), rtol, atol, ImportOptions::new, null);
    }

    @TestFactory
    Stream<DynamicTest> onnxNodeCases() {
        Map<String, String> expectedFailures = TestFiles.readList(TestFiles.onnxNode().resolve("EXPECTED_FAILURES.txt"));
        Checker checker = interpChecker(1e-3, 1e-7);
        return TestFiles.caseDirs(TestFiles.onnxNode()).map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            Checker.Result r = checker.check(TestCase.find(java.util.List.of(dir)).get(0));
            String why = expectedFailures.get(r.name());
            if (why != null) {
                assertFalse(r.passed(), r.name() + " now passes: remove it from EXPECTED_FAILURES.txt");
                String fragment = expectedFragment(r.name(), why);
                assertTrue(r.reason().contains(fragment), r.name() + " fails, but not for the listed reason (no '" + fragment + "' in the message): " + r.line());
            } else if (!r.passed()) {
                fail(r.line());
            }
        }));
    }

    /** The {@code [fragment]} that opens a line's reason in EXPECTED_FAILURES.txt; every line must have one. */
    static String expectedFragment(String name, String why) {
        int close = why.indexOf("] ");
        if (!why.startsWith("[") || close < 2)
            throw new IllegalStateException("EXPECTED_FAILURES.txt: '" + name + "' lacks '[fragment of the failure message] why'");
        return why.substring(1, close);
    }

    /** Every case EXPECTED_FAILURES.txt lists is a case in tests/onnx-node (a stale name would hide nothing, but mislead). */
    @org.junit.jupiter.api.Test
    void everyListedFailureIsACase() {
        for (Map.Entry<String, String> e : TestFiles.readList(TestFiles.onnxNode().resolve("EXPECTED_FAILURES.txt")).entrySet()) {
            assertTrue(java.nio.file.Files.isDirectory(TestFiles.onnxNode().resolve(e.getKey())), "EXPECTED_FAILURES.txt lists '" + e.getKey() + "', which is no case in tests/onnx-node");
            expectedFragment(e.getKey(), e.getValue());
        }
    }

    /** A model with sequence inputs (or optional sequences) fails on the model's declaration, not on its .pb data (which reads as nonsense tensors). */
    @org.junit.jupiter.api.Test
    void nonTensorGraphInputsAreNamedAsSuch() {
        Checker checker = interpChecker(1e-3, 1e-7);
        for (String name : java.util.List.of("test_identity_sequence", "test_optional_get_element_sequence")) {
            Checker.Result r = checker.check(TestCase.find(java.util.List.of(TestFiles.onnxNode().resolve(name))).get(0));
            assertFalse(r.passed(), r.line());
            assertTrue(r.reason().contains("model.onnx") && r.reason().contains("a non-tensor type (sequence, map or optional)"), r.line());
            assertTrue(r.badInput(), r.line());
        }
    }

    @TestFactory
    Stream<DynamicTest> models() {
        Checker checker = interpChecker(1e-3, 1e-4);
        return TestFiles.caseDirs(TestFiles.models()).map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            // a quantized model runs in int8: one output step per rounding layer (QuantTesting)
            Checker c = dev.kiln.QuantTesting.quantized(dir) ? interpChecker(1e-3, dev.kiln.QuantTesting.tolerance(dir)) : checker;
            Checker.Result r = c.check(TestCase.find(java.util.List.of(dir)).get(0));
            assertTrue(r.passed(), r.line());
        }));
    }
}
