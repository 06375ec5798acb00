package dev.kiln.kernels;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ops.Einsum;
import java.util.ArrayList;
import java.util.List;

/**
 * The geometry of the attention-family kernels written once in {@code templates/kernels/attention.stg}: ONNX
 * Attention, RotaryEmbedding, LinearAttention and Einsum's generic loop. Java computes every stride and bound;
 * the bodies only index with them.
 */
public final class AttentionKernels {
    private AttentionKernels() {}

    /** Largest per-row private array (scores, a head's state) a kernel declares, in elements. */
    static final long MAX_PRIVATE = 16384;

    /** The compute type of a kernel (float or double). */
    private static DType compute(KernelModel k) { return k.ftype.equals("double") ? DType.F64 : DType.F32; }

    /** The name of optional input {@code i}, or null when absent. */
    private static String in(KernelModel k, int i) { return k.ins.size() > i && k.ins.get(i).present ? k.ins.get(i).name : null; }

    /** The name of optional output {@code i}, or null when absent. */
    private static String out(KernelModel k, int i) { return k.outs.size() > i && k.outs.get(i).present ? k.outs.get(i).name : null; }

    /** Strides of batch, head and sequence position of a [B, S, H * D] (three) or [B, H, S, D] tensor. */
    private static long[] bhs(boolean three, int heads, int seq, int size) {
        return three ? new long[] {(long) seq * heads * size, size, (long) heads * size} : new long[] {(long) heads * seq * size, (long) seq * size, size};
    }

    /**
     * attention: one parallel iteration per query row (batch, query head, position) in Y's order; a row computes
     * its scores against every key (past then current), masks, softmax, and the probabilities times V. The rows of
     * a K/V head's first query head also copy present_key/present_value rows {@code qi, qi + sq, ...}.
     */
    public static final class Attention {
        public final long rows, sq, hq, group, total, past, dk, dv;
        /** Strides (batch, head, position) of Q, K, V, Y; of past and present K/V ([B, Hkv, S, D]). */
        public final long qb, qh, qs, kb, kh, ks, vb, vh, vs, yb, yh, ys, pkb, pkh, pvb, pvh, tkb, tkh, tvb, tvh;
        /** Parameter names of the optional tensors, or null. */
        public final String mask, pastKey, pastValue, nonpad, presentKey, presentValue, qk;
        /** The mask's strides against (b, h, i, j) (0 where broadcast) and its keys; whether it is bool. */
        public final long maskB, maskH, maskI, maskJ, maskKeys;
        public final boolean maskBool, causal, softcapped, hasLeft, hasRight;
        /** Whether past rows exist; whether rows copy present_key/value; whether the causal or window offset is needed. */
        public final boolean hasPast, copiesPresent, needsOffset;
        public final long left, right;
        /** sqrt(scale) (each of Q and K is scaled by it), the softcap, -infinity: literals of the compute type. */
        public final String sc, softcap, negInf;
        /** qk_matmul_output_mode: the raw product (0, 1), with bias (2), after softmax (3). */
        public final boolean qkRaw, qkBias, qkSoftmax;
        /** Each step rounded to f16/bf16 (a widened f16/bf16 attention), or null. */
        public final StepRounding steps;

