package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Deformable 2-D convolution: each kernel tap reads X bilinearly (zeros outside) at its regular position plus a
 * learned (dy, dx) from {@code offset} [N, offset_group * kh * kw * 2, oh, ow], scaled by {@code mask}
 * [N, offset_group * kh * kw, oh, ow] when given; grouped like conv, plus bias B.
 */
public final class DeformConv extends OpDef {
    public DeformConv() {
        super("deform_conv", ConvGeometry.windowAttrs(Signature.builder().input("X", "W", "offset").optionalInput("B", "mask").output("Y"))
                .attr("group", AttrType.INT, 1L).attr("offset_group", AttrType.INT, 1L).build(), Trait.MAC);
    }

    @Override
    public String summary() { return "deformable 2-D convolution (offsets, optional mask)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        for (int i = 1; i < 5; i++) if (cx.has(i)) cx.checkSameDType(0, i);
        Shape x = cx.shape(0), w = cx.shape(1), off = cx.shape(2);
        long group = cx.attrs().getInt("group"), og = cx.attrs().getInt("offset_group");
        cx.check(x.rank() == 4 && w.rank() == 4, "deform_conv takes 2-D images: X %s, W %s", x, w);
        cx.check(group >= 1 && og >= 1 && x.dim(1) == w.dim(1) * group && w.dim(0) % group == 0 && x.dim(1) % og == 0,
                "channels of X %s and W %s do not fit group %d and offset_group %d", x, w, group, og);
        ConvGeometry g;
        try {
            g = ConvGeometry.forConv(cx.attrs(), x, w);
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        Shape y = g.outputShape(x.dim(0), w.dim(0));
        int taps = g.kernelSize();
        cx.check(off.equals(Shape.of(x.dim(0), (int) og * taps * 2, y.dim(2), y.dim(3))), "offset %s must be [N, %d, %d, %d]", off, og * taps * 2, y.dim(2), y.dim(3));
        if (cx.has(3)) cx.check(cx.shape(3).equals(Shape.of(w.dim(0))), "B %s must be [%d]", cx.shape(3), w.dim(0));
        if (cx.has(4)) cx.check(cx.shape(4).equals(Shape.of(x.dim(0), (int) og * taps, y.dim(2), y.dim(3))), "mask %s must be [N, %d, oh, ow]", cx.shape(4), og * taps);
        return List.of(new TensorType(cx.dtype(0), y));
    }

    @Override
    public long macs(dev.kiln.ir.Node n) { return filterMacs(n.output(0), n.input(1)); }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), wt = cx.input(1), off = cx.input(2), bias = cx.input(3), mask = cx.input(4);
        NdArray y = cx.newOutput(0);
        Shape xs = x.shape(), ws = wt.shape();
        ConvGeometry g = ConvGeometry.forConv(cx.attrs(), xs, ws);
        int n = xs.dim(0), ic = xs.dim(1), h = xs.dim(2), w = xs.dim(3), oc = ws.dim(0), icg = ws.dim(1);
        int kh = g.kernel[0], kw = g.kernel[1], oh = g.out[0], ow = g.out[1], taps = kh * kw;
        int group = (int) cx.attrs().getInt("group"), og = (int) cx.attrs().getInt("offset_group"), ocg = oc / group, icog = ic / og;
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < oc; o++) {
                int gi = o / ocg;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double acc = bias == null ? 0 : bias.getDouble(o);
                        for (int cc = 0; cc < icg; cc++) {
                            int c = gi * icg + cc, ogi = c / icog, xbase = (b * ic + c) * h * w;
                            for (int t = 0; t < taps; t++) {
                                int ki = t / kw, kj = t % kw;
                                int oidx = ((b * og + ogi) * taps + t) * 2;
                                double dy = off.getDouble(((oidx) * oh + i) * ow + j), dx = off.getDouble(((oidx + 1) * oh + i) * ow + j);
                                double py = i * g.strides[0] - g.padsBegin[0] + ki * g.dilations[0] + dy;
                                double px = j * g.strides[1] - g.padsBegin[1] + kj * g.dilations[1] + dx;
                                double v = bilinear(x, xbase, h, w, py, px);
                                if (mask != null) v *= mask.getDouble((((b * og + ogi) * taps + t) * oh + i) * ow + j);
                                acc += v * wt.getDouble(((o * icg + cc) * kh + ki) * kw + kj);
                            }
                        }
                        y.setDouble(((b * oc + o) * oh + i) * ow + j, acc);
                    }
                }
            }
        }
        return List.of(y);
    }

    private static double bilinear(NdArray x, int base, int h, int w, double py, double px) {
        int y0 = (int) Math.floor(py), x0 = (int) Math.floor(px);
        double ty = py - y0, tx = px - x0, s = 0;
        for (int a = 0; a < 2; a++) {
            for (int c = 0; c < 2; c++) {
                int yy = y0 + a, xx = x0 + c;
                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                s += (a == 0 ? 1 - ty : ty) * (c == 0 ? 1 - tx : tx) * x.getDouble(base + yy * w + xx);
            }
        }
        return s;
    }
}
