package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.frontend.onnx.OnnxImporter;
import dev.kiln.frontend.onnx.proto.Onnx.AttributeProto;
import dev.kiln.frontend.onnx.proto.Onnx.GraphProto;
import dev.kiln.frontend.onnx.proto.Onnx.ModelProto;
import dev.kiln.frontend.onnx.proto.Onnx.NodeProto;
import dev.kiln.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import dev.kiln.frontend.onnx.proto.Onnx.TensorShapeProto;
import dev.kiln.frontend.onnx.proto.Onnx.TypeProto;
import dev.kiln.frontend.onnx.proto.Onnx.ValueInfoProto;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

class SoftmaxTest {
    private static ValueInfoProto f32(String name, int... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (int d : dims) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))).build();
    }

    /** Softmax of a [2, 3, 4] tensor with axis 1 at {@code opset}. */
    private static float[] softmax(int opset, float[] data) {
        NodeProto node = NodeProto.newBuilder().setOpType("Softmax").addInput("x").addOutput("y")
                .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(1)).build();
        ModelProto m = ModelProto.newBuilder().setIrVersion(7)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(GraphProto.newBuilder().setName("g").addNode(node).addInput(f32("x", 2, 3, 4)).addOutput(f32("y", 2, 3, 4))).build();
        Graph g = OnnxImporter.importModel(m, null, "test", new ImportOptions());
        return new Interpreter(g).run(List.of(NdArray.ofFloats(Shape.of(2, 3, 4), data))).get(0).floats();
    }

    @Test
    void opset11NormalisesTheWholeTrailingBlockAndOpset13OnlyTheAxis() {
        float[] x = new float[24];
        for (int i = 0; i < 24; i++) x[i] = (i % 7) * 0.5f - 1;
        float[] old = softmax(11, x.clone()), now = softmax(13, x.clone());
        for (int b = 0; b < 2; b++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < 12; i++) max = Math.max(max, x[b * 12 + i]);
            for (int i = 0; i < 12; i++) sum += Math.exp(x[b * 12 + i] - max);
            for (int i = 0; i < 12; i++) assertEquals((float) (Math.exp(x[b * 12 + i] - max) / sum), old[b * 12 + i], 1e-7);
            for (int k = 0; k < 4; k++) {
                double s = 0;
                for (int c = 0; c < 3; c++) s += Math.exp(x[b * 12 + c * 4 + k]);
                for (int c = 0; c < 3; c++) assertEquals((float) (Math.exp(x[b * 12 + c * 4 + k]) / s), now[b * 12 + c * 4 + k], 1e-7);
            }
        }
    }
}