        Attention(KernelModel k, Node n) {
            Attrs a = n.attrs();
            Shape q = n.input(0).shape(), kk = n.input(1).shape(), v = n.input(2).shape(), y = n.output(0).shape();
            boolean three = q.rank() == 3;
            int b = q.dim(0);
            int hqi = three ? (int) a.getInt("q_num_heads") : q.dim(1), hkv = three ? (int) a.getInt("kv_num_heads") : kk.dim(1);
            int sqi = three ? q.dim(1) : q.dim(2), skv = three ? kk.dim(1) : kk.dim(2);
            int dki = three ? q.dim(2) / hqi : q.dim(3), dvi = three ? v.dim(2) / hkv : v.dim(3);
            int pastI = n.numInputs() > 4 && n.input(4) != null ? n.input(4).shape().dim(2) : 0;
            sq = sqi;
            hq = hqi;
            group = hqi / hkv;
            past = pastI;
            total = pastI + skv;
            dk = dki;
            dv = dvi;
            rows = (long) b * hqi * sqi;
            if (total > MAX_PRIVATE || dv > MAX_PRIVATE) throw new Unsupported("attention over " + total + " keys of head size " + dv + " exceeds the kernel's private rows (" + MAX_PRIVATE + ")");
            long[] s = bhs(three, hqi, sqi, dki);
            qb = s[0]; qh = s[1]; qs = s[2];
            s = bhs(three, hkv, skv, dki);
            kb = s[0]; kh = s[1]; ks = s[2];
            s = bhs(three, hkv, skv, dvi);
            vb = s[0]; vh = s[1]; vs = s[2];
            s = bhs(y.rank() == 3, hqi, sqi, dvi);
            yb = s[0]; yh = s[1]; ys = s[2];
            pkb = (long) hkv * pastI * dki; pkh = (long) pastI * dki;
            pvb = (long) hkv * pastI * dvi; pvh = (long) pastI * dvi;
            tkb = (long) hkv * total * dki; tkh = total * dki;
            tvb = (long) hkv * total * dvi; tvh = total * dvi;
            mask = in(k, 3);
            pastKey = in(k, 4);
            pastValue = in(k, 5);
            nonpad = in(k, 6);
            presentKey = out(k, 1);
            presentValue = out(k, 2);
            qk = out(k, 3);
            if (mask != null) {
                Shape m = n.input(3).shape();
                int r = m.rank();
                int[] st = m.strides();
                long[] ms = new long[4];
                for (int x = 0; x < r; x++) if (m.dim(x) != 1) ms[4 - r + x] = st[x];
                maskB = ms[0]; maskH = ms[1]; maskI = ms[2]; maskJ = ms[3];
                maskKeys = m.dim(-1);
                maskBool = n.input(3).dtype() == DType.BOOL;
            } else {
                maskB = maskH = maskI = maskJ = maskKeys = 0;
                maskBool = false;
            }
            causal = a.getInt("is_causal") != 0;
            left = a.getInt("left_window_size");
            right = a.getInt("right_window_size");
            hasLeft = left >= 0;
            hasRight = right >= 0;
            hasPast = pastKey != null && pastI > 0;
            copiesPresent = presentKey != null || presentValue != null;
            needsOffset = causal || hasLeft || hasRight;
            DType c = compute(k);
            double scale = a.has("scale") ? a.getFloat("scale") : 1 / Math.sqrt(dki);
            steps = StepRounding.of(k, n);
            DType st = dev.kiln.ops.RoundingSteps.of(a, n.input(0).dtype());
            // why: the interpreter rounds sqrt(scale) to the type whose steps it rounds
            sc = ScalarTypes.literal(c, st != null ? dev.kiln.ops.RoundingSteps.round(st, Math.sqrt(scale)) : Math.sqrt(scale));
            double cap = a.getFloat("softcap");
            softcapped = cap > 0;
            softcap = ScalarTypes.literal(c, cap);
            negInf = ScalarTypes.literal(c, Double.NEGATIVE_INFINITY);
            int mode = (int) a.getInt("qk_matmul_output_mode");
            qkRaw = qk != null && mode <= 1;
            qkBias = qk != null && mode == 2;
            qkSoftmax = qk != null && mode == 3;
        }
    }

    /** attention: one parallel iteration per query row. */
    public static Object attention(KernelModel k, Node n, Strategy t) {
        Attention m = new Attention(k, n);
        k.parallel = m.rows;
        // why: float only, compared within a tolerance, so products and sums may fuse into FMAs
        k.fpContract = true;
        return m;
    }

    /** rotary_embedding: one parallel iteration per (batch, position, head) row of X. */
    public static final class Rotary {
        public final long rows, seq, heads, half, rd, d, xb, xs, xh, positions;
        public final boolean interleaved, copyTail;
        /** position_ids' parameter name, or null (the caches are then [B, S, R/2]). */
        public final String pos;

        Rotary(KernelModel k, Node n) {
            Shape x = n.input(0).shape();
            boolean four = x.rank() == 4;
            int h = four ? x.dim(1) : (int) n.attrs().getInt("num_heads");
            int s = four ? x.dim(2) : x.dim(1);
            int dd = four ? x.dim(3) : x.dim(2) / h;
            long r = n.attrs().getInt("rotary_embedding_dim");
            rd = r == 0 ? dd : r;
            half = rd / 2;
            d = dd;
            seq = s;
            heads = h;
            rows = (long) x.dim(0) * s * h;
            long[] st = bhs(!four, h, s, dd);
            xb = st[0]; xh = st[1]; xs = st[2];
            interleaved = n.attrs().getInt("interleaved") != 0;
            copyTail = rd < dd;
            pos = in(k, 3);
            positions = n.input(1).shape().dim(0);
        }
    }

    /** rotary_embedding: one parallel iteration per head row; Y may take X's buffer (each row reads before it writes). */
    public static Object rotaryEmbedding(KernelModel k, Node n, Strategy t) {
        Rotary m = new Rotary(k, n);
        k.parallel = m.rows;
        return m;
    }

    /** linear_attention: one parallel iteration per (batch, kv head), which runs the recurrence over time. */
    public static final class Linear {
        public final long rows, hkv, t, group, dk, dv, state, qRow, kRow, vRow, yRow, decayLast, betaLast;
        public final String past, decay, beta, present, scale;
        /** Whether decay holds one value per key feature (else one per head); whether beta holds one per head. */
        public final boolean decayPerKey, betaPerHead;

