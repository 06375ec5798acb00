package dev.kiln.frontend.onnx;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX mappings of the signal ops (opset 17 on): one method per ONNX op, named like it. The window functions
 * and MelWeightMatrix depend only on their scalar inputs, which Kiln's static shapes need at compile time, so
 * they become constants here (as ConstantOfShape does) and every backend has them.
 */
public final class SignalMappings {
    private SignalMappings() {}

    /**
     * DFT: opset 17 takes the axis as an attribute (default 1), opset 20 as an optional constant input 2
     * (default -2); dft_length (input 1) defaults to the axis's size, or 2 * (size - 1) for a one-sided inverse.
     */
    public static void DFT(OnnxNode n) {
        Value x = n.input(0);
        int r = x.shape().rank();
        long axis;
        if (n.opset() < 20) axis = n.attrInt("axis", 1);
        else if (n.hasInput(2)) axis = scalar(n, 2, "axis");
        else axis = -2;
        if (axis < -r || axis >= r) throw n.error("axis %d is out of range for rank %d", axis, r);
        if (axis < 0) axis += r;
        boolean inverse = n.attrInt("inverse", 0) != 0, onesided = n.attrInt("onesided", 0) != 0;
        long length;
        if (n.hasInput(1)) length = scalar(n, 1, "dft_length");
        else length = onesided && inverse ? 2L * (x.shape().dim((int) axis) - 1) : x.shape().dim((int) axis);
        n.emit(Ops.DFT, List.of(x), Attrs.of("axis", axis, "length", length, "inverse", inverse ? 1L : 0L, "onesided", onesided ? 1L : 0L));
    }

    /** STFT (opset 17): frame_step (input 1) and frame_length (input 3, default the window's length) are constants. */
    public static void STFT(OnnxNode n) {
        long step = scalar(n, 1, "frame_step");
        Value window = n.hasInput(2) ? n.input(2) : null;
        long length;
        if (n.hasInput(3)) length = scalar(n, 3, "frame_length");
        else if (window != null && window.shape().rank() == 1) length = window.shape().dim(0);
        else throw n.error("needs frame_length (input 3) or a window (input 2) to know the frame length");
        List<Value> ins = new ArrayList<>(List.of(n.input(0)));
        if (window != null) ins.add(window);
        n.emit(Ops.STFT, ins, Attrs.of("frame_step", step, "frame_length", length, "onesided", n.attrInt("onesided", 1)));
    }

    /** HannWindow: {@code 0.5 - 0.5 cos(2 pi k / N)}. */
    public static void HannWindow(OnnxNode n) { window(n, 0.5, 0.5, 0); }

    /** HammingWindow: {@code 25/46 - 21/46 cos(2 pi k / N)}. */
    public static void HammingWindow(OnnxNode n) { window(n, 25.0 / 46, 21.0 / 46, 0); }

    /** BlackmanWindow: {@code 0.42 - 0.5 cos(2 pi k / N) + 0.08 cos(4 pi k / N)}. */
    public static void BlackmanWindow(OnnxNode n) { window(n, 0.42, 0.5, 0.08); }

    /** {@code a0 - a1 cos(2 pi k / N) + a2 cos(4 pi k / N)} for k < size, N = size when periodic (default), size - 1 when not. */
    private static void window(OnnxNode n, double a0, double a1, double a2) {
        long size = scalar(n, 0, "size");
        if (size < 0 || size > Integer.MAX_VALUE) throw n.error("size %d is not a valid length", size);
        double den = n.attrInt("periodic", 1) != 0 ? size : size - 1;
        NdArray w = NdArray.zeros(outputType(n), Shape.of((int) size));
        for (int k = 0; k < size; k++) {
            double t = den == 0 ? 0 : 2 * Math.PI * k / den;
            w.setDouble(k, a0 - a1 * Math.cos(t) + a2 * Math.cos(2 * t));
        }
        n.bindConstant(0, w);
    }

    /**
     * MelWeightMatrix: {@code [dft_length/2 + 1, num_mel_bins]} triangular filters between lower_edge_hertz and
     * upper_edge_hertz, spaced evenly on the mel scale {@code 2595 log10(1 + f / 700)} and snapped to DFT bins,
     * as ONNX's reference computes them.
     */
    public static void MelWeightMatrix(OnnxNode n) {
        long mels = scalar(n, 0, "num_mel_bins"), dft = scalar(n, 1, "dft_length"), rate = scalar(n, 2, "sample_rate");
        double lo = n.constInput(3, "lower_edge_hertz").getDouble(0), hi = n.constInput(4, "upper_edge_hertz").getDouble(0);
        if (mels < 1 || dft < 1 || rate < 1 || mels > 1 << 20 || dft > 1 << 24) throw n.error("num_mel_bins, dft_length and sample_rate must be positive sizes");
        int bins = (int) (dft / 2 + 1), m = (int) mels;
        double loMel = 2595 * Math.log10(1 + lo / 700), hiMel = 2595 * Math.log10(1 + hi / 700);
        double step = (hiMel - loMel) / (m + 2);
        int[] edge = new int[m + 2];
        for (int i = 0; i < m + 2; i++) {
            double hz = 700 * (Math.pow(10, (i * step + loMel) / 2595) - 1);
            edge[i] = (int) Math.floor((dft + 1) * hz / rate);
        }
        NdArray w = NdArray.zeros(outputType(n), Shape.of(bins, m));
        for (int i = 0; i < m; i++) {
            int left = edge[i], center = edge[i + 1], right = edge[i + 2];
            if (center == left) set(n, w, center, i, m, 1);
            else for (int j = left; j <= center; j++) set(n, w, j, i, m, (double) (j - left) / (center - left));
            for (int j = center; j < right; j++) set(n, w, j, i, m, (double) (right - j) / (right - center));
        }
        n.bindConstant(0, w);
    }

    private static void set(OnnxNode n, NdArray w, int row, int col, int cols, double v) {
        if (row < 0 || row >= w.shape().dim(0)) throw n.error("the mel filters reach DFT bin %d, outside [0, %d): check sample_rate and the edges", row, w.shape().dim(0));
        w.setDouble(row * cols + col, v);
    }

    /** The element type named by {@code output_datatype} (default float). */
    private static DType outputType(OnnxNode n) {
        long code = n.attrInt("output_datatype", 1);
        DType t = DType.fromOnnx((int) code);
        if (t == null) throw n.error("output_datatype %d is not an element type Kiln has", code);
        return t;
    }

    /** Input {@code i}, a compile-time scalar integer. */
    private static long scalar(OnnxNode n, int i, String what) {
        long[] v = n.constInts(i, what);
        if (v == null || v.length != 1) throw n.error("input %d (%s) must be a scalar", i, what);
        return v[0];
    }
}
