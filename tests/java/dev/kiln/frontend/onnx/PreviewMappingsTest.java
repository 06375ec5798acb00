package dev.kiln.frontend.onnx;

import static dev.kiln.frontend.onnx.OnnxModels.graph;
import static dev.kiln.frontend.onnx.OnnxModels.node;
import static dev.kiln.frontend.onnx.OnnxModels.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.CompileOptions;
import dev.kiln.Kiln;
import dev.kiln.TestFiles;
import dev.kiln.check.Compare;
import dev.kiln.diag.KilnException;
import dev.kiln.frontend.onnx.proto.Onnx.AttributeProto;
import dev.kiln.frontend.onnx.proto.Onnx.GraphProto;
import dev.kiln.frontend.onnx.proto.Onnx.ModelProto;
import dev.kiln.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * FlexAttention (domain ai.onnx.preview) decomposed at import: its stage graphs become ordinary nodes (the causal
 * mask's index arithmetic folds to a constant), the -O0 and -O3 graphs both match ONNX's recorded outputs, and
 * -O3 folds the score scale into the softmax. Stage graphs of another form are refused with a reason.
 */
class PreviewMappingsTest {
    private static final List<String> CASES = List.of("test_flexattention", "test_flexattention_causal_mask", "test_flexattention_gqa",
            "test_flexattention_soft_cap", "test_flexattention_prob_mod", "test_flexattention_relative_positional", "test_flexattention_fp16");

    private static Graph load(String name) { return Kiln.load(TestFiles.onnxNode().resolve(name).resolve("model.onnx"), new ImportOptions()); }

    private static List<NdArray> data(String name, String kind, int count) {
        List<NdArray> r = new ArrayList<>();
        Path set = TestFiles.onnxNode().resolve(name).resolve("test_data_set_0");
        for (int i = 0; i < count; i++) r.add(TensorProtos.readPb(set.resolve(kind + "_" + i + ".pb"), Long.MAX_VALUE));
        return r;
    }

    private static long count(Graph g, String op) { return g.nodes().stream().filter(n -> n.op().name().equals(op)).count(); }

    @Test
    void everyStageAndEveryLevelMatchesTheRecordedOutputs() {
        for (String name : CASES) {
            List<NdArray> ins = data(name, "input", 3), expected = data(name, "output", 1);
            for (int level : new int[] {0, 3}) {
                Graph g = load(name);
                Kiln.optimize(g, null, CompileOptions.level(level));
                NdArray y = new Interpreter(g).run(ins).get(0);
                String bad = Compare.mismatch(expected.get(0), y, 2e-3, 1e-4);
                assertNull(bad, name + " at -O" + level + ": " + bad);
            }
        }
    }

    @Test
    void theCausalMaskFoldsAndTheScaleJoinsTheSoftmaxAtO3() {
        Graph g = load("test_flexattention_causal_mask");
        assertEquals(0, count(g, "range") + count(g, "shape") + count(g, "greater_or_equal"), "the mask's index arithmetic is constant");
        Node where = g.nodes().stream().filter(n -> n.op().name().equals("where")).findFirst().orElseThrow();
        assertTrue(where.input(0).isConstant(), "the causal mask is a constant");
        Graph plain = load("test_flexattention");
        assertEquals(1, count(plain, "mul"));
        Kiln.optimize(plain, null, CompileOptions.defaults());
        assertEquals(0, count(plain, "mul"), "FuseSoftmaxScale takes the scale into the softmax");
        assertEquals(1, count(plain, "softmax"));
    }

    @Test
    void softmaxPrecisionWidensTheSoftmax() throws java.io.IOException {
        Path dir = TestFiles.onnxNode().resolve("test_flexattention");
        ModelProto m = ModelProto.parseFrom(java.nio.file.Files.readAllBytes(dir.resolve("model.onnx")));
        var node = m.getGraph().getNode(0).toBuilder().addAttribute(OnnxModels.intAttr("softmax_precision", 11));
        Graph g = OnnxImporter.importModel(m.toBuilder().setGraph(m.getGraph().toBuilder().setNode(0, node)).build(), dir, "flex.onnx", new ImportOptions());
        assertTrue(g.nodes().stream().anyMatch(n -> n.op().name().equals("softmax") && n.output(0).dtype() == dev.kiln.ir.DType.F64), "the softmax runs in f64");
        assertEquals(dev.kiln.ir.DType.F32, g.outputs().get(0).dtype());
        String bad = Compare.mismatch(data("test_flexattention", "output", 1).get(0), new Interpreter(g).run(data("test_flexattention", "input", 3)).get(0), 1e-4, 1e-6);
        assertNull(bad, bad);
    }

    /** A FlexAttention model over [1, 2, 3, 4] tensors whose score_mod is {@code mod}. */
    private static ModelProto withScoreMod(GraphProto.Builder mod) {
        AttributeProto attr = AttributeProto.newBuilder().setName("score_mod").setType(AttributeProto.AttributeType.GRAPH).setG(mod).build();
        GraphProto.Builder g = graph("flex")
                .addNode(node("FlexAttention", List.of("q", "k", "v"), List.of("y"), "flex", attr).toBuilder().setDomain("ai.onnx.preview").build())
                .addInput(tensor("q", 1, 1, 2, 3, 4)).addInput(tensor("k", 1, 1, 2, 3, 4)).addInput(tensor("v", 1, 1, 2, 3, 4))
                .addOutput(tensor("y", 1, 1, 2, 3, 4));
        return OnnxModels.model(g, 26).toBuilder().addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("ai.onnx.preview").setVersion(1)).build();
    }

    @Test
    void aStageGraphWithIndexInputsIsRefusedWithAReason() {
        // the later draft's score_mod(score, b, h, q_idx, kv_idx) form
        GraphProto.Builder mod = graph("score_mod").addNode(node("Identity", List.of("s"), List.of("o"), "id"))
                .addInput(tensor("s", 1)).addInput(tensor("b", 7)).addInput(tensor("h", 7)).addInput(tensor("q", 7)).addInput(tensor("k", 7))
                .addOutput(tensor("o", 1));
        KilnException e = assertThrows(KilnException.class, () -> OnnxImporter.importModel(withScoreMod(mod), null, "flex.onnx", new ImportOptions()));
        assertTrue(e.getMessage().contains("region 'score_mod' declares 5 inputs, the node gives it 1"), e.getMessage());
    }

    @Test
    void anUnsupportedOpInAStageGraphIsReportedByName() {
        GraphProto.Builder mod = graph("score_mod").addNode(node("NoSuchOp", List.of("s"), List.of("o"), "odd"))
                .addInput(tensor("s", 1)).addOutput(tensor("o", 1));
        KilnException e = assertThrows(KilnException.class, () -> OnnxImporter.importModel(withScoreMod(mod), null, "flex.onnx", new ImportOptions()));
        assertTrue(e.getMessage().contains("NoSuchOp"), e.getMessage());
    }

    @Test
    void headsThatDoNotDivideAreRefused() {
        GraphProto.Builder g = graph("flex")
                .addNode(node("FlexAttention", List.of("q", "k", "v"), List.of("y"), "flex").toBuilder().setDomain("ai.onnx.preview").build())
                .addInput(tensor("q", 1, 1, 3, 3, 4)).addInput(tensor("k", 1, 1, 2, 3, 4)).addInput(tensor("v", 1, 1, 2, 3, 4))
                .addOutput(tensor("y", 1, 1, 3, 3, 4));
        ModelProto m = OnnxModels.model(g, 26).toBuilder().addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("ai.onnx.preview").setVersion(1)).build();
        KilnException e = assertThrows(KilnException.class, () -> OnnxImporter.importModel(m, null, "flex.onnx", new ImportOptions()));
        assertTrue(e.getMessage().contains("Q's heads a multiple of K's"), e.getMessage());
    }
}
