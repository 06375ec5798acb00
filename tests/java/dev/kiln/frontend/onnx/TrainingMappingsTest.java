package dev.kiln.frontend.onnx;

import static dev.kiln.frontend.onnx.OnnxModels.floatAttr;
import static dev.kiln.frontend.onnx.OnnxModels.graph;
import static dev.kiln.frontend.onnx.OnnxModels.node;
import static dev.kiln.frontend.onnx.OnnxModels.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kiln.diag.KilnException;
import dev.kiln.frontend.onnx.proto.Onnx.AttributeProto;
import dev.kiln.frontend.onnx.proto.Onnx.ModelProto;
import dev.kiln.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The optimizer ops of ai.onnx.preview.training beyond ONNX's node cases: the first step ({@code T = 0}), where
 * Momentum's gradient coefficient is 1 and Adam does no bias correction, and malformed input lists.
 */
class TrainingMappingsTest {
    private static final float ALPHA = 0.9f, BETA = 0.5f, NORM = 0.01f;

    private static ModelProto model(String op, List<String> ins, List<String> outs, AttributeProto... attrs) {
        var g = graph("opt").addNode(node(op, ins, outs, "opt", attrs).toBuilder().setDomain(TrainingMappings.DOMAIN).build())
                .addInput(tensor("R", 1)).addInput(tensor("T", 7));
        for (String in : ins.subList(2, ins.size())) g.addInput(tensor(in, 1, 2));
        for (String out : outs) g.addOutput(tensor(out, 1, 2));
        return ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(TrainingMappings.DOMAIN).setVersion(1))
                .setGraph(g).build();
    }

    private static List<NdArray> run(ModelProto m, long t) {
        Graph g = OnnxImporter.importModel(m, null, "opt.onnx", new ImportOptions());
        NdArray r = NdArray.ofFloats(Shape.scalar(), 0.1f), steps = NdArray.ofLongs(DType.I64, Shape.scalar(), t);
        NdArray x = NdArray.ofFloats(Shape.of(2), 1f, -2f), grad = NdArray.ofFloats(Shape.of(2), 0.5f, 3f), v = NdArray.ofFloats(Shape.of(2), 0.2f, -0.4f);
        return new Interpreter(g).run(m.getGraph().getInputCount() == 5 ? List.of(r, steps, x, grad, v) : List.of(r, steps, x, grad, v, v));
    }

    private static AttributeProto mode(String m) {
        return AttributeProto.newBuilder().setName("mode").setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(m)).build();
    }

    @Test
    void momentumsFirstStepTakesTheWholeGradient() {
        ModelProto m = model("Momentum", List.of("R", "T", "X", "G", "V"), List.of("X_new", "V_new"),
                floatAttr("alpha", ALPHA), floatAttr("beta", BETA), floatAttr("norm_coefficient", NORM), mode("standard"));
        float[] x = {1f, -2f}, grad = {0.5f, 3f}, v = {0.2f, -0.4f};
        for (long t : new long[] {0, 3}) {
            List<NdArray> out = run(m, t);
            float coef = t > 0 ? BETA : 1f;
            float[] vNew = new float[2], xNew = new float[2];
            for (int i = 0; i < 2; i++) {
                vNew[i] = ALPHA * v[i] + coef * (NORM * x[i] + grad[i]);
                xNew[i] = x[i] - 0.1f * vNew[i];
            }
            assertArrayEquals(xNew, out.get(0).floats(), 1e-6f, "X_new at T=" + t);
            assertArrayEquals(vNew, out.get(1).floats(), 1e-6f, "V_new at T=" + t);
        }
    }

    @Test
    void adamsFirstStepHasNoBiasCorrection() {
        ModelProto m = model("Adam", List.of("R", "T", "X", "G", "V", "H"), List.of("X_new", "V_new", "H_new"),
                floatAttr("alpha", ALPHA), floatAttr("beta", BETA), floatAttr("epsilon", 1e-3f));
        float[] x = {1f, -2f}, grad = {0.5f, 3f}, v = {0.2f, -0.4f};
        for (long t : new long[] {0, 2}) {
            double r = t > 0 ? 0.1 * Math.sqrt(1 - Math.pow(BETA, t)) / (1 - Math.pow(ALPHA, t)) : 0.1;
            float[] xNew = new float[2];
            for (int i = 0; i < 2; i++) {
                double vn = ALPHA * v[i] + (1 - ALPHA) * grad[i], hn = BETA * v[i] + (1 - BETA) * grad[i] * grad[i];
                xNew[i] = (float) (x[i] - r * vn / (Math.sqrt(hn) + 1e-3));
            }
            assertArrayEquals(xNew, run(m, t).get(0).floats(), 1e-5f, "X_new at T=" + t);
        }
    }

    @Test
    void unevenInputListsAreRefusedNamingTheNode() {
        ModelProto m = model("Adagrad", List.of("R", "T", "X", "G"), List.of("X_new"));
        KilnException e = assertThrows(KilnException.class, () -> OnnxImporter.importModel(m, null, "opt.onnx", new ImportOptions()));
        assertTrue(e.getMessage().contains("'opt'") && e.getMessage().contains("3 lists of tensors of equal length"), e.getMessage());
    }

    @Test
    void unknownMomentumModeIsRefused() {
        ModelProto m = model("Momentum", List.of("R", "T", "X", "G", "V"), List.of("X_new", "V_new"), mode("heavy"));
        KilnException e = assertThrows(KilnException.class, () -> OnnxImporter.importModel(m, null, "opt.onnx", new ImportOptions()));
        assertTrue(e.getMessage().contains("mode must be 'standard' or 'nesterov'"), e.getMessage());
    }
}
