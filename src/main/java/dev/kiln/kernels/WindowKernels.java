package dev.kiln.kernels;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ops.ConvGeometry;
import java.util.ArrayList;
import java.util.List;

/**
 * The geometry of the sliding-window kernels written once in {@code templates/kernels/window.stg}: MaxPool's
 * Indices output, MaxUnpool and Col2Im. Windows are walked at run time from per-axis numbers (no offset tables),
 * so one body serves every rank.
 */
public final class WindowKernels {
    private WindowKernels() {}

    /**
     * One spatial axis: output position {@code (j / odiv) % odim}, kernel tap {@code (q / kdiv) % kdim}, the input
     * position {@code o * stride - pad + tap * dil} (inside when below {@code in}), its row-major stride and, for
     * storage_order 1, its column-major one.
     */
    public static final class Axis {
        public final long odiv, odim, kdiv, kdim, stride, pad, dil, in, inStride, colStride;

        Axis(long odiv, long odim, long kdiv, long kdim, long stride, long pad, long dil, long in, long inStride, long colStride) {
            this.odiv = odiv;
            this.odim = odim;
            this.kdiv = kdiv;
            this.kdim = kdim;
            this.stride = stride;
            this.pad = pad;
            this.dil = dil;
            this.in = in;
            this.inStride = inStride;
            this.colStride = colStride;
        }
    }

    private static long[] rowStrides(int[] d) {
        long[] s = new long[d.length];
        long p = 1;
        for (int i = d.length - 1; i >= 0; i--) {
            s[i] = p;
            p *= d[i];
        }
        return s;
    }

    /** max_pool_indices: per output element of each plane, the first maximum's flat position in the input. */
    public static final class PoolIndices {
        public final long outSize, inSize, taps;
        public final boolean colMajor;
        public final List<Axis> axes = new ArrayList<>();

        PoolIndices(Node n) {
            Attrs a = n.attrs();
            Shape x = n.input(0).shape();
            ConvGeometry g = ConvGeometry.of(a, ConvGeometry.spatial(x), null, a.getInt("ceil_mode", 0) == 1);
            outSize = g.outSize();
            inSize = g.inSize();
            taps = g.kernelSize();
            colMajor = a.getInt("storage_order") == 1;
            long[] os = rowStrides(g.out), ks = rowStrides(g.kernel), is = rowStrides(g.in);
            long col = 1;
            for (int i = 0; i < g.rank(); i++) {
                axes.add(new Axis(os[i], g.out[i], ks[i], g.kernel[i], g.strides[i], g.padsBegin[i], g.dilations[i], g.in[i], is[i], col));
                col *= g.in[i];
            }
        }
    }

    /** max_pool_indices: one parallel iteration per output element. */
    public static Object maxPoolIndices(KernelModel k, Node n, Strategy t) { return new PoolIndices(n); }

    /** max_unpool: zeros, then each input element written where its index (in the inferred unpooled shape) says. */
    public static final class Unpool {
        public final List<TensorInfo.Term> terms;
        public final long inferred;

        Unpool(Node n) {
            Shape x = n.input(0).shape(), out = n.output(0).shape();
            int[] k = n.attrs().getIntArray("kernel_shape");
            int r = k.length;
            int[] s = n.attrs().has("strides") ? n.attrs().getIntArray("strides") : null, p = n.attrs().has("pads") ? n.attrs().getIntArray("pads") : null;
            int[] d = x.dims();
            for (int i = 0; i < r; i++) d[i + 2] = (d[i + 2] - 1) * (s == null ? 1 : s[i]) - (p == null ? 0 : p[i] + p[i + r]) + k[i];
            terms = IndexKernels.terms(d, out.strides(), -1);
            inferred = Shape.of(d).numel();
        }
    }

    /** max_unpool: one iteration (duplicate indices keep the last, as the interpreter does). */
    public static Object maxUnpool(KernelModel k, Node n, Strategy t) {
        k.parallel = 1;
        return new Unpool(n);
    }

    /**
     * col2im: output element (p, pos) sums the column entries (p * blocks + tap, col) of every block tap whose
     * column lands on pos; per axis the column is {@code (pos + pad - tap * dil) / stride} when that divides and is
     * below {@code cols} (Axis.odim is the image size, Axis.in the column count, Axis.inStride the column stride).
     */
    public static final class Col2Im {
        public final long image, blocks, columns;
        public final List<Axis> axes = new ArrayList<>();

        Col2Im(Node n) {
            Attrs a = n.attrs();
            int[] img = a.getIntArray("image_shape"), blk = a.getIntArray("block_shape");
            int r = img.length;
            int[] dil = a.has("dilations") ? a.getIntArray("dilations") : null, str = a.has("strides") ? a.getIntArray("strides") : null;
            int[] pads = a.has("pads") ? a.getIntArray("pads") : new int[2 * r];
            int[] cols = new int[r];
            for (int i = 0; i < r; i++) {
                int d = dil == null ? 1 : dil[i], s = str == null ? 1 : str[i];
                cols[i] = (img[i] + pads[i] + pads[i + r] - (d * (blk[i] - 1) + 1)) / s + 1;
            }
            long[] os = rowStrides(img), ks = rowStrides(blk), cs = rowStrides(cols);
            long im = 1, bl = 1, co = 1;
            for (int i = 0; i < r; i++) {
                axes.add(new Axis(os[i], img[i], ks[i], blk[i], str == null ? 1 : str[i], pads[i], dil == null ? 1 : dil[i], cols[i], cs[i], 0));
                im *= img[i];
                bl *= blk[i];
                co *= cols[i];
            }
            image = im;
            blocks = bl;
            columns = co;
        }
    }

    /** col2im: one parallel iteration per output element. */
    public static Object col2im(KernelModel k, Node n, Strategy t) {
        k.fpContract = true;
        return new Col2Im(n);
    }
}
