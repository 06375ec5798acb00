package dev.kiln.passes;

import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.ops.Trait;
import dev.kiln.ops.Transpose;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Keeps tensors in the backend's layout: transposes that follow each other merge into one (and vanish when
 * they cancel), and a transpose is pushed down through element-wise and activation ops (whose constant
 * operands, such as per-channel scales, are transposed to match) when that brings it onto another transpose
 * or merges several transposes into one. This is how the NHWC-to-NCHW transposes an exporter puts around
 * every conv cancel between the convs.
 */
public final class RemoveTransposePairs implements Pass {
    /** The layout the IR's conv and pool ops compute in (ONNX's). */
    public static final String NCHW = "nchw";

    @Override
    public boolean run(Graph g, PassContext cx) {
        String layout = cx.target() == null ? NCHW : cx.target().layout();
        // why: conv and pool ops are NCHW in the IR; another layout needs layout-converting kernels Kiln does not have yet
        if (!layout.equals(NCHW)) {
            cx.skip("graph", "target " + cx.target().name() + " prefers layout " + layout + "; only nchw is supported");
            return false;
        }
        int before = count(g);
        boolean changed = false;
        for (boolean again = true; again; ) {
            again = false;
            for (Node t : new ArrayList<>(g.nodes())) {
                // why: an earlier rewrite of this sweep may have removed the node; only transposes move
                if (g.node(t.name()) != t || t.op() != Ops.TRANSPOSE) continue;
                if (mergeWithProducer(g, t) || split(g, t) || sink(g, t, cx)) again = changed = true;
            }
        }
        if (changed) cx.report("transposes " + before + " -> " + count(g));
        return changed;
    }

    /** transpose(transpose(x, q), p) -> transpose(x, q∘p), or x when they cancel. */
    private static boolean mergeWithProducer(Graph g, Node t) {
        Node t0 = t.input(0).producer();
        // why: only a transpose feeding a transpose composes
        if (t0 == null || t0.op() != Ops.TRANSPOSE) return false;
        int rank = t.input(0).shape().rank();
        int[] p = perm(t), q = perm(t0);
        long[] composed = new long[rank];
        for (int i = 0; i < rank; i++) composed[i] = q[p[i]];
        Value x0 = t0.input(0), y = t.output(0);
        if (isIdentity(composed) && !g.outputs().contains(y)) {
            // transpose(transpose(x, inverse(p)), p) -> x
            g.replaceAllUses(y, x0);
            g.removeNode(t);
        } else {
            // transpose(transpose(x, q), p) -> transpose(x, q∘p); a graph output's identity transpose is RemoveIdentities' to drop
            t.setInput(0, x0);
            t.setAttrs(Attrs.of("perm", composed));
        }
        if (unused(g, t0)) g.removeNode(t0);
        return true;
    }

    /**
     * Gives each user of a shared transpose its own copy when every copy will then go away: merged into a
     * following transpose, or moved down onto one, or merged with other transposes by the same permutation
     * (as in a residual add of two transposed tensors).
     */
    private static boolean split(Graph g, Node t) {
        Value y = t.output(0);
        // why: a single user needs no copy; a graph output must stay as computed
        if (y.uses().size() < 2 || g.outputs().contains(y)) return false;
        int[] p = perm(t);
        for (Value.Use use : y.uses()) {
            Node u = use.user();
            if (u.op() == Ops.TRANSPOSE) continue;
            // why: a copy that would stay where it is only adds a transpose
            if (!sinkable(g, u, p, false) || runtimeOperands(u) < 2 && !reachesTranspose(g, u.output(0), p)) return false;
        }
        // x -> transpose -> {u1, u2} -> x -> {transpose -> u1, transpose -> u2}
        List<Value.Use> uses = new ArrayList<>(y.uses());
        for (int i = 1; i < uses.size(); i++) {
            Node copy = g.insertNode(g.nodes().indexOf(t) + 1, Ops.TRANSPOSE, t.name(), List.of(t.input(0)), t.attrs(),
                    List.of(g.uniqueValueName(y.name())));
            uses.get(i).user().setInput(uses.get(i).index(), copy.output(0));
        }
        return true;
    }

