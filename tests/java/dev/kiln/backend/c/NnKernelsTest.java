package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * The nn kernels (nn.stg, NnKernels) against the interpreter on attribute combinations the ONNX conformance
 * cases miss: 1-d and 3-d, grouped, dilated and batched convolutions, f64, int8 max pooling, windows lying wholly
 * in the padding, wrapping integer gemm and matmul, matmul batches that broadcast both ways, and batch_norm with
 * f64 parameters. All cases are built into one host program under ASan and UBSan.
 */
class NnKernelsTest {
    private final Random rnd = new Random(7);
    private final List<Checker.Job> jobs = new ArrayList<>();

    private NdArray random(DType t, int... dims) {
        NdArray a = NdArray.zeros(t, Shape.of(dims));
        for (int i = 0; i < a.size(); i++) {
            if (t.isFloat()) a.setDouble(i, rnd.nextDouble() * 2 - 1);
            else if (t == DType.I8) a.setLong(i, rnd.nextInt(256) - 128);
            else a.setLong(i, rnd.nextLong()); // why: large values make products overflow, which must wrap
        }
        return a;
    }

    /** A job running {@code op} on graph input {@code x} and constant {@code rest} (null: absent). */
    private void job(String name, OpDef op, Attrs a, NdArray x, NdArray... rest) {
        Graph g = new Graph(name);
        List<Value> ins = new ArrayList<>();
        ins.add(g.addInput("x", x.type()));
        for (NdArray r : rest) ins.add(r == null ? null : g.addConstant("c", r));
        g.addOutput(g.addNode(op, "n", ins, a).output(0));
        jobs.add(new Checker.Job(name, g, List.of(x)));
    }

    /** A job whose two operands are both graph inputs. */
    private void job2(String name, OpDef op, Attrs a, NdArray x, NdArray y) {
        Graph g = new Graph(name);
        Value vx = g.addInput("x", x.type()), vy = g.addInput("y", y.type());
        g.addOutput(g.addNode(op, "n", List.of(vx, vy), a).output(0));
        jobs.add(new Checker.Job(name, g, List.of(x, y)));
    }

    private static long[] l(long... v) { return v; }

