package dev.kiln.kernels;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Recurrent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The geometry of the recurrent kernels (rnn, gru, lstm) written once in {@code templates/kernels/recurrent.stg}:
 * one parallel iteration per (direction, batch entry) runs that sequence's time loop. Each step adds the gate
 * products {@code x_t W^T} and {@code h R^T} row by row into scratch vectors (the step's only memory, planned in
 * the arena), then the cell. On a serial target constant W and R are packed at compile time as
 * {@code [dirs, in, gates x hidden]}, so the products run along contiguous gate rows; the parallel dialect reads
 * them as the graph holds them. Everything the template indexes with is a stride computed here.
 */
public final class RecurrentKernels {
    private RecurrentKernels() {}

    /** The activation function name of {@link Recurrent#FUNCTIONS} to its scalar template. */
    private static final Map<String, String> TEMPLATES = Map.ofEntries(
            Map.entry("relu", "scalar_relu"), Map.entry("tanh", "scalar_tanh"), Map.entry("sigmoid", "scalar_sigmoid"),
            Map.entry("leakyrelu", "scalar_leaky_relu"), Map.entry("elu", "scalar_elu"),
            Map.entry("hardsigmoid", "scalar_hard_sigmoid"), Map.entry("softplus", "scalar_softplus"),
            Map.entry("affine", "recurrent_affine"), Map.entry("scaledtanh", "recurrent_scaled_tanh"),
            Map.entry("thresholdedrelu", "recurrent_thresholded_relu"), Map.entry("softsign", "recurrent_softsign"));

    /** Float gates: the dialect's vectorisable sigmoid and tanh (C: kiln_runtime.h's, without a libm call per element). */
    private static final Map<String, String> FLOAT_TEMPLATES = Map.of("sigmoid", "recurrent_sigmoid", "tanh", "recurrent_tanh");

    /** One direction's activation functions (f, g, h as the op has them), and which direction(s) use them. */
    public static final class Cell {
        /** The direction this set is for; whether it is the first set, and whether it is the only one (no test on d). */
        public final long dir;
        public final boolean first, only;
        public final Activation f, g, h;

        Cell(long dir, boolean first, boolean only, Activation[] a) {
            this.dir = dir;
            this.first = first;
            this.only = only;
            f = a[0];
            g = a.length > 1 ? a[1] : null;
            h = a.length > 2 ? a[2] : null;
        }
    }

    /** One gate product {@code acc[r] += sum_j vec_j * w[d, r, j]} over gate rows {@code lo <= r < hi}. */
    public static final class Product {
        public final long cols, lo, hi, dirStride, rowStride, colStride;
        /** Whether rows are contiguous (packed) and run {@link #block} at a time in registers. */
        public final boolean blocked;
        public final long block;
        /**
         * Whether the dialect's SIMD vectors hold the accumulators ({@link #vectors} of {@link #lanes} elements,
         * {@link #vectorBytes} each, so {@link #vectorRows} rows at a time); the plain blocked form is its fallback.
         */
        public final boolean vector;
        public final long lanes, vectors, vectorRows, vectorBytes;

        Product(long cols, long lo, long hi, long dirStride, long rowStride, long colStride, long block, Strategy t, long elementBytes) {
            this.cols = cols;
            this.lo = lo;
            this.hi = hi;
            this.dirStride = dirStride;
            this.rowStride = rowStride;
            this.colStride = colStride;
            this.blocked = rowStride == 1 && block > 1;
            this.block = block;
            vectorBytes = t.vectorBytes();
            lanes = vectorBytes / elementBytes;
            // why: as many accumulators as half the register file holds (32 vector registers with AVX-512's 64-byte
            // vectors, 16 otherwise), so the whole gate range streams through in few passes over contiguous
            // weights and each accumulator is an independent FMA chain
            long most = vectorBytes >= 64 ? 16 : 8, n = 0;
            if (blocked && lanes > 1 && (hi - lo) % lanes == 0)
                for (long m = most; m >= 1 && n == 0; m--) if ((hi - lo) % (m * lanes) == 0) n = m;
            vector = n > 0;
            vectors = n;
            vectorRows = n * lanes;
        }
    }

