package dev.kiln.passes;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.ops.Qbottleneck;
import dev.kiln.ops.QuantAttrs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * On targets whose RAM is tight ({@link dev.kiln.backend.Target#ramTight}), turns an int8 inverted-residual body,
 * {@code qconv1x1(qconv_dw(qconv1x1(x)))} with the expanded and depthwise tensors read only by the next stage and
 * more expanded channels than the body's input and output have, into
 * one {@code qbottleneck}, whose kernel expands a band of input rows at a time into a rolling buffer as high as the
 * depthwise window, computes one depthwise row from it and projects that row: the expanded tensor (E channels,
 * several times the input's) is never stored whole. The bytes are the separate convs' (each stage requantizes as
 * before; only the loops are reordered), but the scalar fused kernel costs more instructions than the SMLAD kernels,
 * so bodies are fused only where that lowers the model's peak: greedily, the body whose fusing lowers the peak of
 * live tensor bytes (graph inputs, outputs and constants not counted; the fused kernel's band counted at its step)
 * the most, until no fusing lowers it.
 */
public final class FuseInt8Bottlenecks implements Pass {
    @Override
    public boolean run(Graph g, PassContext cx) {
        // why: the fused kernel trades instructions for RAM, which pays only where RAM is the scarce resource
        if (cx.target() == null || !cx.target().ramTight()) return false;
        List<Node[]> candidates = new ArrayList<>();
        for (Node p : g.nodes()) {
            Node[] b = body(g, p, cx);
            if (b != null) candidates.add(b);
        }
        if (candidates.isEmpty()) return false;
        List<Node[]> fused = new ArrayList<>();
        long peak = peak(g, fused);
        while (true) {
            Node[] best = null;
            long bestPeak = peak;
            for (Node[] b : candidates) {
                // why: a 1x1 conv may be one body's project and the next one's expand (pw, dw, pw, dw, pw): one body takes it
                if (fused.stream().anyMatch(f -> shares(f, b))) continue;
                fused.add(b);
                long p = peak(g, fused);
                fused.remove(fused.size() - 1);
                if (p < bestPeak) {
                    bestPeak = p;
                    best = b;
                }
            }
            // why: a body that does not lower the peak would only cost instructions
            if (best == null) break;
            cx.report(best[0].name() + " + " + best[1].name() + " + " + best[2].name() + " -> qbottleneck (peak live bytes " + peak + " -> " + bestPeak + ")");
            fused.add(best);
            peak = bestPeak;
        }
        for (Node[] b : candidates) if (!fused.contains(b)) cx.skip(b[0].name(), "fusing its body would not lower the peak of " + peak + " live bytes");
        for (Node[] b : fused) fuse(g, b);
        return !fused.isEmpty();
    }

    // qconv1x1(qconv_dw(qconv1x1(x, We, Be), Wd, Bd), Wp, Bp) -> qbottleneck(x, We, Wd, Wp, Be, Bd, Bp)
    private static void fuse(Graph g, Node[] b) {
        Node e = b[0], d = b[1], p = b[2];
        Value out = p.output(0);
        String outName = out.name();
        Node f = g.insertNode(g.nodes().indexOf(p), Ops.QBOTTLENECK, e.name() + "_bottleneck",
                Arrays.asList(e.input(0), e.input(1), d.input(1), p.input(1), e.input(2), d.input(2), p.input(2)),
                Qbottleneck.fusedAttrs(e.attrs(), d.attrs(), p.attrs()), List.of(g.uniqueValueName(outName + "_bottleneck")));
        g.replaceAllUses(out, f.output(0));
        g.removeNode(p);
        g.removeNode(d);
        g.removeNode(e);
        g.renameValue(f.output(0), outName);
    }

    /** The expand, depthwise and project qconvs ending at {@code p}, or null (with the reason noted) where they are not a fusable body. */
    private static Node[] body(Graph g, Node p, PassContext cx) {
        if (p.op() != Ops.QCONV || !pointwise(p)) return null;
        Node d = producerReadOnlyBy(g, p.input(0), p);
        if (d == null || d.op() != Ops.QCONV) return null;
        Node e = producerReadOnlyBy(g, d.input(0), d);
        if (e == null || e.op() != Ops.QCONV || !pointwise(e)) return null;
        int ch = d.input(0).shape().dim(1), in = e.input(0).shape().dim(1), out = p.output(0).shape().dim(1);
        // why: streaming pays where the expanded tensor is wider than both ends (an inverted residual); where the
        // project keeps or widens the channels (MobileNetV1's pw, dw, pw) its output outweighs the band it saves and
        // the depthwise kernels already write over their input
        if (ch <= in || ch <= out) {
            cx.skip(e.name(), "the body " + in + " -> " + ch + " -> " + out + " channels does not expand in the middle");
            return null;
        }
        // why: the kernel walks one 2-D plane per expanded channel with one weight plane each
        if (d.input(0).shape().rank() != 4 || d.attrs().getInt("group", 1) != ch || d.input(1).shape().dim(0) != ch || d.input(3) != null) {
            cx.skip(e.name(), "its consumer " + d.name() + " is not a 2-D depthwise qconv with one output channel per group");
            return null;
        }
        // why: the rolling buffer holds consecutive rows (dilated windows would need more of them)
        long[] dil = d.attrs().getIntsOrNull("dilations");
        if (dil != null && Arrays.stream(dil).anyMatch(v -> v != 1)) {
            cx.skip(e.name(), d.name() + " is dilated");
            return null;
        }
        // why: the kernel reads int8 activations and raw constant weights (no zero points, no int4 cast) with one compact flag
        for (Node n : new Node[] {e, d, p}) {
            Value w = n.input(1);
            if (n.input(0).dtype() != DType.I8 || !w.isConstant() || w.dtype() != DType.I8 || !symmetric(w.type().quant())
                    || n.attrs().getInt(QuantAttrs.COMPACT_MULTIPLIERS, 0) != e.attrs().getInt(QuantAttrs.COMPACT_MULTIPLIERS, 0)) {
                cx.skip(e.name(), n.name() + " reads no int8 input or no constant symmetric int8 weights");
                return null;
            }
        }
        return new Node[] {e, d, p};
    }

    private static boolean shares(Node[] a, Node[] b) {
        for (Node x : a) for (Node y : b) if (x == y) return true;
        return false;
    }

    private static boolean symmetric(QuantParams q) {
        if (q == null) return false;
        for (int c = 0; c < q.channels(); c++) if (q.zeroPoint(c) != 0) return false;
        return true;
    }

    /** The producer of {@code v} when {@code user} is its only reader and it is not a graph output, else null. */
    private static Node producerReadOnlyBy(Graph g, Value v, Node user) {
        if (v == null || v.producer() == null || g.outputs().contains(v) || v.uses().size() != 1 || v.uses().get(0).user() != user) return null;
        return v.producer();
    }

    /** A 1×1 qconv, one group, stride 1, no pads, no residual. */
    private static boolean pointwise(Node n) {
        int[] w = n.input(1).shape().dims();
        if (w.length != 4 || w[2] != 1 || w[3] != 1 || n.attrs().getInt("group", 1) != 1 || n.input(3) != null) return false;
        for (String k : List.of("strides", "pads")) {
            long[] v = n.attrs().getIntsOrNull(k);
            if (v != null && Arrays.stream(v).anyMatch(x -> x != (k.equals("strides") ? 1 : 0))) return false;
        }
        return true;
    }

    /**
     * The most live tensor bytes at any step with the bodies in {@code fused} as single steps: their expanded and
     * depthwise tensors gone, their input read at the project's step, their band buffer live at that step.
     */
    private static long peak(Graph g, List<Node[]> fused) {
        List<Node> nodes = g.nodes();
        Map<Node, Integer> step = new IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) step.put(nodes.get(i), i);
        Map<Value, Boolean> gone = new IdentityHashMap<>();
        long[] live = new long[nodes.size() + 1];
        for (Node[] b : fused) {
            for (Node n : b) step.put(n, step.get(b[2]));
            gone.put(b[0].output(0), true);
            gone.put(b[1].output(0), true);
            live[step.get(b[2])] += Qbottleneck.bandBytes(b[0].input(0).shape(), b[1].input(1).shape(), b[2].output(0).shape(), b[1].attrs());
        }
        for (Node n : nodes) {
            for (Value v : n.outputs()) {
                if (v == null || gone.containsKey(v) || g.outputs().contains(v)) continue;
                int first = step.get(n), last = first;
                for (var u : v.uses()) if (step.containsKey(u.user())) last = Math.max(last, step.get(u.user()));
                for (int s = first; s <= last; s++) live[s] += v.type().byteSize();
            }
        }
        return Arrays.stream(live).max().orElse(0);
    }
}