    /**
     * f(transpose(x, p), c) -> transpose(f(x, c'), p) for an element-wise f whose other operands are constants
     * (c' = c transposed by p's inverse) or transposes by the same p, when the moved transpose meets another
     * transpose further down or replaces several.
     */
    private static boolean sink(Graph g, Node t, PassContext cx) {
        Value y = t.output(0);
        // why: a transpose with several users would have to be copied to each; a graph output must stay as computed
        if (y.uses().size() != 1 || g.outputs().contains(y)) return false;
        Node u = y.uses().get(0).user();
        int[] p = perm(t);
        if (!sinkable(g, u, p, true)) return false;
        // why: moving a lone transpose is only worth it where it ends on another transpose
        if (runtimeOperands(u) < 2 && !reachesTranspose(g, u.output(0), p)) return false;
        int[] inv = new int[p.length];
        for (int i = 0; i < p.length; i++) inv[p[i]] = i;
        List<Value> ins = new ArrayList<>();
        for (Value v : u.inputs()) ins.add(v == null ? null : v.isConstant() ? permuteConstant(g, v, inv) : v.producer().input(0));
        int at = g.nodes().indexOf(u);
        Value out = u.output(0);
        Node f = g.insertNode(at, u.op(), u.name(), ins, u.attrs(), List.of(g.uniqueValueName(out.name())));
        Node t2 = g.insertNode(at + 1, Ops.TRANSPOSE, t.name(), List.of(f.output(0)), t.attrs(), List.of(g.uniqueValueName(out.name())));
        // why: the rewrite must not change what the rest of the graph sees (e.g. per-channel quantization axes)
        if (!t2.output(0).type().equals(out.type())) {
            g.removeNode(t2);
            g.removeNode(f);
            g.removeUnusedConstants();
            cx.skip(u.name(), "moving the transpose below it would change its output type " + out.type());
            return false;
        }
        String name = out.name();
        g.replaceAllUses(out, t2.output(0));
        List<Node> oldTransposes = new ArrayList<>();
        for (Value v : u.inputs()) if (v != null && !v.isConstant() && !oldTransposes.contains(v.producer())) oldTransposes.add(v.producer());
        g.removeNode(u);
        for (Node o : oldTransposes) if (unused(g, o)) g.removeNode(o);
        g.renameValue(t2.output(0), name);
        return true;
    }

    /**
     * Whether {@code u} is element-wise with one output and every operand is a constant or a transpose by
     * {@code p} of the output's size ({@code onlyUser}: that {@code u} is the transpose's only user).
     */
    private static boolean sinkable(Graph g, Node u, int[] p, boolean onlyUser) {
        // why: only an op that works element by element commutes with moving elements around
        if (!u.op().has(Trait.ELEMENTWISE) || u.outputs().size() != 1) return false;
        long elems = u.output(0).shape().numel();
        for (Value v : u.inputs()) {
            if (v == null || v.isConstant()) continue;
            Node pr = v.producer();
            // why: a runtime operand in the other layout would need a transpose of its own
            if (pr == null || pr.op() != Ops.TRANSPOSE || !Arrays.equals(perm(pr), p)) return false;
            // why: the operand's transpose goes away only if nothing else reads it; broadcasting operands stay put
            if (onlyUser && v.uses().size() != 1 || g.outputs().contains(v) || v.shape().numel() != elems) return false;
        }
        return true;
    }

    private static int runtimeOperands(Node u) {
        int n = 0;
        for (Value v : u.inputs()) if (v != null && !v.isConstant()) n++;
        return n;
    }

    /** Whether following single element-wise users from {@code v} leads to a transpose. */
    private static boolean reachesTranspose(Graph g, Value v, int[] p) {
        for (int steps = 0; steps < 1000; steps++) {
            if (v.uses().size() != 1 || g.outputs().contains(v)) return false;
            Node u = v.uses().get(0).user();
            if (u.op() == Ops.TRANSPOSE) return true;
            if (!u.op().has(Trait.ELEMENTWISE) || u.outputs().size() != 1) return false;
            for (Value w : u.inputs()) if (w != null && w != v && !w.isConstant()) return false;
            v = u.output(0);
        }
        return false;
    }

    /** Constant {@code c} broadcast to the transposed rank and permuted by {@code inv}, as a new constant. */
    private static Value permuteConstant(Graph g, Value c, int[] inv) {
        int rank = inv.length;
        // why: a single value broadcasts the same in every layout
        if (c.shape().numel() == 1 && c.shape().rank() <= rank) return c;
        Value v = c;
        if (v.shape().rank() < rank) {
            long[] dims = new long[rank];
            Arrays.fill(dims, 1);
            int[] d = v.shape().dims();
            for (int i = 0; i < d.length; i++) dims[rank - d.length + i] = d[i];
            v = fold(g, g.addNode(Ops.RESHAPE, c.name() + "_ranked", List.of(v), Attrs.of("shape", dims)));
        }
        long[] perm = new long[rank];
        for (int i = 0; i < rank; i++) perm[i] = inv[i];
        return fold(g, g.addNode(Ops.TRANSPOSE, c.name() + "_permuted", List.of(v), Attrs.of("perm", perm)));
    }

    private static Value fold(Graph g, Node n) {
        List<NdArray> ins = new ArrayList<>();
        for (Value v : n.inputs()) ins.add(v.constant());
        g.foldToConstants(n, Interpreter.evaluate(n, ins));
        return n.output(0);
    }

    private static int[] perm(Node t) { return Transpose.perm(t.attrs().getIntsOrNull("perm"), t.input(0).shape().rank()); }

    private static boolean isIdentity(long[] p) {
        for (int i = 0; i < p.length; i++) if (p[i] != i) return false;
        return true;
    }

    private static boolean unused(Graph g, Node n) {
        for (Value o : n.outputs()) if (!o.uses().isEmpty() || g.outputs().contains(o)) return false;
        return true;
    }

    private static int count(Graph g) {
        int c = 0;
        for (Node n : g.nodes()) if (n.op() == Ops.TRANSPOSE) c++;
        return c;
    }
}
