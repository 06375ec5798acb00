package dev.kiln.frontend.onnx;

import static dev.kiln.frontend.onnx.OnnxModels.graph;
import static dev.kiln.frontend.onnx.OnnxModels.node;
import static dev.kiln.frontend.onnx.OnnxModels.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** LabelEncoder on numbers (no ONNX node case covers it) and the ai.onnx.ml domain of the importer. */
class MlMappingsTest {
    private static ModelProto mlModel(AttributeProto... attrs) {
        var g = graph("le").addNode(node("LabelEncoder", List.of("x"), List.of("y"), "le", attrs).toBuilder().setDomain("ai.onnx.ml").build())
                .addInput(tensor("x", 7, 2, 3)).addOutput(tensor("y", 1, 2, 3));
        // why: an ai.onnx.ml-only model (as skl2onnx writes for pure ML pipelines) must import
        return ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("ai.onnx.ml").setVersion(2)).setGraph(g).build();
    }

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) b.addInts(x);
        return b.build();
    }

    private static AttributeProto floats(String name, float... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOATS);
        for (float x : v) b.addFloats(x);
        return b.build();
    }

    @Test
    void int64KeysToFloatValuesWithDefault() {
        Graph g = OnnxImporter.importModel(mlModel(ints("keys_int64s", 1, 5, -2), floats("values_floats", 0.5f, 2.5f, -7f),
                OnnxModels.floatAttr("default_float", 9f)), null, "le.onnx", new ImportOptions());
        NdArray x = NdArray.ofLongs(DType.I64, Shape.of(2, 3), 1, 2, 5, -2, 5, 0);
        NdArray y = new Interpreter(g).run(List.of(x)).get(0);
        assertEquals(DType.F32, y.dtype());
        assertArrayEquals(new float[] {0.5f, 9f, 2.5f, -7f, 2.5f, 9f}, y.floats());
    }

    @Test
    void stringKeysAreRefusedWithAReason() {
        AttributeProto keys = AttributeProto.newBuilder().setName("keys_strings").setType(AttributeProto.AttributeType.STRINGS)
                .addStrings(ByteString.copyFromUtf8("a")).build();
        KilnException e = assertThrows(KilnException.class, () -> OnnxImporter.importModel(mlModel(keys, floats("values_floats", 1f)), null,
                "le.onnx", new ImportOptions()));
        assertTrue(e.getMessage().contains("string keys or values are not supported"), e.getMessage());
    }

    @Test
    void mlOpsAreListedWithTheirDomain() {
        assertTrue(OnnxImporter.supportedOps().containsAll(List.of("ai.onnx.ml::TreeEnsemble", "ai.onnx.ml::LabelEncoder", "ai.onnx.ml::Binarizer")),
                OnnxImporter.supportedOps().toString());
    }
}
