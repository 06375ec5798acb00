package dev.kiln.passes;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.ops.Trait;
import dev.kiln.quant.QLinearExpansion;
import dev.kiln.quant.QdqPatterns;
import dev.kiln.quant.QuantAnnotations;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a quantized ONNX model (QDQ or QOperator) into the form {@code LowerToInt8} consumes: a plain float
 * graph whose values carry, in {@link QuantAnnotations} ({@link PassContext#quant}), the int8 grid the model
 * gives them. In order:
 * <ol>
 * <li>QOperator ops (qlinear_conv, qlinear_matmul) become dequantize → float op → quantize ({@link QLinearExpansion});</li>
 * <li>quantize_linear of a constant is folded, so float weights quantized in the graph look like stored int8 ones;</li>
 * <li>dequantize_linear of a constant (int8 weights, int32 biases) becomes the float constant it denotes; an
 *     int8 weight is annotated with its (per-channel) parameters;</li>
 * <li>each activation's quantize → dequantize pair is removed and the float value it rounded is annotated with
 *     the pair's parameters (a graph input so annotated becomes the int8 input; a value feeding a final
 *     dequantize becomes the int8 output, renamed like it);</li>
 * <li>annotations pass through ops transparent to quantization (reshape, max pool, relu...: {@link
 *     QdqPatterns#transparent}) to values no quantize names, forwards, then backwards.</li>
 * </ol>
 * Ops without an int8 lowering ({@link Trait#QUANTIZABLE} absent) get their dequantize/quantize back from
 * {@code LowerToInt8}, which stands between float islands and int8 code for quantized imports and calibrated
 * models alike; this pass names them in its report. It runs first from -O1 so the fusion passes see plain float
 * ops; at -O0 the graph keeps its exact float QDQ semantics.
 */
public final class AbsorbQuantBoundaries implements Pass {
    /** The suffix of the saturating clip's output added after a value absorbed on a grid (its int8 image keeps the name). */
    public static final String SATURATED = "_saturated";

    @Override
    public boolean run(Graph g, PassContext cx) {
        QuantAnnotations quant = cx.quant();
        int expanded = expandQOperators(g, cx);
        int quantizedConstants = foldConstantQuantizes(g, cx);
        int weights = foldConstantDequantizes(g, cx, quant);
        int pairs = absorbPairs(g, cx, quant);
        int propagated = propagate(g, quant);
        boolean changed = expanded + quantizedConstants + weights + pairs + propagated > 0;
        if (!changed) return false;
        quant.request();
        g.removeUnusedConstants();
        cx.report(String.format("%d QOperator ops expanded, %d constant quantizes folded, %d constant dequantizes folded, "
                + "%d quantize/dequantize pairs absorbed, %d annotations propagated; %d values annotated",
                expanded, quantizedConstants, weights, pairs, propagated, quant.size()));
        reportFloatOps(g, cx, quant);
        return true;
    }

    private static int expandQOperators(Graph g, PassContext cx) {
        int n = 0;
        for (Node node : new ArrayList<>(g.nodes())) {
            if (!QLinearExpansion.expandable(node)) continue;
            String why = QLinearExpansion.expand(g, node);
            // why: an op whose grid is only known at run time stays as imported (and runs as the integer op it is)
            if (why != null) cx.skip(node.name(), why);
            else n++;
        }
        return n;
    }

    private static int foldConstantQuantizes(Graph g, PassContext cx) {
        int n = 0;
        for (Node node : new ArrayList<>(g.nodes())) {
            // why: only a quantize of constant float weights becomes constant int8 weights
            if (!QdqPatterns.isQuantize(node) || !allConstant(node)) continue;
            // quantize(const w, s, z) -> const q
            g.foldToConstants(node, Interpreter.evaluate(node, constants(node)));
            n++;
        }
        return n;
    }

    private static int foldConstantDequantizes(Graph g, PassContext cx, QuantAnnotations quant) {
        int n = 0;
        for (Node node : new ArrayList<>(g.nodes())) {
            if (!QdqPatterns.isDequantize(node) || !allConstant(node)) continue;
            QuantParams p = QdqPatterns.params(node), p4 = QdqPatterns.int4Params(node);
            Value out = node.output(0);
            // dequantize(const q, s, z) -> const w (the real values the model computes with)
            g.foldToConstants(node, Interpreter.evaluate(node, constants(node)));
            n++;
            // why: an int4 weight keeps its grid and its width (LowerToInt8 stores it as int4)
            if (p4 != null && QdqPatterns.symmetric(p4)) quant.putInt4(out, p4);
            // why: only 8-bit weights have a grid to keep; an i32 bias's scale follows from its conv's operands
            if (p == null) continue;
            // why: Kiln's weights are symmetric; an asymmetric grid is left for LowerToInt8 to choose again
            if (!QdqPatterns.symmetric(p)) {
                cx.skip(out.name(), "weights with nonzero zero points: LowerToInt8 requantizes them symmetrically");
                continue;
            }
            quant.put(out, p);
        }
        return n;
    }

    private static int absorbPairs(Graph g, PassContext cx, QuantAnnotations quant) {
        int n = 0;
        Set<Value> done = new LinkedHashSet<>();
        for (Node q : new ArrayList<>(g.nodes())) {
            if (!QdqPatterns.isQuantize(q) || !g.nodes().contains(q)) continue;
            Value v = q.input(0);
            if (!done.add(v)) continue;
            QuantParams p = QdqPatterns.params(q);
            // why: an activation grid is one scale and zero point known at compile time
            if (p == null || p.perChannel()) {
                cx.skip(q.name(), "its scale and zero point are not per-tensor 8-bit constants");
                continue;
            }
            // why: every reader of v must see the same rounding, or removing the pair changes some of them
            String mixed = otherReaders(g, v, q);
            if (mixed != null) {
                cx.skip(q.name(), mixed);
                continue;
            }
            // why: a value already annotated differently (two grids for one tensor) cannot take a second grid
            QuantParams before = quant.get(v);
            if (before != null && !before.equals(p)) {
                cx.skip(q.name(), v.name() + " already has " + QdqPatterns.describe(before));
                continue;
            }
            // why: quantizing saturates; unless v already lies on this grid's range, a clip keeps that in float
            // (it is how QDQ exporters express a relu) and, fused into v's producer, costs nothing in int8
            Value in = needsClip(g, v, p, quant) ? clip(g, v, p) : v;
            int absorbed = 0;
            String outputName = null;
            for (Node qi : new ArrayList<>(v.users())) {
                if (!QdqPatterns.isQuantize(qi)) continue;
                for (Node d : new ArrayList<>(qi.output(0).users())) {
                    // why: only a dequantize on the same grid undoes the quantize exactly
                    if (!QdqPatterns.isDequantize(d) || d.input(0) != qi.output(0) || !QdqPatterns.sameQuantization(qi, d)) {
                        cx.skip(d.name(), "it reads " + qi.name() + "'s int8 output but is no dequantize on the same grid");
                        continue;
                    }
                    // quantize(v) -> dequantize -> users   =>   v {p} -> clip(range of p) {p} -> users
                    Value dv = d.output(0);
                    if (g.outputs().contains(dv)) outputName = dv.name();
                    g.replaceAllUses(dv, in);
                    g.removeNode(d);
                    absorbed++;
                }
                if (qi.output(0).uses().isEmpty() && !g.outputs().contains(qi.output(0))) g.removeNode(qi);
            }
            if (absorbed == 0) {
                if (in != v) removeClip(g, in, v);
                continue;
            }
            Value out = in != v ? in : v;
            // why: a graph output keeps the name its callers and test data know it by
            if (outputName != null && !g.inputs().contains(out) && g.value(outputName) == null) g.renameValue(out, outputName);
            quant.put(v, p);
            quant.put(out, p);
            n += absorbed;
        }
        return n;
    }

    /**
     * Whether quantizing {@code v} on grid {@code p} could saturate: always, unless v is a graph input (the caller
     * quantizes it) or the output of a transparent op whose input already has grid p.
     */
    private static boolean needsClip(Graph g, Value v, QuantParams p, QuantAnnotations quant) {
        if (g.inputs().contains(v) || v.producer() == null) return false;
        Node n = v.producer();
        return !(p.equals(quant.get(n.input(0))) && QdqPatterns.transparent(n));
    }

    /** Inserts {@code clip(v)} to the real range of grid {@code p} right after v's producer; returns its output. */
    private static Value clip(Graph g, Value v, QuantParams p) {
        double lo = p.scale(0) * (float) (-128 - p.zeroPoint(0)), hi = p.scale(0) * (float) (127 - p.zeroPoint(0));
        int at = g.nodes().indexOf(v.producer()) + 1;
        return g.insertNode(at, Ops.CLIP, g.uniqueNodeName(v.name() + "_saturate"), List.of(v),
                Attrs.of("min", (double) (float) lo, "max", (double) (float) hi), List.of(g.uniqueValueName(v.name() + SATURATED))).output(0);
    }

    private static void removeClip(Graph g, Value c, Value v) {
        g.replaceAllUses(c, v);
        g.removeNode(c.producer());
    }

    /** Null when every reader of {@code v} is a quantize on {@code q}'s grid and v is no graph output; else who reads it otherwise. */
    private static String otherReaders(Graph g, Value v, Node q) {
        if (g.outputs().contains(v)) return v.name() + " is also a float graph output";
        for (Node u : v.users())
            if (!QdqPatterns.isQuantize(u) || u.input(0) != v || !QdqPatterns.sameQuantization(u, q))
                return v.name() + " is also read in float by " + u.name();
        return null;
    }

    /**
     * Passes annotations through transparent ops: forwards (an op's output takes its input's grid), then
     * backwards (an unannotated single-use input takes its op's output grid). Returns how many values it annotated.
     */
    private static int propagate(Graph g, QuantAnnotations quant) {
        int n = 0;
        if (quant.isEmpty()) return 0;
        for (Node node : g.nodes()) {
            Value x = node.input(0), y = node.outputs().isEmpty() ? null : node.output(0);
            QuantParams p = quant.get(x);
            // why: only a per-tensor activation grid passes through; a node's own grid wins
            if (p == null || p.perChannel() || quant.get(y) != null || !QdqPatterns.transparent(node)) continue;
            // transparent(x {p}) -> y {p}
            quant.put(y, p);
            n++;
        }
        List<Node> reversed = new ArrayList<>(g.nodes());
        java.util.Collections.reverse(reversed);
        for (Node node : reversed) {
            Value x = node.input(0), y = node.outputs().isEmpty() ? null : node.output(0);
            QuantParams p = quant.get(y);
            // why: the input must have no grid of its own and no other reader that could want another
            if (p == null || p.perChannel() || x == null || x.isConstant() || quant.get(x) != null
                    || x.uses().size() != 1 || g.outputs().contains(x) || !QdqPatterns.transparent(node)) continue;
            // x -> transparent -> y {p}   =>   x {p}
            quant.put(x, p);
            n++;
        }
        return n;
    }

    /** Reports the ops that read or write annotated values but have no int8 lowering (they stay float). */
    private static void reportFloatOps(Graph g, PassContext cx, QuantAnnotations quant) {
        TreeMap<String, Integer> counts = new TreeMap<>();
        for (Node node : g.nodes()) {
            boolean touches = false;
            for (Value v : node.inputs()) touches |= v != null && !v.isConstant() && quant.get(v) != null;
            for (Value v : node.outputs()) touches |= quant.get(v) != null;
            if (touches && !node.op().has(Trait.QUANTIZABLE) && !QdqPatterns.transparent(node))
                counts.merge(node.op().name(), 1, Integer::sum);
        }
        if (!counts.isEmpty()) cx.report("no int8 lowering, stay float between dequantize/quantize: " + counts);
    }

    private static boolean allConstant(Node n) {
        for (Value v : n.inputs()) if (v != null && !v.isConstant()) return false;
        return true;
    }

    private static List<NdArray> constants(Node n) {
        List<NdArray> ins = new ArrayList<>();
        for (Value v : n.inputs()) ins.add(v == null ? null : v.constant());
        return ins;
    }

    /** False: it retypes values as int8, which would make a region's inputs and outputs differ from its node's. */
    @Override
    public boolean entersRegions() { return false; }
}
