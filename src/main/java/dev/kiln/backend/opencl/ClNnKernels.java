package dev.kiln.backend.opencl;

import dev.kiln.backend.Target;
import dev.kiln.kernels.NnKernels;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;

/**
 * OpenCL work sizes and models of the convolution, pooling and matrix-product kernels (see {@link ClLowerings}):
 * large float matrix products (gemm, matmul, and 1x1 convolutions, which are one) run as tiles staged in local
 * memory; other convolutions and pools run one work item per output element.
 */
public final class ClNnKernels {
    private ClNnKernels() {}

    /** Multiply-adds below which a product runs one work item per output (tiles do not pay). */
    private static final long TILED_MIN_MACS = 4096;

    /**
     * A tiled matrix product: Y[q] (m x n) = A[q] (m x k) B[q] (k x n) in tile x tile blocks of local memory, over a
     * 3-d range (columns, rows, batch). A' element (i, p) is {@code a[q * aBatch + i * aRow + p * aInner]}, likewise B.
     */
    public static final class Tiled {
        public long m, n, k, batch, aRow, aInner, bInner, bCol, aBatch, bBatch, yBatch;
        /** Tile side; rows and columns rounded up to it. */
        public int tile;
        /** The pointer names of A and B (the weights of a 1x1 conv are A). */
        public String a, b;
    }

    /** Whether the target stages tiles in local memory and the product is big enough to pay. */
    private static boolean tiles(Target t, long m, long n, long k) {
        return Boolean.parseBoolean(t.property("local-memory", "true")) && m * n * k >= TILED_MIN_MACS && k >= 8;
    }

    private static void tiledRange(ClKernel c, Tiled tl) {
        c.o = tl;
        long t = tl.tile;
        c.items = tl.m * tl.n * tl.batch;
        c.global = new long[] {(tl.n + t - 1) / t * t, (tl.m + t - 1) / t * t, tl.batch};
        c.local = new long[] {t, t, 1};
    }

    /** Convolutions: tiled when 1x1, stride 1, unpadded, one group (a matrix product); else one item per output. */
    public static void conv(ClKernel c, Node n, Target t) {
        NnKernels.Window w = (NnKernels.Window) c.m;
        boolean pointwise = w.taps == 1 && w.groups == 1 && w.inPlane == w.outPlane && w.d.stride == 1 && w.h.stride == 1
                && w.w.stride == 1 && w.d.in == w.d.out && w.h.in == w.h.out && w.w.in == w.w.out;
        if (pointwise && n.output(0).dtype() == DType.F32 && tiles(t, w.outChannels, w.outPlane, w.channels)) {
            Tiled tl = new Tiled();
            tl.m = w.outChannels;
            tl.n = w.outPlane;
            tl.k = w.channels;
            tl.batch = w.batch;
            tl.aRow = w.channels;
            tl.aInner = 1;
            tl.bInner = w.inPlane;
            tl.bCol = 1;
            tl.aBatch = 0;
            tl.bBatch = w.channels * w.inPlane;
            tl.yBatch = w.outChannels * w.outPlane;
            tl.tile = Integer.parseInt(t.property("tile", "16"));
            tl.a = c.k.in1.name;
            tl.b = c.k.x.name;
            tiledRange(c, tl);
            return;
        }
        ClLowerings.linear(c, c.k.n, t);
    }

    /** gemm: tiled for large float products, else one work item per output. */
    public static void gemm(ClKernel c, Node n, Target t) { product(c, t, n.output(0).dtype()); }

    /** matmul: tiled for large float products with affine batch offsets, else one work item per output. */
    public static void matmul(ClKernel c, Node n, Target t) { product(c, t, n.output(0).dtype()); }

    private static void product(ClKernel c, Target t, DType dt) {
        NnKernels.Matmul mm = (NnKernels.Matmul) c.m;
        if (dt == DType.F32 && mm.affine && tiles(t, mm.m, mm.n, mm.k)) {
            Tiled tl = new Tiled();
            tl.m = mm.m;
            tl.n = mm.n;
            tl.k = mm.k;
            tl.batch = mm.batch;
            tl.aRow = mm.aRow;
            tl.aInner = mm.aInner;
            tl.bInner = mm.bInner;
            tl.bCol = mm.bCol;
            tl.aBatch = mm.aBatchStep;
            tl.bBatch = mm.bBatchStep;
            tl.yBatch = mm.mn;
            tl.tile = Integer.parseInt(t.property("tile", "16"));
            tl.a = c.k.x.name;
            tl.b = c.k.in1.name;
            tiledRange(c, tl);
            return;
        }
        ClLowerings.linear(c, mm.batch * mm.mn, t);
    }

    /** Pools and normalizations over planes: one work item per output element (pools) or per plane. */
    public static void globalAveragePool(ClKernel c, Node n, Target t) {
        ClLowerings.linear(c, ((NnKernels.Planes) c.m).planes, t);
    }

    /** One work item per plane. */
    public static void globalMaxPool(ClKernel c, Node n, Target t) {
        ClLowerings.linear(c, ((NnKernels.Planes) c.m).planes, t);
    }

    /** One work item per output plane of a transposed convolution (it scatters into its plane). */
    public static void convTranspose(ClKernel c, Node n, Target t) {
        NnKernels.Window w = (NnKernels.Window) c.m;
        ClLowerings.linear(c, (long) w.batch * w.outChannels, t);
    }

    /** separable_conv: pixels per work-group and the local-memory column of intermediate channels. */
    public static final class Separable {
        /** Work items (pixels) per group; floats of local memory (mid x pixels). */
        public long pixels, localFloats;
    }

    /**
     * separable_conv: one work item per output pixel; a work-group keeps every intermediate (depthwise) channel
     * of its pixels in local memory, as many pixels as the target's local-memory budget holds. The C kernel's
     * scratch row is not needed.
     */
    public static void separableConv(ClKernel c, Node n, Target t) {
        dev.kiln.kernels.SeparableKernels.Separable m = (dev.kiln.kernels.SeparableKernels.Separable) c.m;
        long budget = Long.parseLong(t.property("local-bytes", "16384"));
        long p = Math.max(1, Math.min(ClLowerings.workGroup(t), budget / (4 * Math.max(1, m.mid))));
        Separable s = new Separable();
        s.pixels = p;
        s.localFloats = p * m.mid;
        c.o = s;
        long items = (long) m.dw.batch * m.dw.outPlane;
        c.items = items;
        c.global = new long[] {(items + p - 1) / p * p};
        c.local = new long[] {p};
    }

    /** max_pool: one work item per output element. */
    public static void maxPool(ClKernel c, Node n, Target t) { ClLowerings.linear(c, c.k.n, t); }

    /** average_pool: one work item per output element. */
    public static void averagePool(ClKernel c, Node n, Target t) { ClLowerings.linear(c, c.k.n, t); }

    /** batch_norm: one work item per output element. */
    public static void batchNorm(ClKernel c, Node n, Target t) { ClLowerings.linear(c, c.k.n, t); }

    /** lrn: one work item per output element. */
    public static void lrn(ClKernel c, Node n, Target t) { ClLowerings.linear(c, c.k.n, t); }
}
