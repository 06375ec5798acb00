package dev.kiln.check;

import dev.kiln.TestFiles;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ops the C and OpenCL backends refuse for now ({@code tests/onnx-node/BACKEND_REFUSALS.txt}, op and why),
 * and the reading of a refusal (K0403) from a check result, for the backends' conformance tests.
 */
public final class OpRefusals {
    private static final Pattern REFUSED_NODE = Pattern.compile("([a-z][a-z0-9_]*) '[^']*': ");

    private OpRefusals() {}

    /** Op name to why, from the list file. */
    public static Map<String, String> list() { return TestFiles.readList(TestFiles.onnxNode().resolve("BACKEND_REFUSALS.txt")); }

    /** The ops a K0403 refusal by {@code backend} (as the message names it: "C", "OpenCL") names, or null when {@code r} is no such refusal. */
    public static Set<String> refusedOps(Checker.Result r, String backend) {
        String cannot = "the " + backend + " backend cannot run";
        if (r.passed() || !r.reason().contains("K0403") || !r.reason().contains(cannot)) return null;
        Set<String> ops = new TreeSet<>();
        Matcher m = REFUSED_NODE.matcher(r.reason().substring(r.reason().indexOf(cannot)));
        while (m.find()) ops.add(m.group(1));
        return ops;
    }
}
