package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Discrete Fourier transform of length {@code length} along {@code axis} of a signal {@code [..., 1]} (real) or
 * {@code [..., 2]} (real and imaginary parts); the output is complex {@code [..., 2]}. The signal is cut or
 * zero-padded to {@code length} along the axis. {@code onesided} = 1 forward keeps the first length/2+1
 * frequencies of a real signal; {@code inverse} = 1 computes {@code (1/n) sum X[k] e^(2 pi i j k / n)}, and with
 * {@code onesided} it reads length/2+1 frequencies of a real signal's spectrum (the rest by conjugate symmetry)
 * and returns the real signal {@code [..., 1]}.
 */
public final class Dft extends OpDef {
    public Dft() {
        super("dft", Signature.builder().input("input").output("output").requiredAttr("axis", AttrType.INT)
                .requiredAttr("length", AttrType.INT).attr("inverse", AttrType.INT, 0L).attr("onesided", AttrType.INT, 0L).build());
    }

    @Override
    public String summary() { return "discrete Fourier transform along an axis (inverse, onesided; complex as a last dimension of 2)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        Shape s = cx.shape(0);
        int r = s.rank();
        long axis = cx.attrs().getInt("axis"), n = cx.attrs().getInt("length");
        boolean inverse = cx.attrs().getInt("inverse") != 0, onesided = cx.attrs().getInt("onesided") != 0;
        cx.check(r >= 2 && (s.dim(r - 1) == 1 || s.dim(r - 1) == 2), "input must be [..., 1] (real) or [..., 2] (complex), got shape %s", s);
        cx.check(axis >= 0 && axis < r - 1, "axis %d must name a signal axis of the input %s (not the last, complex one)", axis, s);
        cx.check(n >= 1, "length must be at least 1, got %d", n);
        cx.check(!onesided || inverse || s.dim(r - 1) == 1, "a one-sided forward transform takes a real signal [..., 1], got %s", s);
        int[] d = s.dims().clone();
        d[(int) axis] = (int) (onesided && !inverse ? n / 2 + 1 : n);
        d[r - 1] = onesided && inverse ? 1 : 2;
        return List.of(new TensorType(cx.dtype(0), Shape.of(d)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        Shape s = x.shape(), o = y.shape();
        int a = (int) cx.attrs().getInt("axis"), n = (int) cx.attrs().getInt("length");
        boolean inverse = cx.attrs().getInt("inverse") != 0, onesided = cx.attrs().getInt("onesided") != 0;
        int r = s.rank(), ci = s.dim(r - 1), co = o.dim(r - 1);
        int outer = s.prod(0, a), m = s.dim(a), inner = s.prod(a + 1, r - 1), bins = o.dim(a);
        double[] re = new double[n], im = new double[n], outRe = new double[n], outIm = new double[n];
        for (int p = 0; p < outer; p++) {
            for (int q = 0; q < inner; q++) {
                java.util.Arrays.fill(re, 0);
                java.util.Arrays.fill(im, 0);
                // a one-sided spectrum gives frequencies 0..n/2; the others are their conjugates
                int given = onesided && inverse ? Math.min(m, n / 2 + 1) : Math.min(m, n);
                for (int j = 0; j < given; j++) {
                    int at = ((p * m + j) * inner + q) * ci;
                    re[j] = x.getDouble(at);
                    im[j] = ci == 2 ? x.getDouble(at + 1) : 0;
                }
                if (onesided && inverse) {
                    for (int j = 1; j < given; j++) {
                        if (n - j < given) continue;
                        re[n - j] = re[j];
                        im[n - j] = -im[j];
                    }
                }
                Fourier.transform(re, im, n, bins, inverse, outRe, outIm);
                for (int k = 0; k < bins; k++) {
                    int at = ((p * bins + k) * inner + q) * co;
                    y.setDouble(at, outRe[k]);
                    if (co == 2) y.setDouble(at + 1, outIm[k]);
                }
            }
        }
        return List.of(y);
    }
}