    /** The kernel model {@code m} of a recurrent node. */
    public static final class Recurrence {
        /** The cell's template name ({@code lstm_cell}, {@code gru_cell}, {@code rnn_cell}). */
        public final String cell;
        public final long seq, batch, input, hidden, rows, dirs;
        /** Bias elements per direction (W's then R's), peephole elements per direction (i, o, f), 2 x hidden. */
        public final long biasD, peepD, hidden2;
        /**
         * Gate rows whose recurrent product is taken from the previous h at the start of a step: all, except GRU
         * without linear_before_reset, whose h gate multiplies (r . h) after r is known.
         */
        public final long stepRows;
        /** Whether the cell keeps a cell state c (LSTM). */
        public final boolean cellState;
        /** Element strides: X per step and batch entry; Y per step, direction, batch entry; states per direction, batch entry. */
        public final long xT, xB, yT, yD, yB, sD, sB;
        /** W and R: per direction, per gate row, per input column. */
        public final long wD, wRow, wCol, rD, rRow, rCol;
        /** Whether direction 0 walks backwards (reverse); whether there is a second, backward direction. */
        public final boolean reverse, bidirectional;
        /** Which optional inputs and outputs are there. */
        public final boolean hasBias, hasLens, hasH0, hasC0, hasPeep, hasYh, hasYc;
        /** Clip: whether, its bound as a literal; LSTM's input_forget; GRU's linear_before_reset. */
        public final boolean clip, inputForget, linearBeforeReset;
        public final String clipValue;
        /**
         * Offsets in the float scratch of one iteration: input part, recurrent part, h, c, a temporary, the input
         * projection of every step ({@link #projected}); floats per iteration.
         */
        public final long offA, offR, offH, offC, offT, offP, per;
        /**
         * Whether the input products of all steps are taken before the time loop as one blocked matrix product into
         * scratch ({@code seq x rows} floats per iteration), {@link #tile} steps at a time so each packed weight is
         * loaded once per tile; a step then only copies its row. Speed targets with SIMD only: on an MCU the
         * per-step product keeps the arena at one step's gates.
         */
        public final boolean projected;
        /** Steps per projection tile; the steps the whole tiles cover; whether there are whole tiles, single steps after them. */
        public final long tile, tiledSeq;
        public final boolean tiledSteps, tailSteps;
        /** The products: input (W, all rows), recurrent at the start of a step, GRU's reset one (h gate rows, or null). */
        public final Product inputProduct, stepProduct, resetProduct;
        /** The activation sets, one per direction unless both directions use the same. */
        public final List<Cell> cells = new ArrayList<>();

