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
        String walk = "C walks the output plane by plane with serial loop nests and, by the cost model (Strategy), "
                + "blocked, vectorised or DSP forms (BlockedKernels); OpenCL computes one output element per work item ";
        PER_BACKEND.put("conv", walk + "(or tiles a 1x1 conv through local memory, ClNnKernels.conv): the decompositions "
                + "differ, not yet one body with strategies");
        PER_BACKEND.put("gemm", walk + "or tiles large products through local memory (ClNnKernels.product)");
        PER_BACKEND.put("matmul", walk + "or tiles large products through local memory (ClNnKernels.product)");
        PER_BACKEND.put("conv_transpose", "C scatters each input pixel into the output in one loop nest; OpenCL gives each "
                + "work item one output plane to scatter into (no write races): different decompositions");
        PER_BACKEND.put("separable_conv", "C fuses depthwise and pointwise over rows with a blocked fast form; OpenCL "
                + "stages each pixel's intermediate channels in local memory per work-group (ClNnKernels.separableConv)");
        PER_BACKEND.put("max_pool", walk + "(C also has a fast interior/edge form)");
        PER_BACKEND.put("average_pool", "C walks windows plane by plane reusing row sums; OpenCL computes one output "
                + "element per work item: the body could be shared per element once C's serial form is a strategy");
        PER_BACKEND.put("global_average_pool", "C sums each plane in one loop; OpenCL gives one work item per plane: "
                + "the per-plane body could be shared through par_rows once the C text may change");
        PER_BACKEND.put("global_max_pool", "as global_average_pool: C loops over planes, OpenCL one work item per plane");
        PER_BACKEND.put("batch_norm", "C hoists each channel's scale and shift out of the plane loop; OpenCL computes one "
                + "element per work item recomputing them: shareable once C's hoisted form is a strategy");
        PER_BACKEND.put("lrn", "C slides a running window sum along channels; OpenCL computes one element per work item "
                + "summing its window: different algorithms for the same value");
        String tables = "C reads its per-channel multipliers, shifts and zero points from static const arrays (and has "
                + "SMLAD/packed-weight DSP forms); OpenCL declares them __constant at the kernel's outermost scope "
                + "(ClInt8Kernels) and computes one output element per work item: ";
        PER_BACKEND.put("qconv", tables + "the DSP and blocked strategies have no OpenCL twin yet");
        PER_BACKEND.put("qmatmul", tables + "the DSP strategy has no OpenCL twin yet");
        PER_BACKEND.put("qaverage_pool", tables + "C walks windows plane by plane, OpenCL one output per work item");
        PER_BACKEND.put("qsoftmax", "C runs each row's fixed-point exp/sum/divide in one loop; OpenCL one row per work item "
                + "with its exp table __constant: shareable through par_rows once the tables go through table_q");
        PER_BACKEND.put("qlookup", "one element per iteration on both, but C declares its 256-entry table static const inside "
                + "the loop's scope and writes the loop on one line; sharing it changes the generated C (to be done with a "
                + "byte-identity check)");
        String linear = "C walks (outer, axis, inner) in three loops hoisting each parameter; OpenCL computes one element "
                + "per work item (float32 only): ";
        PER_BACKEND.put("quantize_linear", linear + "sharing it through par_for changes the C loop structure");
        PER_BACKEND.put("dequantize_linear", linear + "sharing it through par_for changes the C loop structure");
        String direct = "C walks the output with serial loops and index tables as static const arrays; OpenCL computes one "
                + "output element per work item with __constant tables (ClInt8Kernels): ";
        PER_BACKEND.put("conv_integer", direct + "different decompositions");
        PER_BACKEND.put("qlinear_conv", direct + "different decompositions");
        PER_BACKEND.put("matmul_integer", direct + "different decompositions");
        PER_BACKEND.put("qlinear_matmul", direct + "different decompositions (and float32 scales only on OpenCL)");
        String blocked = "C walks rows (or output positions) in loops over flash (dequant_gemm two nibbles a byte through a "
                + "float table); OpenCL computes one output element per work item, reading the nibbles from the weights "
                + "buffer (the int8 ones with FP_CONTRACT off): ";
        PER_BACKEND.put("dequant_gemm", blocked + "different loop structures");
        PER_BACKEND.put("qdequant_gemm", blocked + "different loop structures");
        PER_BACKEND.put("dequant_conv", blocked + "different loop structures");
        PER_BACKEND.put("qdequant_conv", blocked + "different loop structures");
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
                // why: control flow (If, Loop, Scan) runs as host steps on a parallel backend; ControlKernels lowers it
                boolean has = t.has(op.name()) || (b.dialect().parallel() && hostControl(op));
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

    /** Whether {@code op} is control flow that {@link ControlKernels} lowers (a parallel backend runs it on the host). */
    private static boolean hostControl(OpDef op) {
        String m = OpMethods.methodName(op.name());
        for (java.lang.reflect.Method x : ControlKernels.class.getMethods()) if (x.getName().equals(m)) return true;
        return false;
    }
}
