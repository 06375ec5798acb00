package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;

/**
 * The geometry of the Fourier kernels written once in {@code templates/kernels/signal.stg}: one parallel iteration
 * per output frequency bin, summing {@code x[j] e^(-+2 pi i (j k mod n) / n)} over the signal (the angle reduced
 * modulo n, as the interpreter's {@code Fourier} does, then to a quadrant, so cos and sin stay exact at large n and
 * quarter turns give exact zeros in float).
 */
public final class SignalKernels {
    private SignalKernels() {}

    /** dft: bins of {@code outer x bins x inner} transforms along the signal axis. */
    public static final class Dft {
        /** Transform length; signal samples given (the rest are 0, or conjugates when mirrored). */
        public final long n, given;
        /** Axes before and after the signal axis (less the complex one), input length along it, output bins. */
        public final long outer, inner, m, bins;
        /** Complex components of input and output (1 or 2). */
        public final long ci, co;
        /** Whether the input is complex; whether the output keeps the imaginary part; whether a one-sided spectrum is mirrored. */
        public final boolean complex, outImag, mirror;
        /** A quarter turn over n (pi / 2n) and the output scale (1, or 1/n for the inverse) as compute-type literals. */
        public final String quarter, scale;
        /** The sign of the exponent: "-" forward, "" inverse. */
        public final String sign;

        Dft(KernelModel k, Node n) {
            Shape s = n.input(0).shape(), o = n.output(0).shape();
            int a = (int) n.attrs().getInt("axis"), r = s.rank();
            this.n = n.attrs().getInt("length");
            boolean inverse = n.attrs().getInt("inverse") != 0, onesided = n.attrs().getInt("onesided") != 0;
            ci = s.dim(r - 1);
            co = o.dim(r - 1);
            outer = s.prod(0, a);
            m = s.dim(a);
            inner = s.prod(a + 1, r - 1);
            bins = o.dim(a);
            mirror = onesided && inverse;
            given = mirror ? Math.min(m, this.n / 2 + 1) : Math.min(m, this.n);
            complex = ci == 2;
            outImag = co == 2;
            DType t = k.ftype.equals("double") ? DType.F64 : DType.F32;
            quarter = ScalarTypes.literal(t, Math.PI / 2 / this.n);
            sign = inverse ? "" : "-";
            scale = ScalarTypes.literal(t, inverse ? 1.0 / this.n : 1.0);
        }
    }

    /** dft: one parallel iteration per output bin. */
    public static Object dft(KernelModel k, Node n, Strategy t) {
        Dft m = new Dft(k, n);
        k.parallel = m.outer * m.bins * m.inner;
        k.fpContract = true;
        return m;
    }

    /** stft: frames of {@link #n} samples every {@link #step}, optionally windowed, each into {@link #bins} bins. */
    public static final class Stft {
        public final long n, step, len, frames, bins, ci;
        public final boolean complex, window;
        /** A quarter turn over n (pi / 2n) as a compute-type literal. */
        public final String quarter;

        Stft(KernelModel k, Node nd) {
            Shape s = nd.input(0).shape(), o = nd.output(0).shape();
            n = nd.attrs().getInt("frame_length");
            step = nd.attrs().getInt("frame_step");
            len = s.dim(1);
            ci = s.dim(2);
            frames = o.dim(1);
            bins = o.dim(2);
            complex = ci == 2;
            window = nd.numInputs() > 1 && nd.input(1) != null;
            quarter = ScalarTypes.literal(k.ftype.equals("double") ? DType.F64 : DType.F32, Math.PI / 2 / n);
        }
    }

    /** stft: one parallel iteration per output bin. */
    public static Object stft(KernelModel k, Node n, Strategy t) {
        Stft m = new Stft(k, n);
        k.parallel = n.output(0).shape().numel() / 2;
        k.fpContract = true;
        return m;
    }
}