        Recurrence(KernelModel k, Node n, Strategy t) {
            Recurrent op = (Recurrent) n.op();
            Attrs a = n.attrs();
            Value x = n.input(0), w = n.input(1), r = n.input(2);
            Recurrent.Geometry g = Recurrent.Geometry.of(x.shape(), w.shape().dim(1), op.gates(), a);
            cell = n.op().name() + "_cell";
            seq = g.seq();
            batch = g.batch();
            input = g.input();
            hidden = g.hidden();
            rows = (long) op.gates() * hidden;
            dirs = g.dirs();
            biasD = 2 * rows;
            peepD = 3 * hidden;
            hidden2 = 2 * hidden;
            cellState = op.gates() == 4;
            xT = g.xT();
            xB = g.xB();
            yT = g.yT();
            yD = g.yD();
            yB = g.yB();
            sD = g.sD();
            sB = g.sB();
            // why: packed layouts are only emitted for a constant this node alone reads (CBackend.packedData), and
            // only serial kernels read them
            boolean packW = t.serial() && w.isConstant() && w.uses().size() == 1;
            boolean packR = t.serial() && r.isConstant() && r.uses().size() == 1;
            if (packW) k.packed.put(1, pack(w.constant(), (int) dirs, (int) rows, (int) input));
            if (packR) k.packed.put(2, pack(r.constant(), (int) dirs, (int) rows, (int) hidden));
            wD = rows * input;
            wRow = packW ? 1 : input;
            wCol = packW ? rows : 1;
            rD = rows * hidden;
            rRow = packR ? 1 : hidden;
            rCol = packR ? rows : 1;
            String dir = a.getString("direction");
            reverse = dir.equals("reverse");
            bidirectional = dir.equals("bidirectional");
            hasBias = present(n, 3);
            hasLens = present(n, 4);
            hasH0 = present(n, 5);
            hasC0 = op.gates() == 4 && present(n, 6);
            hasPeep = op.gates() == 4 && present(n, 7);
            hasYh = n.outputs().size() > 1 && n.output(1) != null;
            hasYc = n.outputs().size() > 2 && n.output(2) != null;
            DType compute = k.ftype.equals("double") ? DType.F64 : DType.F32;
            double c = a.getFloat("clip");
            clip = c > 0;
            clipValue = ScalarTypes.literal(compute, c);
            inputForget = a.getInt("input_forget", 0) != 0;
            linearBeforeReset = a.getInt("linear_before_reset", 0) != 0;
            stepRows = op.gates() == 3 && !linearBeforeReset ? 2 * hidden : rows;
            offA = 0;
            offR = rows;
            offH = 2 * rows;
            offC = offH + hidden;
            offT = offC + hidden;
            // why: one product over all steps reuses each weight across a tile of steps (the per-step product reads
            // all of W once per step); it needs seq x rows floats of scratch, which a speed target with SIMD can spare
            projected = packW && t.optimizeForSpeed() && t.vectorBytes() > 0;
            offP = offT + hidden;
            per = offP + (projected ? seq * rows : 0);
            tile = 4;
            tiledSeq = seq - seq % tile;
            tiledSteps = tiledSeq > 0;
            tailSteps = tiledSeq < seq;
            // why: a block of rows stays in registers over all columns; it divides the hidden size so every gate
            // range (multiples of hidden) splits evenly; twice the vector width hides the FMA latency
            long block = 1;
            for (long b : new long[] {Math.max(4, 2L * t.vectorBytes() / 4), 16, 8, 4, 2})
                if (block == 1 && b <= 32 && hidden % b == 0) block = b;
            long eb = k.ftype.equals("double") ? 8 : 4;
            inputProduct = new Product(input, 0, rows, wD, wRow, wCol, block, t, eb);
            stepProduct = new Product(hidden, 0, stepRows, rD, rRow, rCol, block, t, eb);
            resetProduct = stepRows < rows ? new Product(hidden, stepRows, rows, rD, rRow, rCol, block, t, eb) : null;
            String[] f = op.activations(a);
            double[] alpha = op.activationParams(a, false), beta = op.activationParams(a, true);
            int fns = op.functions();
            boolean same = dirs == 1 || Arrays.equals(Arrays.copyOfRange(f, 0, fns), Arrays.copyOfRange(f, fns, 2 * fns))
                    && Arrays.equals(Arrays.copyOfRange(alpha, 0, fns), Arrays.copyOfRange(alpha, fns, 2 * fns))
                    && Arrays.equals(Arrays.copyOfRange(beta, 0, fns), Arrays.copyOfRange(beta, fns, 2 * fns));
            for (int d = 0; d < (same ? 1 : dirs); d++) {
                Activation[] set = new Activation[fns];
                for (int i = 0; i < fns; i++) {
                    int j = d * fns + i;
                    String tp = compute == DType.F32 ? FLOAT_TEMPLATES.getOrDefault(f[j], TEMPLATES.get(f[j])) : TEMPLATES.get(f[j]);
                    set[i] = Activation.of(tp, Attrs.of("alpha", alpha[j], "beta", beta[j]), compute);
                }
                cells.add(new Cell(d, d == 0, same, set));
            }
        }
    }

    private static boolean present(Node n, int i) { return n.numInputs() > i && n.input(i) != null; }

    /** {@code [dirs, rows, cols]} transposed per direction to {@code [dirs, cols, rows]}. */
    static NdArray pack(NdArray a, int dirs, int rows, int cols) {
        NdArray p = NdArray.zeros(a.dtype(), dev.kiln.ir.Shape.of(dirs, cols, rows));
        for (int d = 0; d < dirs; d++)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) p.setDouble((d * cols + j) * rows + i, a.getDouble((d * rows + i) * cols + j));
        return p;
    }

    private static Object lower(KernelModel k, Node n, Strategy t) {
        Recurrence m = new Recurrence(k, n, t);
        k.parallel = m.dirs * m.batch;
        k.scratchBytes = m.per * k.parallel * (k.ftype.equals("double") ? 8 : 4);
        // why: float only, compared within a tolerance, so products and sums may fuse into FMAs
        k.fpContract = true;
        return m;
    }

    /** rnn: one parallel iteration per (direction, batch entry). */
    public static Object rnn(KernelModel k, Node n, Strategy t) { return lower(k, n, t); }

    /** gru: one parallel iteration per (direction, batch entry). */
    public static Object gru(KernelModel k, Node n, Strategy t) { return lower(k, n, t); }

    /** lstm: one parallel iteration per (direction, batch entry). */
    public static Object lstm(KernelModel k, Node n, Strategy t) { return lower(k, n, t); }
}
