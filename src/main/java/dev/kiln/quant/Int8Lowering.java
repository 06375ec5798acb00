package dev.kiln.quant;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Value;
import dev.kiln.ops.FusedActivation;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.ops.SeparableConv;
import dev.kiln.ops.Trait;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The mechanics of int8 lowering (the {@code LowerToInt8} pass drives it): splitting fused float nodes into the
 * steps int8 computes, then lowering node by node with {@link Int8Lowerings}. Each lowered node's float result
 * is replaced by a dequantize_linear of its int8 twin (which keeps the original value name), so readers that
 * stay float keep working; readers that are lowered read the twin directly, and the dequantize nodes nobody reads
 * are removed at the end.
 */
public final class Int8Lowering {
    private Int8Lowering() {}

    /** What a lowering did: nodes lowered, nodes left float. */
    public record Result(int lowered, int leftFloat) {}

    /**
     * Splits separable_conv into two convs, a conv's residual Z into an add, and fused activations that are not
     * clamps into their own nodes. Every split keeps the original output name on its last node.
     */
    public static boolean split(Graph g, Consumer<String> report) {
        boolean changed = false;
        List<Node> work = new ArrayList<>(g.nodes());
        while (!work.isEmpty()) {
            Node n = work.remove(0);
            List<Node> made = null;
            if (n.op() == Ops.SEPARABLE_CONV) made = splitSeparable(g, n);
            else if (n.op().signature().attrs().containsKey(FusedActivation.ACTIVATION) && n.output(0).dtype().isFloat()) {
                int z = FusedActivation.residualInput(n);
                boolean residual = z >= 0;
                if (residual || Int8Lowerings.hasNonClampActivation(n.attrs())) made = splitTail(g, n, z);
            }
            if (made != null) {
                report.accept("split " + n.name() + " (" + n.op().name() + ") into " + made.size() + " nodes for int8");
                work.addAll(0, made);
                changed = true;
            }
        }
        if (changed) g.sortTopologically();
        return changed;
    }

    // separable_conv(x, wd, wp, bd, bp, z) -> conv(conv(x, wd, bd; group = C), wp, bp, z)
    private static List<Node> splitSeparable(Graph g, Node n) {
        int channels = n.input(0).shape().dim(1);
        List<Value> dwIns = new ArrayList<>(List.of(n.input(0), n.input(1)));
        if (n.input(3) != null) dwIns.add(n.input(3));
        Node dw = g.addNode(Ops.CONV, g.uniqueNodeName(n.name() + "_dw"), dwIns, SeparableConv.depthwiseAttrs(n.attrs(), channels));
        List<Value> pwIns = new ArrayList<>(List.of(dw.output(0), n.input(2)));
        pwIns.add(n.input(4));
        pwIns.add(n.input(5));
        while (pwIns.get(pwIns.size() - 1) == null) pwIns.remove(pwIns.size() - 1);
        Node pw = g.addNode(Ops.CONV, g.uniqueNodeName(n.name() + "_pw"), pwIns, SeparableConv.pointwiseAttrs(n.attrs()));
        replace(g, n, pw.output(0));
        return List.of(dw, pw);
    }

    // conv(x, w, b, z; act) -> act(add(conv(x, w, b), z)); op(x; act) -> act(op(x))
    private static List<Node> splitTail(Graph g, Node n, int zIndex) {
        Attrs plain = n.attrs().without(FusedActivation.ACTIVATION).without(FusedActivation.PARAMS);
        List<Value> ins = new ArrayList<>(n.inputs());
        Value z = zIndex >= 0 ? ins.remove(zIndex) : null;
        while (!ins.isEmpty() && ins.get(ins.size() - 1) == null) ins.remove(ins.size() - 1);
        List<Node> made = new ArrayList<>();
        Node core = g.addNode(n.op(), g.uniqueNodeName(n.name() + "_core"), ins, plain);
        made.add(core);
        Value last = core.output(0);
        if (z != null) {
            Node add = g.addNode(Ops.ADD, g.uniqueNodeName(n.name() + "_residual"), List.of(last, z), Attrs.EMPTY);
            made.add(add);
            last = add.output(0);
        }
        OpDef act = FusedActivation.op(n.attrs());
        if (act != null) {
            Node a = g.addNode(act, g.uniqueNodeName(n.name() + "_" + act.name()), List.of(last), FusedActivation.attrs(n.attrs()));
            made.add(a);
            last = a.output(0);
        }
        replace(g, n, last);
        return made;
    }