    @Test
    void kernelsMatchTheInterpreter() {
        DType f = DType.F32;
        // convolutions: 1-d strided with asymmetric pads; 2-d grouped, dilated, batch 2; depthwise strided; 3-d; f64
        job("conv1d", Ops.CONV, Attrs.of("strides", l(2), "pads", l(1, 2)), random(f, 1, 2, 9), random(f, 3, 2, 3), random(f, 3));
        job("conv_group_dil", Ops.CONV, Attrs.of("group", 2L, "dilations", l(2, 1), "pads", l(1, 0, 2, 1)),
                random(f, 2, 4, 7, 6), random(f, 6, 2, 3, 2));
        job("conv_dw", Ops.CONV, Attrs.of("group", 3L, "strides", l(2, 2), "pads", l(1, 1, 1, 1)),
                random(f, 1, 3, 8, 8), random(f, 3, 1, 3, 3), random(f, 3));
        job("conv3d", Ops.CONV, Attrs.of("strides", l(1, 2, 1), "dilations", l(1, 1, 2), "pads", l(0, 1, 1, 1, 0, 1)),
                random(f, 1, 2, 5, 6, 4), random(f, 2, 2, 2, 3, 2));
        job("conv_f64", Ops.CONV, Attrs.of("pads", l(1, 1, 1, 1)), random(DType.F64, 1, 2, 5, 5), random(DType.F64, 2, 2, 3, 3),
                random(DType.F64, 2));
        job("convt_batch", Ops.CONV_TRANSPOSE, Attrs.of("strides", l(2, 1), "pads", l(1, 0, 0, 1), "output_padding", l(1, 0), "group", 2L),
                random(f, 2, 4, 3, 4), random(f, 4, 1, 3, 2), random(f, 2));
        // pools: int8 max; windows wholly in the padding (NaN for float max and uncounted averages, 0 for int8)
        job("maxpool_i8", Ops.MAX_POOL, Attrs.of("kernel_shape", l(3, 2), "strides", l(2, 1), "pads", l(1, 0, 1, 1)), random(DType.I8, 1, 2, 6, 5));
        job("maxpool_empty", Ops.MAX_POOL, Attrs.of("kernel_shape", l(1), "pads", l(2, 1)), random(f, 1, 2, 3));
        job("maxpool_empty_i8", Ops.MAX_POOL, Attrs.of("kernel_shape", l(1), "pads", l(2, 1)), random(DType.I8, 1, 2, 3));
        job("avgpool_empty", Ops.AVERAGE_POOL, Attrs.of("kernel_shape", l(1), "pads", l(1, 1)), random(f, 1, 1, 3));
        job("avgpool_empty_pad", Ops.AVERAGE_POOL, Attrs.of("kernel_shape", l(1), "pads", l(1, 1), "count_include_pad", 1L), random(f, 1, 1, 3));
        // average windows of whole rows (summed as one run in partial sums): 2-d with row pads and strides, 3-d counting pads
        job("avgpool_rows", Ops.AVERAGE_POOL, Attrs.of("kernel_shape", l(3, 5), "strides", l(2, 1), "pads", l(1, 0, 1, 0)), random(f, 1, 2, 7, 5));
        job("avgpool_rows_3d", Ops.AVERAGE_POOL, Attrs.of("kernel_shape", l(2, 2, 9), "pads", l(1, 1, 0, 0, 1, 0), "count_include_pad", 1L),
                random(f, 1, 2, 3, 4, 9));
        job("gmaxpool_f64", Ops.GLOBAL_MAX_POOL, Attrs.EMPTY, random(DType.F64, 2, 3, 4, 2));
        job("gavgpool_1d", Ops.GLOBAL_AVERAGE_POOL, Attrs.EMPTY, random(f, 2, 3, 7));
        // normalizations: f64 parameters for f32 data, rank 2; lrn with an even size
        job("bn_f64_params", Ops.BATCH_NORM, Attrs.of("epsilon", 1e-3), random(f, 2, 3, 4), random(DType.F64, 3), random(DType.F64, 3),
                random(DType.F64, 3), positive(DType.F64, 3));
        job("bn_rank2", Ops.BATCH_NORM, Attrs.EMPTY, random(f, 4, 3), random(f, 3), random(f, 3), random(f, 3), positive(f, 3));
        job("lrn_even", Ops.LRN, Attrs.of("size", 4L, "alpha", 0.01, "beta", 0.6, "bias", 2.0), random(f, 2, 5, 3));
        // matrix products: wrapping integers, C broadcast along rows and columns, batches broadcast both ways
        job("gemm_i32", Ops.GEMM, Attrs.of("alpha", 3.0, "beta", -2.0, "trans_a", 1L), random(DType.I32, 4, 3), random(DType.I32, 4, 5),
                random(DType.I32, 5));
        job("gemm_i64", Ops.GEMM, Attrs.of("trans_b", 1L), random(DType.I64, 3, 4), random(DType.I64, 5, 4), random(DType.I64, 3, 1));
        job("gemm_u32", Ops.GEMM, Attrs.of("alpha", 5.0, "beta", 0.0), random(DType.U32, 2, 3), random(DType.U32, 3, 4), random(DType.U32, 2, 4));
        job("gemm_col_c", Ops.GEMM, Attrs.of("beta", 0.5), random(f, 3, 4), random(f, 4, 2), random(f, 3, 1));
        job("gemm_f64", Ops.GEMM, Attrs.of("trans_a", 1L, "trans_b", 1L), random(DType.F64, 4, 3), random(DType.F64, 2, 4));
        job2("matmul_bcast_i32", Ops.MATMUL, Attrs.EMPTY, random(DType.I32, 2, 1, 3, 4), random(DType.I32, 3, 4, 2));
        job2("matmul_bcast_f", Ops.MATMUL, Attrs.EMPTY, random(f, 2, 1, 3, 4), random(f, 1, 3, 4, 2));
        job2("matmul_i64_vec", Ops.MATMUL, Attrs.EMPTY, random(DType.I64, 2, 3, 4), random(DType.I64, 4));
        job2("matmul_u32", Ops.MATMUL, Attrs.EMPTY, random(DType.U32, 3, 4), random(DType.U32, 4, 2));

        List<Checker.Outcome> got = new CProgramRunner(Target.load("host"), true, null).runAll(jobs);
        assertEquals(jobs.size(), got.size());
        for (int j = 0; j < jobs.size(); j++) {
            Checker.Job job = jobs.get(j);
            Checker.Outcome o = got.get(j);
            assertNull(o.error(), job.name());
            assertNotNull(o.outputs(), job.name());
            NdArray want = new Interpreter(job.graph()).run(job.inputs()).get(0), have = o.outputs().get(0);
            assertEquals(want.type(), have.type(), job.name());
            for (int i = 0; i < want.size(); i++) {
                String at = job.name() + " element " + i;
                if (!want.dtype().isFloat()) {
                    assertEquals(want.getLong(i), have.getLong(i), at);
                    continue;
                }
                double w = want.getDouble(i), h = have.getDouble(i);
                if (Double.isNaN(w)) assertTrue(Double.isNaN(h), at + ": " + h + " is not NaN");
                else assertEquals(w, h, 1e-5 + 1e-4 * Math.abs(w), at);
            }
        }
    }

    private NdArray positive(DType t, int n) {
        NdArray a = NdArray.zeros(t, Shape.of(n));
        for (int i = 0; i < n; i++) a.setDouble(i, 0.1 + rnd.nextDouble());
        return a;
    }
}
