package dev.kiln.ir;

import java.util.Arrays;

/**
 * Affine quantization parameters of a tensor: {@code real = scale * (q - zeroPoint)}, either per tensor
 * ({@code axis == -1}, one scale) or per channel along {@code axis}.
 */
public final class QuantParams {
    private final float[] scale;
    private final long[] zeroPoint;
    private final int axis;

    public QuantParams(float[] scale, long[] zeroPoint, int axis) {
        if (scale.length != zeroPoint.length) throw new IllegalArgumentException("scale and zero point lengths differ");
        if (axis < 0 && scale.length != 1) throw new IllegalArgumentException("per-tensor parameters need one scale");
        this.scale = scale.clone();
        this.zeroPoint = zeroPoint.clone();
        this.axis = axis;
    }

    /** Per-tensor parameters. */
    public static QuantParams perTensor(float scale, long zeroPoint) {
        return new QuantParams(new float[] {scale}, new long[] {zeroPoint}, -1);
    }

    public boolean perChannel() { return axis >= 0; }
    public int axis() { return axis; }
    public int channels() { return scale.length; }
    public float scale(int c) { return scale[c]; }
    public long zeroPoint(int c) { return zeroPoint[c]; }
    public float[] scales() { return scale.clone(); }
    public long[] zeroPoints() { return zeroPoint.clone(); }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof QuantParams)) return false;
        QuantParams q = (QuantParams) o;
        return axis == q.axis && Arrays.equals(scale, q.scale) && Arrays.equals(zeroPoint, q.zeroPoint);
    }

    @Override
    public int hashCode() { return 31 * Arrays.hashCode(scale) + Arrays.hashCode(zeroPoint) + axis; }

    @Override
    public String toString() {
        return axis < 0 ? "scale=" + scale[0] + " zp=" + zeroPoint[0]
                : "axis=" + axis + " scales=" + Arrays.toString(scale) + " zps=" + Arrays.toString(zeroPoint);
    }
}