    private static void replace(Graph g, Node n, Value by) {
        Value out = n.output(0);
        String name = out.name();
        g.replaceAllUses(out, by);
        g.removeNode(n);
        g.renameValue(by, name);
    }

    /** Lowers every node it can; see the class comment. */
    public static Result lower(Graph g, QuantAnnotations ann, Consumer<String> report) { return lower(g, ann, report, false); }

    /** Lowers every node it can, products with compact (11-bit) multipliers when {@code compactMultipliers}. */
    public static Result lower(Graph g, QuantAnnotations ann, Consumer<String> report, boolean compactMultipliers) {
        return lower(g, ann, report, compactMultipliers, dev.kiln.ir.DType.I8);
    }

    /**
     * Lowers every node it can, products with compact multipliers when {@code compactMultipliers} and the weights
     * that calibration quantizes (not a quantized model's own) in {@code weightType}, i8 or i4.
     */
    public static Result lower(Graph g, QuantAnnotations ann, Consumer<String> report, boolean compactMultipliers, dev.kiln.ir.DType weightType) {
        Set<Node> created = Collections.newSetFromMap(new IdentityHashMap<>());
        Int8Context lx = new Int8Context(g, ann, created, compactMultipliers, weightType);
        g.sortTopologically();
        // graph inputs become int8; readers see a dequantized twin until they are lowered
        for (Value x : new ArrayList<>(g.inputs())) {
            QuantParams p = ann.get(x);
            if (!x.dtype().isFloat() || p == null) continue;
            List<Value.Use> uses = new ArrayList<>(x.uses());
            x.setType(Int8Context.int8(x.shape(), p));
            Value xf = lx.dequantize(x, x.name() + "_dq");
            for (Value.Use u : uses) u.user().setInput(u.index(), xf);
            lx.twin(xf, x);
        }
        int lowered = 0, leftFloat = 0;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (created.contains(n)) continue;
            // why: only float results are lowered; integer and quantization ops are int8 already
            if (n.output(0) == null || !n.output(0).dtype().isFloat() || n.op().has(Trait.QUANT_BOUNDARY)) continue;
            // why: the element-wise fallback takes one output; a node with several is lowered (or left float, saying
            // why) only by a rule of its own
            if (n.outputs().size() != 1 && !Int8Lowerings.hasRule(n.op())) continue;
            Value y8;
            try {
                y8 = Int8Lowerings.lower(lx, n);
            } catch (Int8Context.Refused e) {
                report.accept("left float: " + n.name() + " (" + n.op().name() + "): " + e.getMessage());
                leftFloat++;
                continue;
            }
            Value y = n.output(0);
            String name = y.name();
            Value yf = lx.dequantize(y8, name + "_dq");
            g.replaceAllUses(y, yf);
            g.removeNode(n);
            g.renameValue(y8, name);
            lx.twin(yf, y8);
            lowered++;
        }
        // graph outputs become int8: the twin, or a quantize of a float result that has an annotation
        for (int i = 0; i < g.outputs().size(); i++) {
            Value o = g.outputs().get(i);
            if (!o.dtype().isFloat()) continue;
            Value t = lx.twinOf(o);
            if (t == null && ann.get(o) != null) t = lx.q(o);
            if (t != null) g.setOutput(i, t);
            else report.accept("output " + o.name() + " stays float: it has no quantization parameters");
        }
        removeDead(g, created);
        g.sortTopologically();
        return new Result(lowered, leftFloat);
    }

    /** Removes the nodes the lowering added that nothing reads any more (dequantize twins, merged producers). */
    private static void removeDead(Graph g, Set<Node> created) {
        boolean again = true;
        while (again) {
            again = false;
            for (Node n : new ArrayList<>(g.nodes())) {
                if (!created.contains(n)) continue;
                boolean used = false;
                for (Value o : n.outputs()) used |= !o.uses().isEmpty() || g.outputs().contains(o);
                if (!used) {
                    g.removeNode(n);
                    again = true;
                }
            }
        }
        g.removeUnusedConstants();
    }

    /** The nodes of {@code g} that compute in float (excluding quantize/dequantize boundaries): what int8 left. */
    public static List<Node> floatNodes(Graph g) {
        List<Node> r = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (n.op().has(Trait.QUANT_BOUNDARY)) continue;
            for (Value o : n.outputs()) if (o.dtype().isFloat()) {
                r.add(n);
                break;
            }
        }
        return r;
    }

    /** The ops of {@link #floatNodes}, once each, in order. */
    public static Set<String> floatOps(Graph g) {
        Set<String> s = new LinkedHashSet<>();
        for (Node n : floatNodes(g)) s.add(n.op().name());
        return s;
    }
}
