package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Region-of-interest align: for each box of {@code rois} [R, 4] (x1, y1, x2, y2, scaled by {@code spatial_scale})
 * on image {@code batch_indices[r]}, an [output_height, output_width] grid of bins, each the average (or the
 * max, weighted per corner as ONNX Runtime computes it) of sampling_ratio² bilinear samples (adaptive when 0).
 * {@code coordinate_transformation_mode} half_pixel shifts boxes by half a pixel; output_half_pixel does not.
 */
public final class RoiAlign extends OpDef {
    public RoiAlign() {
        super("roi_align", Signature.builder().input("X", "rois", "batch_indices").output("Y")
                .attr("coordinate_transformation_mode", AttrType.STRING, "half_pixel").attr("mode", AttrType.STRING, "avg")
                .attr("output_height", AttrType.INT, 1L).attr("output_width", AttrType.INT, 1L)
                .attr("sampling_ratio", AttrType.INT, 0L).attr("spatial_scale", AttrType.FLOAT, 1.0).build());
    }

    @Override
    public String summary() { return "bilinear region-of-interest pooling (avg or max)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        cx.checkSameDType(0, 1);
        cx.checkDType(2, DType.I64, DType.I32);
        Shape x = cx.shape(0), rois = cx.shape(1);
        String m = cx.attrs().getString("mode"), ct = cx.attrs().getString("coordinate_transformation_mode");
        cx.check(m.equals("avg") || m.equals("max"), "mode '%s' is not avg or max", m);
        cx.check(ct.equals("half_pixel") || ct.equals("output_half_pixel"), "coordinate_transformation_mode '%s' is not half_pixel or output_half_pixel", ct);
        cx.check(x.rank() == 4, "X %s must be [N, C, H, W]", x);
        cx.check(rois.rank() == 2 && rois.dim(1) == 4 && cx.shape(2).equals(Shape.of(rois.dim(0))),
                "rois %s must be [R, 4] and batch_indices %s [R]", rois, cx.shape(2));
        long oh = cx.attrs().getInt("output_height"), ow = cx.attrs().getInt("output_width");
        cx.check(oh >= 1 && ow >= 1 && oh <= Integer.MAX_VALUE && ow <= Integer.MAX_VALUE, "output_height and output_width must be positive");
        return List.of(new TensorType(cx.dtype(0), Shape.of(rois.dim(0), x.dim(1), (int) oh, (int) ow)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), rois = cx.input(1), bi = cx.input(2);
        NdArray y = cx.newOutput(0);
        int c = x.shape().dim(1), h = x.shape().dim(2), w = x.shape().dim(3);
        int ph = y.shape().dim(2), pw = y.shape().dim(3), nr = y.shape().dim(0);
        double scale = cx.attrs().getFloat("spatial_scale");
        long ratio = cx.attrs().getInt("sampling_ratio");
        boolean half = cx.attrs().getString("coordinate_transformation_mode").equals("half_pixel");
        boolean max = cx.attrs().getString("mode").equals("max");
        for (int n = 0; n < nr; n++) {
            long b = bi.getLong(n);
            if (b < 0 || b >= x.shape().dim(0)) throw new IllegalArgumentException("batch_indices[" + n + "] = " + b + " is out of range");
            double off = half ? 0.5 : 0.0;
            double sw = rois.getDouble(n * 4) * scale - off, sh = rois.getDouble(n * 4 + 1) * scale - off;
            double rw = rois.getDouble(n * 4 + 2) * scale - off - sw, rh = rois.getDouble(n * 4 + 3) * scale - off - sh;
            if (!half) {
                rw = Math.max(rw, 1.0);
                rh = Math.max(rh, 1.0);
            }
            double bh = rh / ph, bw = rw / pw;
            int gh = ratio > 0 ? (int) ratio : (int) Math.ceil(rh / ph), gw = ratio > 0 ? (int) ratio : (int) Math.ceil(rw / pw);
            int count = Math.max(gh * gw, 1);
            for (int ch = 0; ch < c; ch++) {
                int base = (int) ((b * c + ch) * h * w);
                for (int i = 0; i < ph; i++) {
                    for (int j = 0; j < pw; j++) {
                        double acc = 0;
                        boolean first = true;
                        for (int iy = 0; iy < gh; iy++) {
                            double yy = sh + i * bh + (iy + 0.5) * bh / gh;
                            for (int ix = 0; ix < gw; ix++) {
                                double xx = sw + j * bw + (ix + 0.5) * bw / gw;
                                double v;
                                if (yy < -1.0 || yy > h || xx < -1.0 || xx > w) {
                                    v = 0;
                                } else {
                                    double py = Math.max(yy, 0), px = Math.max(xx, 0);
                                    int y0 = (int) py, x0 = (int) px, y1, x1;
                                    if (y0 >= h - 1) { y0 = y1 = h - 1; py = y0; } else y1 = y0 + 1;
                                    if (x0 >= w - 1) { x0 = x1 = w - 1; px = x0; } else x1 = x0 + 1;
                                    double ly = py - y0, lx = px - x0, hy = 1 - ly, hx = 1 - lx;
                                    double a1 = hy * hx * x.getDouble(base + y0 * w + x0), a2 = hy * lx * x.getDouble(base + y0 * w + x1);
                                    double a3 = ly * hx * x.getDouble(base + y1 * w + x0), a4 = ly * lx * x.getDouble(base + y1 * w + x1);
                                    v = max ? Math.max(Math.max(a1, a2), Math.max(a3, a4)) : a1 + a2 + a3 + a4;
                                }
                                if (max) acc = first ? v : Math.max(acc, v);
                                else acc += v;
                                first = false;
                            }
                        }
                        y.setDouble(((n * c + ch) * ph + i) * pw + j, max ? acc : acc / count);
                    }
                }
            }
        }
        return List.of(y);
    }
}
