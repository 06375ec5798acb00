package dev.kiln.check;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.ir.DType;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The conformance cases the interpreter passes but the C or OpenCL backend refuses up front, read from
 * {@code tests/onnx-node/EXPECTED_REFUSALS.txt}. A line is {@code case  WHAT: why}, where WHAT is a comma list of
 * Kiln op names (refused for want of a template) and element types (refused as types the backend lacks), either
 * for both backends or, as {@code c=...} / {@code opencl=...} (space separated), for one. A listed case must still
 * fail on that backend with exactly that refusal (K0403), so the list hides no wrong value and no crash, and a
 * case whose ops gain kernels fails until its line changes. A case not listed for a backend must pass there, or
 * be refused up front only for ops that declare {@code @NoKernel} for that backend (that an op never has both a
 * kernel and a refusal is {@code KernelRegistryTest}'s to check).
 */
public final class BackendRefusals {
    private static final Pattern REFUSED_NODE = Pattern.compile("([a-z][a-z0-9_]*) '[^']*': ");

    private BackendRefusals() {}

    /**
     * Asserts that {@code r} passed on backend {@code kind} ("C" or "OpenCL"), or failed as {@code listed} (from
     * {@link #expected}) says, or was refused up front for ops that declare {@code @NoKernel} for that backend only.
     */
    public static void assertPassedOrRefused(Checker.Result r, Map<String, List<String>> listed, String kind) {
        if (listed.containsKey(r.name())) {
            assertRefused(r, listed.get(r.name()), kind);
            return;
        }
        Set<String> refused = refusedOps(r, kind);
        if (refused == null || refused.isEmpty() || !declared(kind.toLowerCase(java.util.Locale.ROOT)).keySet().containsAll(refused))
            assertTrue(r.passed(), r.line());
    }

    /** Op name to why, for every op that backend {@code kind} ({@code c}, {@code opencl}) declares it has no kernel for. */
    public static Map<String, String> declared(String kind) {
        Map<String, String> r = new TreeMap<>();
        for (dev.kiln.ops.OpDef op : dev.kiln.ops.Ops.all()) if (op.refusal(kind) != null) r.put(op.name(), op.refusal(kind));
        return r;
    }

    /** The ops a K0403 refusal by {@code backend} (as the message names it: "C", "OpenCL") names, or null when {@code r} is no such refusal. */
    static Set<String> refusedOps(Checker.Result r, String backend) {
        String cannot = "the " + backend + " backend cannot run";
        if (r.passed() || !r.reason().contains("K0403") || !r.reason().contains(cannot)) return null;
        Set<String> ops = new TreeSet<>();
        Matcher m = REFUSED_NODE.matcher(r.reason().substring(r.reason().indexOf(cannot)));
        while (m.find()) ops.add(m.group(1));
        return ops;
    }

    /** For backend {@code kind} ("C" or "OpenCL"): each listed case with the ops and types refused in it. */
    public static Map<String, List<String>> expected(String kind) {
        Map<String, List<String>> r = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : TestFiles.readList(TestFiles.onnxNode().resolve("EXPECTED_REFUSALS.txt")).entrySet()) {
            String why = e.getValue();
            int colon = why.indexOf(':');
            if (colon <= 0) throw new IllegalStateException("EXPECTED_REFUSALS.txt: '" + e.getKey() + "' lacks 'what: why'");
            if (!Files.isDirectory(TestFiles.onnxNode().resolve(e.getKey())))
                throw new IllegalStateException("EXPECTED_REFUSALS.txt lists '" + e.getKey() + "', which is no case in tests/onnx-node");
            List<String> what = new ArrayList<>();
            for (String part : why.substring(0, colon).strip().split("\\s+")) {
                int eq = part.indexOf('=');
                if (eq >= 0 && !part.substring(0, eq).equalsIgnoreCase(kind)) continue;
                what.addAll(Arrays.stream(part.substring(eq + 1).split(",")).map(String::strip).toList());
            }
            if (!what.isEmpty()) r.put(e.getKey(), what);
        }
        return r;
    }

    /**
     * Asserts that {@code r} is backend {@code kind}'s up-front refusal of everything in {@code what}: an op for
     * want of a template ({@code "no C template 'op'"}), an element type as one the backend does not support.
     */
    public static void assertRefused(Checker.Result r, List<String> what, String kind) {
        assertFalse(r.passed(), r.name() + " now passes on " + kind + ": update its line in EXPECTED_REFUSALS.txt");
        assertTrue(r.reason().contains("K0403"), "expected an up-front refusal (K0403): " + r.line());
        for (String w : what) {
            boolean type = Arrays.stream(DType.values()).anyMatch(t -> t.shortName().equals(w));
            boolean found = type
                    ? r.reason().contains("is " + w + ", which the " + kind + " backend does not support")
                            || r.reason().contains(w + " tensors are not supported by the " + kind + " backend")
                    : r.reason().contains("no " + kind + " template '" + w + "'") || r.reason().contains("no " + kind + " kernel for " + w + ": ");
            assertTrue(found, "expected " + kind + " to refuse " + (type ? "type " : "op ") + "'" + w + "': " + r.line());
        }
    }
}
