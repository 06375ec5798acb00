package dev.kiln.check;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ops a backend declares it has no kernel for ({@code @NoKernel} on the op, read from the registry), and the
 * reading of a refusal (K0403) from a check result, for the backends' conformance tests. That an op never has both
 * a kernel and a refusal is {@code KernelRegistryTest}'s to check.
 */
public final class OpRefusals {
    private static final Pattern REFUSED_NODE = Pattern.compile("([a-z][a-z0-9_]*) '[^']*': ");

    private OpRefusals() {}

    /** Op name to why, for every op that backend {@code kind} ({@code c}, {@code opencl}) declares it has no kernel for. */
    public static Map<String, String> list(String kind) {
        Map<String, String> r = new TreeMap<>();
        for (dev.kiln.ops.OpDef op : dev.kiln.ops.Ops.all()) if (op.refusal(kind) != null) r.put(op.name(), op.refusal(kind));
        return r;
    }

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
