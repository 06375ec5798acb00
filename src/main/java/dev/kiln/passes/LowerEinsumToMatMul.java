package dev.kiln.passes;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Einsum;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites a two-operand float einsum that is a (batched) matrix product as transpose, reshape, matmul, reshape,
 * transpose: each label is a batch label (in both operands and the output), a row label (A and the output), a
 * column label (B and the output) or a summed label (both operands, not the output), so the product runs in the
 * matmul kernel instead of einsum's generic loop. Transposes and reshapes that would change nothing are left out.
 */
public final class LowerEinsumToMatMul implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (n.op() != Ops.EINSUM) continue;
            // why: the generic loop is what other operand counts, integer products and diagonals need
            if (n.numInputs() != 2 || !n.output(0).dtype().isFloat()) {
                cx.skip(n.name(), "not a two-operand float einsum");
                continue;
            }
            String why = lower(g, n);
            if (why == null) changed = true;
            else cx.skip(n.name(), why);
        }
        return changed;
    }

    /** Lowers {@code n}, or says why it is no matrix product. */
    private static String lower(Graph g, Node n) {
        Shape as = n.input(0).shape(), bs = n.input(1).shape();
        Einsum.Plan p = Einsum.plan(n.attrs().getString("equation"), List.of(as, bs));
        String a = p.ins().get(0), b = p.ins().get(1), out = p.out();
        StringBuilder batch = new StringBuilder(), rows = new StringBuilder(), cols = new StringBuilder(), sum = new StringBuilder();
        for (char c : out.toCharArray()) {
            boolean inA = a.indexOf(c) >= 0, inB = b.indexOf(c) >= 0;
            (inA && inB ? batch : inA ? rows : cols).append(c);
        }
        for (char c : a.toCharArray()) if (b.indexOf(c) >= 0 && out.indexOf(c) < 0) sum.append(c);
        // why: a repeated label is a diagonal, a label in one operand only and not the output a sum of its own
        if (repeats(a) || repeats(b) || repeats(out)) return "a label repeats (a diagonal)";
        for (char c : (a + b).toCharArray())
            if (out.indexOf(c) < 0 && (a.indexOf(c) < 0 || b.indexOf(c) < 0)) return "label '" + c + "' is summed within one operand";
        // why: broadcasting (a size-1 axis against a larger one) is not a plain reshape of the product
        for (int i = 0; i < a.length(); i++) if (as.dim(i) != p.size().get(a.charAt(i))) return "operand 0 broadcasts along '" + a.charAt(i) + "'";
        for (int i = 0; i < b.length(); i++) if (bs.dim(i) != p.size().get(b.charAt(i))) return "operand 1 broadcasts along '" + b.charAt(i) + "'";
        String base = n.name();
        Value x = permute(g, n, n.input(0), a, batch + "" + rows + sum, base + "_a");
        Value y = permute(g, n, n.input(1), b, batch + "" + sum + cols, base + "_b");
        long nb = size(p, batch.toString()), m = size(p, rows.toString()), k = size(p, sum.toString()), nc = size(p, cols.toString());
        x = step(g, n, Ops.RESHAPE, x, Attrs.of("shape", new long[] {nb, m, k}), base + "_a3");
        y = step(g, n, Ops.RESHAPE, y, Attrs.of("shape", new long[] {nb, k, nc}), base + "_b3");
        String name = g.uniqueNodeName(base + "_matmul");
        Value r = g.insertNode(g.nodes().indexOf(n), Ops.MATMUL, name, List.of(x, y), Attrs.of(), List.of(g.uniqueValueName(name))).output(0);
        String have = batch + "" + rows + cols;
        long[] dims = new long[have.length()];
        for (int i = 0; i < dims.length; i++) dims[i] = p.size().get(have.charAt(i));
        r = step(g, n, Ops.RESHAPE, r, Attrs.of("shape", dims), base + "_y");
        r = permute(g, n, r, have, out, base + "_out");
        Value old = n.output(0);
        String oldName = old.name();
        g.replaceAllUses(old, r);
        g.removeNode(n);
        g.renameValue(r, oldName);
        return null;
    }

    /** {@code v} (axes labelled {@code have}) transposed to the label order {@code want}, just before {@code anchor}. */
    private static Value permute(Graph g, Node anchor, Value v, String have, String want, String name) {
        if (have.equals(want)) return v;
        long[] perm = new long[want.length()];
        for (int i = 0; i < perm.length; i++) perm[i] = have.indexOf(want.charAt(i));
        return step(g, anchor, Ops.TRANSPOSE, v, Attrs.of("perm", perm), name);
    }

    /** One node {@code op(v)} inserted just before {@code anchor}, or {@code v} itself for a reshape to its own shape. */
    private static Value step(Graph g, Node anchor, OpDef op, Value v, Attrs attrs, String name) {
        if (op == Ops.RESHAPE && java.util.Arrays.equals(toInts(attrs.getInts("shape")), v.shape().dims())) return v;
        String nn = g.uniqueNodeName(name);
        return g.insertNode(g.nodes().indexOf(anchor), op, nn, List.of(v), attrs, List.of(g.uniqueValueName(nn))).output(0);
    }

    private static int[] toInts(long[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (int) v[i];
        return r;
    }

    private static long size(Einsum.Plan p, String labels) {
        long s = 1;
        for (char c : labels.toCharArray()) s *= p.size().get(c);
        return s;
    }

    private static boolean repeats(String s) {
        for (int i = 0; i < s.length(); i++) if (s.indexOf(s.charAt(i), i + 1) >= 0) return true;
        return false;
    }
}
