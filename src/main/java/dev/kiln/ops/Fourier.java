package dev.kiln.ops;

/** The discrete Fourier transform in double precision, shared by DFT and STFT (a direct sum: the sizes are small). */
final class Fourier {
    private Fourier() {}

    /**
     * Transforms {@code n} complex values ({@code re}, {@code im}) into the first {@code bins} frequencies:
     * {@code out[k] = sum_j x[j] e^(-+2 pi i j k / n)}, with the sign + and a factor 1/n when {@code inverse}.
     */
    static void transform(double[] re, double[] im, int n, int bins, boolean inverse, double[] outRe, double[] outIm) {
        double sign = inverse ? 1 : -1;
        for (int k = 0; k < bins; k++) {
            double sr = 0, si = 0;
            for (int j = 0; j < n; j++) {
                // why: (j * k) mod n keeps the angle small, so cos and sin stay exact at large n
                double a = sign * 2 * Math.PI * (((long) j * k) % n) / n;
                double c = Math.cos(a), s = Math.sin(a);
                sr += re[j] * c - im[j] * s;
                si += re[j] * s + im[j] * c;
            }
            outRe[k] = inverse ? sr / n : sr;
            outIm[k] = inverse ? si / n : si;
        }
    }
}
