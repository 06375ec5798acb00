package dev.kiln.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.Templates;
import dev.kiln.backend.opencl.ClLowerings;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.OpMethods;
import dev.kiln.ops.Ops;
import dev.kiln.quant.Int8Lowerings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The typed registry of op pieces, checked against the op list: every op has a kernel on every backend with kernel
 * templates or a declared, reasoned refusal ({@link dev.kiln.ops.NoKernel}); every kernel template has the arguments
 * its backend passes (the template contract); every lowering and int8 rule names an op; and an op's body is
 * written once (in {@code templates/kernels/}) unless it is listed in {@link #PER_BACKEND} with the reason.
 */
class KernelRegistryTest {
    /**
     * Ops whose C and OpenCL bodies are still written separately, with the reason. A test fails when an op listed
     * here gets one shared body (remove it from the list) or an op not listed gets two.
     */
    static final Map<String, String> PER_BACKEND = new TreeMap<>();

    static {
        String nn = "C walks the output with serial loop nests and the cost model's blocked, vectorised or DSP forms "
                + "(BlockedKernels); OpenCL gives each work item one output or plane, or tiles through local memory "
                + "(ClNnKernels): different decompositions, not yet one body with strategies";
        for (String op : List.of("conv", "conv_transpose", "gemm", "matmul", "max_pool", "average_pool", "global_average_pool",
                "global_max_pool", "batch_norm", "lrn", "separable_conv"))
            PER_BACKEND.put(op, nn);
        String int8 = "C's int8 kernels have SMLAD/packed-weight forms and read constant tables as static arrays; the OpenCL "
                + "ones run per work item over __constant tables (ClInt8Kernels): not yet one body with strategies";
        for (String op : List.of("qconv", "qmatmul", "qadd", "qaverage_pool", "qlookup", "qsoftmax", "requantize", "quantize_linear",
                "dequantize_linear", "conv_integer", "matmul_integer", "qlinear_conv", "qlinear_matmul"))
            PER_BACKEND.put(op, int8);
        String nest = "the loop nests are the same but OpenCL declares its index tables __constant and C static const, "
                + "and OpenCL runs the nest in one work item: to be moved to templates/kernels/ with a table qualifier in the dialect";
        for (String op : List.of("transpose", "slice", "expand", "tile", "pad", "gather", "reduce_sum", "reduce_mean", "reduce_max",
                "resize"))
            PER_BACKEND.put(op, nest);
        String perItem = "C loops over rows serially; OpenCL gives each work item one row or element (concat, split, "
                + "softmax): the row body could be shared once the dialect opens a parallel loop over rows";
        for (String op : List.of("concat", "split", "softmax", "log_softmax")) PER_BACKEND.put(op, perItem);
        PER_BACKEND.put("dropout", "C copies with one memcpy and sets the mask with one memset; an OpenCL kernel cannot "
                + "open two parallel loops, so its work items copy and set the mask together");
    }

    private static List<Backend> kernelBackends() {
        List<Backend> r = new ArrayList<>();
        for (Backend b : ServiceLoader.load(Backend.class)) if (b.dialect() != null) r.add(b);
        assertFalse(r.isEmpty(), "no backend with kernel templates is registered");
        return r;
    }

    @Test
    void everyOpHasAKernelOrAReasonedRefusalOnEveryBackend() {
        List<String> bad = new ArrayList<>();
        for (Backend b : kernelBackends()) {
            Templates t = new Templates(b.dialect().folder(), null);
            for (OpDef op : Ops.all()) {
                String why = op.refusal(b.kind());
                boolean has = t.has(op.name());
                if (!has && why == null) bad.add(b.kind() + ": " + op.name() + " has no kernel template and no @NoKernel refusal");
                if (has && why != null) bad.add(b.kind() + ": " + op.name() + " has a kernel and a @NoKernel refusal (remove one)");
                if (why != null && why.isBlank()) bad.add(b.kind() + ": " + op.name() + "'s refusal gives no reason");
            }
        }
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }

    /** The template contract: each claimed op's template takes the arguments its backend passes. */
    @Test
    void everyKernelTemplateTakesItsBackendsArguments() {
        List<String> bad = new ArrayList<>();
        for (Backend b : kernelBackends()) {
            Templates t = new Templates(b.dialect().folder(), null);
            for (OpDef op : Ops.all()) {
                if (!t.has(op.name())) continue;
                List<String> args = t.arguments(op.name());
                boolean shared = args.equals(List.of("k", "m"));
                boolean own = b.dialect().parallel() && args.equals(List.of("k", "m", "c"));
                if (!shared && !own) bad.add(b.kind() + ": template " + op.name() + args + " should take (k, m)"
                        + (b.dialect().parallel() ? " or (k, m, c)" : ""));
                // why: a body that takes c sizes its own launch, so its work shape must be explicit, never a default
                if (own && !ClLowerings.has(op.name())) bad.add(b.kind() + ": " + op.name() + " takes c but has no work shape in Cl*Kernels");
            }
        }
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }

    @Test
    void everyRegisteredPieceNamesAnOp() {
        Set<String> ops = new TreeSet<>();
        for (OpDef op : Ops.all()) ops.add(OpMethods.methodName(op.name()));
        List<String> bad = new ArrayList<>();
        for (String m : Lowerings.methodNames()) if (!ops.contains(m)) bad.add("kernel lowering " + m + " matches no op");
        for (String m : ClLowerings.methodNames()) if (!ops.contains(m)) bad.add("OpenCL lowering " + m + " matches no op");
        for (String m : Int8Lowerings.ruleNames()) if (!ops.contains(m)) bad.add("int8 rule " + m + " matches no op");
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }

    /** An op with kernels on two backends has one body, in templates/kernels/, unless listed with its reason. */
    @Test
    void everyOpBodyIsWrittenOnce() {
        List<Backend> bs = kernelBackends();
        List<String> bad = new ArrayList<>();
        for (OpDef op : Ops.all()) {
            int own = 0, claimed = 0;
            for (Backend b : bs) {
                Templates t = new Templates(b.dialect().folder(), null);
                if (!t.has(op.name())) continue;
                claimed++;
                if (!t.origin(op.name()).contains("/" + Templates.SHARED + "/")) own++;
            }
            boolean listed = PER_BACKEND.containsKey(op.name());
            if (claimed > 1 && own > 0 && !listed) bad.add(op.name() + " has a body per backend; write it once in templates/kernels/");
            if (listed && own == 0) bad.add(op.name() + " has one body now; remove it from PER_BACKEND");
        }
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }
}
