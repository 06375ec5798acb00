package dev.kiln.check;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The conformance cases the interpreter passes but the C and OpenCL backends refuse up front, read from
 * {@code tests/onnx-node/EXPECTED_REFUSALS.txt} ({@code case  op,op: why}). A listed case must still fail with
 * exactly that refusal (K0403 naming each listed op as having no template), so the list cannot hide a wrong
 * value or a crash, and a case whose ops gain kernels fails until its line is removed.
 */
public final class BackendRefusals {
    private BackendRefusals() {}

    /** Each listed case with the Kiln ops the backends refuse in it. */
    public static Map<String, List<String>> expected() {
        Map<String, List<String>> r = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : TestFiles.readList(TestFiles.onnxNode().resolve("EXPECTED_REFUSALS.txt")).entrySet()) {
            String why = e.getValue();
            int colon = why.indexOf(':');
            if (colon <= 0) throw new IllegalStateException("EXPECTED_REFUSALS.txt: '" + e.getKey() + "' lacks 'op,op: why'");
            if (!java.nio.file.Files.isDirectory(TestFiles.onnxNode().resolve(e.getKey())))
                throw new IllegalStateException("EXPECTED_REFUSALS.txt lists '" + e.getKey() + "', which is no case in tests/onnx-node");
            r.put(e.getKey(), Arrays.stream(why.substring(0, colon).split(",")).map(String::strip).toList());
        }
        return r;
    }

    /**
     * Asserts that {@code r} is the backend's up-front refusal of every op in {@code ops}, with the reason the
     * backend gives for an op without a template ({@code "no C template 'op'"}, {@code "no OpenCL template 'op'"}).
     */
    public static void assertRefused(Checker.Result r, List<String> ops, String templateKind) {
        assertFalse(r.passed(), r.name() + " now passes on " + templateKind + ": remove it from EXPECTED_REFUSALS.txt");
        assertTrue(r.reason().contains("K0403"), "expected an up-front refusal (K0403): " + r.line());
        for (String op : ops)
            assertTrue(r.reason().contains("no " + templateKind + " template '" + op + "'"),
                    "expected " + templateKind + " to refuse '" + op + "' for want of a template: " + r.line());
    }
}
