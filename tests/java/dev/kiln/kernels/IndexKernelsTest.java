package dev.kiln.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.backend.Target;
import dev.kiln.backend.opencl.runtime.OpenClRunner;
import dev.kiln.check.Checker;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import dev.kiln.toolchain.CProgramRunner;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The index-driven kernels of {@code templates/kernels/index.stg} and {@code ml.stg} on what ONNX's node cases do
 * not cover: run-time indices outside their axis, which the interpreter rejects and the generated C (under ASan and
 * UBSan) and OpenCL handle as {@link dev.kiln.ops.IntegerSemantics} documents (read 0, write nothing, clamp a
 * sequence length), and LabelEncoder on numbers (ONNX's LabelEncoder cases all use strings).
 */
class IndexKernelsTest {
    /** A job and the outputs it must give (null: whatever the interpreter gives). */
    private record Case(Checker.Job job, long[] want) {}

    private static NdArray ints(DType t, Shape s, long... v) { return NdArray.ofLongs(t, s, v); }

    private static Case node(String name, OpDef op, Attrs attrs, long[] want, NdArray... inputs) {
        Graph g = new Graph(name);
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) ins.add(g.addInput("in" + i, inputs[i].type()));
        Node n = g.addNode(op, "n", ins, attrs);
        g.addOutput(n.output(0));
        return new Case(new Checker.Job(name, g, List.of(inputs)), want);
    }

    private static List<Case> outOfRange() {
        Shape s4 = Shape.of(4);
        return List.of(
                node("gather_elements_oob", Ops.GATHER_ELEMENTS, Attrs.of("axis", 0L), new long[] {1, 0, 0, 4},
                        ints(DType.I32, s4, 1, 2, 3, 4), ints(DType.I64, s4, 0, 4, -5, -1)),
                node("gather_nd_oob", Ops.GATHER_ND, Attrs.EMPTY, new long[] {5, 6, 0, 0, 0, 0},
                        ints(DType.I32, Shape.of(3, 2), 1, 2, 3, 4, 5, 6), ints(DType.I64, Shape.of(3, 1), 2, 3, -4)),
                node("scatter_elements_oob", Ops.SCATTER_ELEMENTS, Attrs.of("axis", 0L, "reduction", "add"), new long[] {1, 2, 3, 12},
                        ints(DType.I32, s4, 1, 2, 3, 4), ints(DType.I64, Shape.of(2), 5, -1), ints(DType.I32, Shape.of(2), 9, 8)),
                node("scatter_nd_oob", Ops.SCATTER_ND, Attrs.of("reduction", "none"), new long[] {5, 2, 3},
                        ints(DType.I16, Shape.of(3), 1, 2, 3), ints(DType.I32, Shape.of(2, 1), 7, 0), ints(DType.I16, Shape.of(2), 9, 5)),
                node("tensor_scatter_linear_past_end", Ops.TENSOR_SCATTER, Attrs.of("axis", 1L, "mode", "linear"), new long[] {1, 2, 7},
                        ints(DType.I32, Shape.of(1, 3, 1), 1, 2, 3), ints(DType.I32, Shape.of(1, 2, 1), 7, 8), ints(DType.I64, Shape.of(1), 2)),
                node("reverse_sequence_long", Ops.REVERSE_SEQUENCE, Attrs.of("batch_axis", 1L, "time_axis", 0L), new long[] {3, 2, 1},
                        ints(DType.I32, Shape.of(3, 1), 1, 2, 3), ints(DType.I64, Shape.of(1), 9)));
    }

    private static List<Case> labelEncoders() {
        Attrs toF32 = Attrs.of("keys", new double[] {1, 5, -3, 5}, "values", new double[] {0.5, 2.25, -7, 9}, "default", -1.5, "dtype", "f32");
        Attrs toI32 = Attrs.of("keys", new double[] {0.1, 2.5}, "values", new double[] {10, 20}, "default", 0.0, "dtype", "i32");
        NdArray f = NdArray.zeros(DType.F32, Shape.of(4));
        double[] fv = {0.1, 2.5, 2.4, Double.NaN};
        for (int i = 0; i < fv.length; i++) f.setDouble(i, fv[i]);
        return List.of(node("label_encoder_i64_f32", Ops.LABEL_ENCODER, toF32, null, ints(DType.I64, Shape.of(2, 3), 5, 1, -3, 0, 5, 7)),
                node("label_encoder_f32_i32", Ops.LABEL_ENCODER, toI32, null, f));
    }

    @Test
    void interpreterRejectsOutOfRangeIndices() {
        for (Case c : outOfRange())
            assertThrows(RuntimeException.class, () -> new Interpreter(c.job().graph()).run(c.job().inputs()), c.job().name());
    }

    @Test
    void generatedCGivesTheDocumentedValues() {
        List<Case> cs = all();
        assertBackend("C", cs, new CProgramRunner(Target.load("host"), true, null).runAll(jobs(cs)));
    }

    @Test
    void openClGivesTheDocumentedValues() {
        List<Case> cs = all();
        assertBackend("OpenCL", cs, OpenClRunner.create(null, null, null, null).runAll(jobs(cs)));
    }

    private static List<Case> all() {
        List<Case> cs = new ArrayList<>(outOfRange());
        cs.addAll(labelEncoders());
        return cs;
    }

    private static List<Checker.Job> jobs(List<Case> cs) {
        List<Checker.Job> js = new ArrayList<>();
        for (Case c : cs) js.add(c.job());
        return js;
    }

    private static void assertBackend(String what, List<Case> cs, List<Checker.Outcome> outs) {
        for (int i = 0; i < cs.size(); i++) {
            Case c = cs.get(i);
            assertNull(outs.get(i).error(), what + " " + c.job().name());
            NdArray got = outs.get(i).outputs().get(0);
            if (c.want() != null) {
                assertArrayEquals(c.want(), longs(got), what + " " + c.job().name());
            } else {
                NdArray want = new Interpreter(c.job().graph()).run(c.job().inputs()).get(0);
                assertArrayEquals(doubles(want), doubles(got), what + " " + c.job().name());
            }
        }
    }

    private static long[] longs(NdArray a) {
        long[] r = new long[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.getLong(i);
        return r;
    }

    private static double[] doubles(NdArray a) {
        double[] r = new double[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.getDouble(i);
        return r;
    }
}
