package dev.kiln.frontend.onnx;

import dev.kiln.frontend.onnx.proto.Onnx.AttributeProto;
import dev.kiln.frontend.onnx.proto.Onnx.GraphProto;
import dev.kiln.frontend.onnx.proto.Onnx.ModelProto;
import dev.kiln.frontend.onnx.proto.Onnx.NodeProto;
import dev.kiln.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import dev.kiln.frontend.onnx.proto.Onnx.TensorShapeProto;
import dev.kiln.frontend.onnx.proto.Onnx.TypeProto;
import dev.kiln.frontend.onnx.proto.Onnx.ValueInfoProto;
import java.util.List;

/** Small builders for hand-made ONNX models in tests. */
public final class OnnxModels {
    private OnnxModels() {}

    public static NodeProto node(String op, List<String> ins, List<String> outs, String name, AttributeProto... attrs) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).addAllInput(ins).addAllOutput(outs);
        if (name != null) b.setName(name);
        for (AttributeProto a : attrs) b.addAttribute(a);
        return b.build();
    }

    public static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    public static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    /** A tensor value-info; a dimension given as a String is symbolic, as null unknown. */
    public static ValueInfoProto tensor(String name, int elemType, Object... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder db = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof Number) db.setDimValue(((Number) d).longValue());
            else if (d instanceof String) db.setDimParam((String) d);
            s.addDim(db);
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s))).build();
    }

    public static GraphProto.Builder graph(String name) { return GraphProto.newBuilder().setName(name); }

    public static ModelProto model(GraphProto.Builder g, int opset) {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("kiln-tests")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(g).build();
    }
}
