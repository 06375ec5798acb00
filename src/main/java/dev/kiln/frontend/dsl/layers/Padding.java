package dev.kiln.frontend.dsl.layers;

/**
 * A layer's padding: {@code valid} (none), {@code same} (TensorFlow's rule: output = ceil(input / stride),
 * the odd pixel of padding at the end) or explicit {@code [top, left, bottom, right]}.
 */
public record Padding(String mode, int[] explicit) {
    /**
     * The pads attribute (begins then ends: {@code [top, left, bottom, right]}) for spatial size {@code in}
     * and the window's kernel, strides and dilations.
     */
    public long[] pads(int[] in, int[] kernel, int[] strides, int[] dilations) {
        long[] p = new long[4];
        if (mode.equals("explicit")) {
            for (int i = 0; i < 4; i++) p[i] = explicit[i];
        } else if (mode.equals("same")) {
            for (int i = 0; i < 2; i++) {
                long out = (in[i] + strides[i] - 1) / strides[i];
                long effective = (long) (kernel[i] - 1) * dilations[i] + 1;
                long total = Math.max(0, (out - 1) * strides[i] + effective - in[i]);
                p[i] = total / 2;
                p[i + 2] = total - total / 2;
            }
        }
        return p;
    }
}
