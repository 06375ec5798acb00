package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.quant.Int8Lowering;
import dev.kiln.quant.QuantAnnotations;

/**
 * Lowers a float graph to int8 with the quantization annotations of the compilation ({@link PassContext#quant}):
 * from calibration ({@code --int8 --calibrate DATA}) or from a quantized model's Quantize/Dequantize pairs.
 * Conv (depthwise included), gemm/matmul, add, pools, concat, softmax, element-wise functions (as clamps or
 * lookup tables) and the data-movement ops become int8 ops; weights are quantized symmetrically per output
 * channel and biases to int32. Graph inputs and outputs become int8 (their parameters on their types); a node
 * that cannot be lowered stays float between dequantize_linear and quantize_linear, with a report line saying why.
 *
 * <p>Before calibration the pass splits what the float fusions joined but int8 computes in steps: separable_conv
 * into its two convolutions, a conv's residual input into an add, and fused activations that are not clamps
 * (hard_swish, sigmoid...) into their own nodes, so that every intermediate the int8 graph stores is measured.
 */
public final class LowerToInt8 implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        QuantAnnotations ann = cx.quant();
        // why: without annotations or a calibration source there is nothing to lower to (a float model, no --int8)
        if (!ann.requested()) return false;
        boolean changed = Int8Lowering.split(g, cx::report);
        ann.calibrate(g);
        // why: calibration or import may still have produced nothing (e.g. an empty data set)
        if (ann.isEmpty()) {
            cx.skip("graph", "no quantization parameters were measured or imported");
            return changed;
        }
        // why: compact multipliers save flash on small MCUs but move results near a rounding boundary (faithful Q31 by default)
        boolean compact = cx.options().compactMultipliers != null ? cx.options().compactMultipliers
                : cx.target() != null && cx.target().compactMultipliers();
        // why: int4 weights halve the weights' flash; calibration quantizes them, a quantized model keeps its own
        dev.kiln.ir.DType wt = Boolean.TRUE.equals(cx.options().int4Weights) ? dev.kiln.ir.DType.I4 : dev.kiln.ir.DType.I8;
        Int8Lowering.Result r = Int8Lowering.lower(g, ann, cx::report, compact, wt);
        cx.report(r.lowered() + " nodes lowered to int8, " + r.leftFloat() + " left float");
        return changed || r.lowered() > 0;
    }

    /** False: it retypes values as int8, which would make a region's inputs and outputs differ from its node's. */
    @Override
    public boolean entersRegions() { return false; }
}