        Linear(KernelModel k, Node n) {
            Shape q = n.input(0).shape(), v = n.input(2).shape();
            int hq = (int) n.attrs().getInt("q_num_heads");
            hkv = n.attrs().getInt("kv_num_heads");
            t = q.dim(1);
            group = hq / hkv;
            dk = q.dim(2) / hq;
            dv = v.dim(2) / hkv;
            state = dk * dv;
            if (state > MAX_PRIVATE) throw new Unsupported("linear attention state of " + dk + " x " + dv + " exceeds the kernel's private state (" + MAX_PRIVATE + " elements)");
            rows = q.dim(0) * hkv;
            qRow = q.dim(2);
            kRow = n.input(1).shape().dim(2);
            vRow = v.dim(2);
            yRow = (long) hq * dv;
            past = in(k, 3);
            decay = in(k, 4);
            beta = in(k, 5);
            present = out(k, 1);
            decayLast = decay == null ? 0 : n.input(4).shape().dim(2);
            betaLast = beta == null ? 0 : n.input(5).shape().dim(2);
            decayPerKey = decay != null && decayLast != hkv;
            betaPerHead = beta != null && betaLast != 1;
            double sc = n.attrs().getFloat("scale");
            scale = ScalarTypes.literal(compute(k), sc == 0 ? 1 / Math.sqrt(dk) : sc);
        }
    }

    /** linear_attention: one parallel iteration per kv head of each batch. */
    public static Object linearAttention(KernelModel k, Node n, Strategy t) {
        Linear m = new Linear(k, n);
        k.parallel = m.rows;
        k.fpContract = true;
        return m;
    }

    /** One operand of an einsum: its parameter name and its offset as terms of the output index and the reduction index. */
    public static final class Operand {
        public final String name;
        public final List<TensorInfo.Term> outer, inner;

        Operand(String name, List<TensorInfo.Term> outer, List<TensorInfo.Term> inner) {
            this.name = name;
            this.outer = outer;
            this.inner = inner;
        }
    }

    /** einsum: each output element sums, over the reduction index r, the product of the operands at their offsets. */
    public static final class Sum {
        public final List<Operand> operands = new ArrayList<>();
        /** Elements of the reduction (the product of the summed labels' sizes; 1 when none). */
        public final long inner;
        /** The accumulator's C type. */
        public final String acc;

        Sum(KernelModel k, Node n) {
            List<Shape> shapes = new ArrayList<>();
            for (int i = 0; i < n.numInputs(); i++) shapes.add(n.input(i).shape());
            Einsum.Plan p = Einsum.plan(n.attrs().getString("equation"), shapes);
            List<Character> labels = new ArrayList<>();
            for (char ch : p.out().toCharArray()) labels.add(ch);
            for (Character ch : p.size().keySet()) if (!labels.contains(ch)) labels.add(ch);
            int no = p.out().length(), nl = labels.size();
            long[] dims = new long[nl];
            for (int i = 0; i < nl; i++) dims[i] = p.size().get(labels.get(i));
            long in = 1;
            for (int i = no; i < nl; i++) in *= dims[i];
            inner = in;
            for (int op = 0; op < n.numInputs(); op++) {
                String t = p.ins().get(op);
                Shape s = shapes.get(op);
                int[] st = s.strides();
                long[] stride = new long[nl];
                for (int a = 0; a < t.length(); a++) if (s.dim(a) != 1) stride[labels.indexOf(t.charAt(a))] += st[a];
                operands.add(new Operand(k.ins.get(op).name, terms(dims, stride, 0, no), terms(dims, stride, no, nl)));
            }
            DType o = n.output(0).dtype();
            acc = o.isFloat() ? k.ftype : o.isSigned() ? "int64_t" : "uint64_t";
        }

        /** Offset terms {@code (idx / div) % mod * mul} of labels [from, to) within their row-major index. */
        private static List<TensorInfo.Term> terms(long[] dims, long[] stride, int from, int to) {
            List<TensorInfo.Term> r = new ArrayList<>();
            long div = 1;
            for (int i = to - 1; i >= from; i--) {
                if (stride[i] != 0 && dims[i] != 1) r.add(new TensorInfo.Term(div, dims[i], stride[i]));
                div *= dims[i];
            }
            return r;
        }
    }

    /** einsum: one parallel iteration per output element (a generic loop; matrix-product equations could do better). */
    public static Object einsum(KernelModel k, Node n, Strategy t) {
        Sum m = new Sum(k, n);
        if (n.output(0).dtype().isFloat()) k.fpContract = true;
        return m;
    }
}
