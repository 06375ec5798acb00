package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Rearranges column blocks [N, C * prod(block_shape), L] back into images [N, C, image_shape...], summing
 * where sliding blocks overlap (the inverse of im2col, with strides, dilations and pads).
 */
public final class Col2Im extends OpDef {
    public Col2Im() {
        super("col2im", Signature.builder().input("input").output("output")
                .requiredAttr("image_shape", AttrType.INTS).requiredAttr("block_shape", AttrType.INTS)
                .optionalAttr("dilations", AttrType.INTS).optionalAttr("pads", AttrType.INTS).optionalAttr("strides", AttrType.INTS).build());
    }

    @Override
    public String summary() { return "column blocks back into images, summing overlaps"; }

    private record Geo(int[] img, int[] blk, int[] dil, int[] padBegin, int[] str, int[] cols) {}

    private static Geo geo(dev.kiln.ir.Attrs a) {
        int[] img = a.getIntArray("image_shape"), blk = a.getIntArray("block_shape");
        int r = img.length;
        if (blk.length != r) throw new IllegalArgumentException("block_shape and image_shape differ in length");
        int[] dil = a.has("dilations") ? a.getIntArray("dilations") : ones(r), str = a.has("strides") ? a.getIntArray("strides") : ones(r);
        int[] pads = a.has("pads") ? a.getIntArray("pads") : new int[2 * r];
        if (dil.length != r || str.length != r || pads.length != 2 * r) throw new IllegalArgumentException("dilations, strides and pads must match image_shape's rank");
        int[] pb = new int[r], cols = new int[r];
        for (int i = 0; i < r; i++) {
            pb[i] = pads[i];
            cols[i] = (img[i] + pads[i] + pads[i + r] - (dil[i] * (blk[i] - 1) + 1)) / str[i] + 1;
            if (cols[i] < 1 || str[i] < 1 || dil[i] < 1) throw new IllegalArgumentException("no sliding block fits on axis " + i);
        }
        return new Geo(img, blk, dil, pb, str, cols);
    }

    private static int[] ones(int r) {
        int[] o = new int[r];
        java.util.Arrays.fill(o, 1);
        return o;
    }

    private static int prod(int[] v) {
        int p = 1;
        for (int x : v) p *= x;
        return p;
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        Shape s = cx.shape(0);
        Geo g;
        try {
            g = geo(cx.attrs());
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        int bl = prod(g.blk);
        cx.check(s.rank() == 3 && s.dim(1) % bl == 0 && s.dim(2) == prod(g.cols),
                "input %s must be [N, C * %d, %d] for block_shape and image_shape given", s, bl, prod(g.cols));
        int[] out = new int[2 + g.img.length];
        out[0] = s.dim(0);
        out[1] = s.dim(1) / bl;
        System.arraycopy(g.img, 0, out, 2, g.img.length);
        return List.of(new TensorType(cx.dtype(0), Shape.of(out)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        Geo g = geo(cx.attrs());
        int r = g.img.length, bl = prod(g.blk), L = prod(g.cols), imgSize = prod(g.img);
        int planes = y.shape().dim(0) * y.shape().dim(1);
        double[] acc = new double[y.size()];
        int[] kc = new int[r], cc = new int[r];
        for (int p = 0; p < planes; p++) {
            for (int k = 0; k < bl; k++) {
                for (int i = r - 1, rem = k; i >= 0; i--) { kc[i] = rem % g.blk[i]; rem /= g.blk[i]; }
                for (int c = 0; c < L; c++) {
                    for (int i = r - 1, rem = c; i >= 0; i--) { cc[i] = rem % g.cols[i]; rem /= g.cols[i]; }
                    int off = 0;
                    boolean in = true;
                    for (int i = 0; i < r && in; i++) {
                        int pos = cc[i] * g.str[i] - g.padBegin[i] + kc[i] * g.dil[i];
                        in = pos >= 0 && pos < g.img[i];
                        off = off * g.img[i] + pos;
                    }
                    if (in) acc[p * imgSize + off] += x.getDouble((p * bl + k) * L + c);
                }
            }
        }
        for (int i = 0; i < acc.length; i++) y.setDouble(i, acc[i]);
        return List.of(y);
    }
}
