package dev.kiln.passes;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.ChannelAffine;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuses the bias add after a batched matmul with one constant 2-D weight ({@code A [..., M, K] · B [K, N] + c[N]},
 * a transformer's linear layer on [batch, tokens, features]) into a gemm over the rows of all batches:
 * {@code reshape(gemm(reshape(A, [P*M, K]), B, c), [..., M, N])}. The reshapes are views; the bias is added in the
 * gemm's store instead of in a pass of its own. {@link FuseBiasAdd} covers the 2-D case.
 */
public final class FuseBatchedBiasAdd implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        boolean changed = false;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (n.op() != Ops.ADD) continue;
            int pi = Rewrites.producerOperand(n, op -> op == Ops.MATMUL);
            if (pi < 0) continue;
            Value y = n.input(pi), c = n.input(1 - pi);
            Node mm = y.producer();
            Shape a = mm.input(0).shape();
            // why: a 2-D product is FuseBiasAdd's; a 1-D A has no row axis to flatten
            if (a.rank() < 3) continue;
            // why: one weight matrix shared by every batch is what lets all rows run as one gemm
            if (!mm.input(1).isConstant() || mm.input(1).shape().rank() != 2 || !y.dtype().isFloat()) {
                cx.skip(n.name(), mm.name() + " has no constant 2-D float weight");
                continue;
            }
            // why: the bias is a constant folded in at compile time
            if (!c.isConstant()) continue;
            // why: a broadcast that grows the product cannot be absorbed by it
            if (!n.output(0).shape().equals(y.shape()) || n.output(0).dtype() != y.dtype()) {
                cx.skip(n.name(), "it broadcasts " + mm.name() + "'s output to " + n.output(0).type());
                continue;
            }
            // why: the product's output is changed for every reader
            if (!Rewrites.onlyUser(g, y, n)) {
                cx.skip(n.name(), "the output of " + mm.name() + " has other readers");
                continue;
            }
            // why: a fused activation runs before the add, a gemm's after its bias
            String why = ChannelAffine.noActivation(mm);
            double[] bias = why == null ? Rewrites.perChannel(c.constant(), y.shape(), y.shape().rank() - 1) : null;
            if (why == null && bias == null) why = "constant " + c.shape() + " is not one value per column";
            if (why != null) {
                cx.skip(n.name(), why);
                continue;
            }
            // matmul(A[..., M, K], B) + c -> reshape(gemm(reshape(A, [P*M, K]), B, c), [..., M, N])
            int k = a.dim(-1), cols = y.shape().dim(-1);
            long rows = a.size() / k;
            String base = mm.name();
            int at = g.nodes().indexOf(mm);
            String rn = g.uniqueNodeName(base + "_rows");
            Value a2 = g.insertNode(at, Ops.RESHAPE, rn, List.of(mm.input(0)), Attrs.of("shape", new long[] {rows, k}), List.of(g.uniqueValueName(rn))).output(0);
            Value cv = g.addConstant(g.uniqueValueName(base + "_bias"), ChannelAffine.affineBias(null, null, bias, cols, y.dtype()));
            String gn = g.uniqueNodeName(base + "_gemm");
            Value r = g.insertNode(at + 1, Ops.GEMM, gn, List.of(a2, mm.input(1), cv), mm.attrs(), List.of(g.uniqueValueName(gn))).output(0);
            long[] dims = new long[y.shape().rank()];
            for (int i = 0; i < dims.length; i++) dims[i] = y.shape().dim(i);
            String on = g.uniqueNodeName(base + "_out");
            Value out = g.insertNode(at + 2, Ops.RESHAPE, on, List.of(r), Attrs.of("shape", dims), List.of(g.uniqueValueName(on))).output(0);
            Rewrites.bypass(g, n, out);
            g.removeNode(mm);
            changed = true;
        }
        if (changed) g.removeUnusedConstants();
        return changed;
    }
}
