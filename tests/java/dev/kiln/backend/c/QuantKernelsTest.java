package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.toolchain.CProgramRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The quantization kernels of the C backend on what the ONNX conformance cases leave out: grouped, strided,
 * dilated, padded 1-D and 3-D integer convolutions with per-channel weight scales and zero points and a bias;
 * broadcast batched and 1-D matrix products with per-row and per-column parameters and f64 scales; 16-bit,
 * f64-precision, per-axis and blocked (de)quantization with NaN, infinities and exact halves. Each graph is
 * built twice, parameters as constants (numbers baked in by Java) and as run-time inputs, and the generated C
 * must give the interpreter's outputs bit for bit.
 */
class QuantKernelsTest {
    private final Random r = new Random(7L);

    /** One operand of a test node: its data and whether it is a run-time input (else a constant). */
    private record Arg(NdArray data, boolean input) {}

    @Test
    void kernelsMatchTheInterpreterBitForBit() {
        List<Checker.Job> jobs = new ArrayList<>();
        for (boolean rt : new boolean[] {false, true}) {
            String v = rt ? "_runtime" : "_const";
            // grouped 2-D qlinear_conv: strides, dilations, asymmetric pads, per-channel w scale and zero point, bias
            jobs.add(job("qconv2d" + v, Ops.QLINEAR_CONV, Attrs.of("group", 2L, "strides", new long[] {2, 1}, "dilations", new long[] {1, 2},
                    "pads", new long[] {1, 0, 2, 1}), rt,
                    ints(DType.U8, 1, 4, 7, 6), floats(0.02f, 1), ints(DType.U8, 1), ints(DType.I8, 6, 2, 3, 3),
                    floats(0.01f, 6), ints(DType.I8, 6), floats(0.05f, 1), ints(DType.I8, 1), bias(6)));
            // 1-D qlinear_conv, i8 in, u8 weights and out, no bias
            jobs.add(job("qconv1d" + v, Ops.QLINEAR_CONV, Attrs.of("strides", new long[] {3}, "pads", new long[] {2, 2}), rt,
                    ints(DType.I8, 2, 3, 10), floats(0.03f, 1), ints(DType.I8, 1), ints(DType.U8, 4, 3, 3),
                    floats(0.004f, 1), ints(DType.U8, 1), floats(0.2f, 1), ints(DType.U8, 1)));
            // 3-D qlinear_conv with padding on every axis
            jobs.add(job("qconv3d" + v, Ops.QLINEAR_CONV, Attrs.of("strides", new long[] {1, 2, 1}, "pads", new long[] {1, 1, 1, 1, 1, 1}), rt,
                    ints(DType.U8, 1, 2, 4, 5, 5), floats(0.02f, 1), ints(DType.U8, 1), ints(DType.U8, 2, 2, 2, 3, 2),
                    floats(0.003f, 2), ints(DType.U8, 2), floats(0.3f, 1), ints(DType.U8, 1), bias(2)));
            // depthwise conv_integer with per-channel weight zero points
            jobs.add(job("convint_dw" + v, Ops.CONV_INTEGER, Attrs.of("group", 4L, "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1}), rt,
                    ints(DType.I8, 1, 4, 6, 6), ints(DType.I8, 4, 1, 3, 3), ints(DType.I8, 1), ints(DType.I8, 4)));
            // conv_integer without zero points, dilated
            jobs.add(job("convint_nozp" + v, Ops.CONV_INTEGER, Attrs.of("dilations", new long[] {2, 1}), rt,
                    ints(DType.U8, 2, 2, 5, 5), ints(DType.U8, 3, 2, 2, 2)));
            // matmul_integer: broadcast batches, per-row a and per-column b zero points
            jobs.add(job("mmint_bcast" + v, Ops.MATMUL_INTEGER, Attrs.EMPTY, rt,
                    ints(DType.U8, 2, 1, 3, 4), ints(DType.I8, 3, 4, 5), ints(DType.U8, 3), ints(DType.I8, 5)));
            jobs.add(job("mmint_vec_a" + v, Ops.MATMUL_INTEGER, Attrs.EMPTY, rt, ints(DType.I8, 4), ints(DType.U8, 2, 4, 5)));
            jobs.add(job("mmint_vec_b" + v, Ops.MATMUL_INTEGER, Attrs.EMPTY, rt, ints(DType.I8, 2, 3, 4), ints(DType.I8, 4), null, ints(DType.I8, 1)));
            // qlinear_matmul: per-row a scale and zero point, per-column b scale and zero point, i8 output
            jobs.add(job("qmm_rowcol" + v, Ops.QLINEAR_MATMUL, Attrs.EMPTY, rt,
                    ints(DType.I8, 2, 3, 4), floats(0.05f, 3), ints(DType.I8, 3), ints(DType.U8, 4, 5), floats(0.02f, 5), ints(DType.U8, 5),
                    floats(0.04f, 1), ints(DType.I8, 1)));
            // qlinear_matmul with f64 scales (the multiplier formed in double) and no zero points
            jobs.add(job("qmm_f64" + v, Ops.QLINEAR_MATMUL, Attrs.EMPTY, rt,
                    ints(DType.U8, 3, 2, 6), doubles(0.013, 1), null, ints(DType.I8, 6, 3), doubles(0.021, 1), null, doubles(0.0333, 1)));
            // quantize_linear: per-axis to i16, special values and exact halves
            jobs.add(job("q_axis_i16" + v, Ops.QUANTIZE_LINEAR, Attrs.of("axis", 1L), rt,
                    specials(2, 3, 4), floats(0.5f, 3), ints(DType.I16, 3)));
            jobs.add(job("q_u16_f64" + v, Ops.QUANTIZE_LINEAR, Attrs.of("output_dtype", "u16", "precision", "f64"), rt,
                    specials(5, 4), floats(0.0007f, 1)));
            jobs.add(job("q_blocked" + v, Ops.QUANTIZE_LINEAR, Attrs.of("axis", 2L, "block_size", 3L), rt,
                    specials(2, 2, 7), floats(0.03f, 2, 2, 3), ints(DType.I8, 2, 2, 3)));
            jobs.add(job("q_x_f64" + v, Ops.QUANTIZE_LINEAR, Attrs.EMPTY, rt, doubles(1.7, 3, 5), floats(0.01f, 1), ints(DType.U8, 1)));
            // dequantize_linear: i32 input, 16-bit per-axis, blocked u16 to f64
            jobs.add(job("dq_i32" + v, Ops.DEQUANTIZE_LINEAR, Attrs.EMPTY, rt, ints(DType.I32, 3, 4), floats(0.0001f, 1)));
            jobs.add(job("dq_axis_i16" + v, Ops.DEQUANTIZE_LINEAR, Attrs.of("axis", 0L), rt, ints(DType.I16, 3, 4), floats(0.001f, 3), ints(DType.I16, 3)));
            jobs.add(job("dq_blocked_f64" + v, Ops.DEQUANTIZE_LINEAR, Attrs.of("axis", 1L, "block_size", 2L, "output_dtype", "f64"), rt,
                    ints(DType.U16, 2, 5), floats(0.01f, 2, 3), ints(DType.U16, 2, 3)));
        }

        List<Checker.Outcome> got = new CProgramRunner(Target.load("host"), true, null).runAll(jobs);
        for (int i = 0; i < jobs.size(); i++) {
            Checker.Job j = jobs.get(i);
            Checker.Outcome o = got.get(i);
            assertNull(o.error(), j.name());
            List<NdArray> want = new Interpreter(j.graph()).run(j.inputs());
            assertEquals(want.size(), o.outputs().size(), j.name());
            for (int k = 0; k < want.size(); k++) {
                NdArray w = want.get(k), c = o.outputs().get(k);
                assertEquals(w.type(), c.type(), j.name());
                if (w.dtype().isFloat()) {
                    double[] wd = w.toDoubleArray(), cd = c.toDoubleArray();
                    for (int e = 0; e < wd.length; e++)
                        assertEquals(Double.doubleToLongBits(wd[e]), Double.doubleToLongBits(cd[e]), j.name() + " element " + e);
                } else {
                    assertArrayEquals(w.toLongArray(), c.toLongArray(), j.name());
                }
            }
        }
    }

    /** A one-node graph; operands are constants, or graph inputs when {@code runtime} (the data operand 0 always). */
    private static Checker.Job job(String name, OpDef op, Attrs attrs, boolean runtime, NdArray... operands) {
        Graph g = new Graph(name);
        List<Value> ins = new ArrayList<>();
        List<NdArray> data = new ArrayList<>();
        for (int i = 0; i < operands.length; i++) {
            NdArray a = operands[i];
            if (a == null) {
                ins.add(null);
            } else if (i == 0 || runtime) {
                ins.add(g.addInput("in" + i, a.type()));
                data.add(a);
            } else {
                ins.add(g.addConstant("c" + i, a));
            }
        }
        g.addOutput(g.addNode(op, "n", ins, attrs).output(0));
        return new Checker.Job(name, g, data);
    }

    private NdArray ints(DType t, int... dims) {
        Shape s = Shape.of(dims);
        long[] v = new long[s.size()];
        long lo = t == DType.I32 ? -3_000_000 : t.minValue(), hi = t == DType.I32 ? 3_000_000 : t.maxValue();
        for (int i = 0; i < v.length; i++) v[i] = lo + (long) (r.nextDouble() * (hi - lo + 1));
        return NdArray.ofLongs(t, s, v);
    }

    private NdArray bias(int m) {
        long[] v = new long[m];
        for (int i = 0; i < m; i++) v[i] = r.nextInt(200_001) - 100_000;
        return NdArray.ofLongs(DType.I32, Shape.of(m), v);
    }

    /** Positive scales around {@code base}. */
    private NdArray floats(float base, int... dims) {
        Shape s = Shape.of(dims);
        float[] v = new float[s.size()];
        for (int i = 0; i < v.length; i++) v[i] = base * (0.5f + r.nextFloat());
        return NdArray.ofFloats(s, v);
    }

    private NdArray doubles(double base, int... dims) {
        Shape s = Shape.of(dims);
        double[] v = new double[s.size()];
        for (int i = 0; i < v.length; i++) v[i] = base * (r.nextGaussian() * 40);
        return NdArray.ofDoubles(s, v);
    }

    /** Floats to quantize: NaN, infinities, huge values, exact halves of small scales, and ordinary values. */
    private NdArray specials(int... dims) {
        Shape s = Shape.of(dims);
        float[] v = new float[s.size()];
        float[] edge = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e30f, -1e30f, 1.25f, -1.25f, 0.75f, -0.25f, 63.75f, -64.25f, 0f};
        for (int i = 0; i < v.length; i++) v[i] = i < edge.length ? edge[i] : (float) (r.nextGaussian() * 50);
        return NdArray.ofFloats(s, v);
    }
}
