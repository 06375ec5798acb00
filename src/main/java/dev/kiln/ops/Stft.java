package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Short-time Fourier transform of a signal {@code [batch, length, 1|2]}: frames of {@code frame_length} samples
 * every {@code frame_step}, each multiplied by the optional {@code window} {@code [frame_length]} and transformed
 * ({@code onesided} = 1, the default, keeps frame_length/2+1 frequencies of a real signal). Output
 * {@code [batch, frames, bins, 2]} with {@code frames = 1 + (length - frame_length) / frame_step}.
 */
public final class Stft extends OpDef {
    public Stft() {
        super("stft", Signature.builder().input("signal").optionalInput("window").output("output")
                .requiredAttr("frame_step", AttrType.INT).requiredAttr("frame_length", AttrType.INT)
                .attr("onesided", AttrType.INT, 1L).build());
    }

    @Override
    public String summary() { return "short-time Fourier transform: windowed frames, one DFT each (onesided)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        Shape s = cx.shape(0);
        long step = cx.attrs().getInt("frame_step"), len = cx.attrs().getInt("frame_length");
        boolean onesided = cx.attrs().getInt("onesided") != 0;
        cx.check(s.rank() == 3 && (s.dim(2) == 1 || s.dim(2) == 2), "signal must be [batch, length, 1|2], got shape %s", s);
        cx.check(step >= 1, "frame_step must be at least 1, got %d", step);
        cx.check(len >= 1 && len <= s.dim(1), "frame_length %d must be between 1 and the signal length %d", len, s.dim(1));
        cx.check(!onesided || s.dim(2) == 1, "a one-sided transform takes a real signal [batch, length, 1], got %s", s);
        if (cx.has(1)) {
            cx.checkSameDType(0, 1);
            cx.check(cx.shape(1).rank() == 1 && cx.shape(1).dim(0) == len, "window must have shape [%d], got %s", len, cx.shape(1));
        }
        int frames = (int) (1 + (s.dim(1) - len) / step), bins = (int) (onesided ? len / 2 + 1 : len);
        return List.of(new TensorType(cx.dtype(0), Shape.of(s.dim(0), frames, bins, 2)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), w = cx.input(1);
        NdArray y = cx.newOutput(0);
        int step = (int) cx.attrs().getInt("frame_step"), n = (int) cx.attrs().getInt("frame_length");
        int batch = x.shape().dim(0), len = x.shape().dim(1), ci = x.shape().dim(2);
        int frames = y.shape().dim(1), bins = y.shape().dim(2);
        double[] re = new double[n], im = new double[n], outRe = new double[n], outIm = new double[n];
        for (int b = 0; b < batch; b++) {
            for (int f = 0; f < frames; f++) {
                for (int j = 0; j < n; j++) {
                    int at = (b * len + f * step + j) * ci;
                    double g = w == null ? 1 : w.getDouble(j);
                    re[j] = x.getDouble(at) * g;
                    im[j] = ci == 2 ? x.getDouble(at + 1) * g : 0;
                }
                Fourier.transform(re, im, n, bins, false, outRe, outIm);
                for (int k = 0; k < bins; k++) {
                    int at = ((b * frames + f) * bins + k) * 2;
                    y.setDouble(at, outRe[k]);
                    y.setDouble(at + 1, outIm[k]);
                }
            }
        }
        return List.of(y);
    }
}
