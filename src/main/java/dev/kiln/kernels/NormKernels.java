package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;

/** The geometry of the normalization kernels written once in {@code templates/kernels/norm.stg}. */
public final class NormKernels {
    private NormKernels() {}

    /** layer_normalization: rows of {@link #row} elements, one parallel iteration per row. */
    public static final class LayerNorm {
        /** Rows and elements per row. */
        public final long rows, row;
        /** The row length and epsilon as literals of the compute type. */
        public final String rowLiteral, eps;
        /** Whether Scale and B hold one value per element of a row (else one in all); whether B is there. */
        public final boolean scaleRow, hasBias, biasRow;
        /** The Mean and InvStdDev outputs' parameter names, or null when absent. */
        public final String mean, invStd;
        /** The activation applied to each stored element of Y (FuseActivations' epilogue), absent when none. */
        public final Activation act;
        /**
         * Lane-wise partial sums of the mean and the variance on a C vector host ({@link NnKernels#rowLanes}; 0: one
         * running sum, every other target), combined by {@link #halves}.
         */
        public long lanes;
        public boolean lanewise;
        public java.util.List<Long> halves;

        LayerNorm(KernelModel k, Node n) {
            Shape s = n.input(0).shape();
            int a = s.axis(n.attrs().getInt("axis"));
            rows = s.prod(0, a);
            row = s.prod(a, s.rank());
            DType compute = k.ftype.equals("double") ? DType.F64 : DType.F32;
            rowLiteral = ScalarTypes.literal(compute, (double) row);
            eps = ScalarTypes.literal(compute, n.attrs().getFloat("epsilon"));
            scaleRow = n.input(1).shape().numel() == row && row != 1;
            hasBias = n.numInputs() > 2 && n.input(2) != null;
            biasRow = hasBias && n.input(2).shape().numel() == row && row != 1;
            mean = n.outputs().size() > 1 && n.output(1) != null ? k.outs.get(1).name : null;
            invStd = n.outputs().size() > 2 && n.output(2) != null ? k.outs.get(2).name : null;
            act = Activation.fused(n);
        }
    }

    /** layer_normalization: one parallel iteration per normalized row. */
    public static Object layerNormalization(KernelModel k, Node n, Strategy t) {
        LayerNorm m = new LayerNorm(k, n);
        m.lanes = NnKernels.rowLanes(t, k.ftype.equals("double") ? 8 : 4, m.row);
        m.lanewise = m.lanes > 0;
        m.halves = NnKernels.halves(m.lanes);
        k.parallel = m.rows;
        // why: float only, compared within a tolerance, so products and sums may fuse into FMAs
        k.fpContract = true;
        return m;
    }
}
