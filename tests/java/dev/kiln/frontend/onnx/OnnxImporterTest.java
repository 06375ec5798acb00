package dev.kiln.frontend.onnx;

import static dev.kiln.frontend.onnx.OnnxModels.graph;
import static dev.kiln.frontend.onnx.OnnxModels.model;
import static dev.kiln.frontend.onnx.OnnxModels.node;
import static dev.kiln.frontend.onnx.OnnxModels.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.frontend.onnx.proto.Onnx.FunctionProto;
import dev.kiln.frontend.onnx.proto.Onnx.ModelProto;
import dev.kiln.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import dev.kiln.frontend.onnx.proto.Onnx.StringStringEntryProto;
import dev.kiln.frontend.onnx.proto.Onnx.TensorProto;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxImporterTest {
    private static final int F = 1;

    @TempDir
    Path tmp;

    private Graph importModel(ModelProto m, ImportOptions o) throws IOException {
        Path f = tmp.resolve("model.onnx");
        Files.write(f, m.toByteArray());
        return OnnxImporter.importFile(f, o);
    }

    private static ModelProto addRelu() {
        return model(graph("g").addInput(tensor("x", F, 2)).addInput(tensor("y", F, 2))
                .addNode(node("Add", List.of("x", "y"), List.of("s"), "add"))
                .addNode(node("Relu", List.of("s"), List.of("z"), "relu"))
                .addOutput(tensor("z", F, 2)), 13);
    }

    @Test
    void importsAndRunsSmallGraph() throws IOException {
        Graph g = importModel(addRelu(), new ImportOptions());
        assertEquals(2, g.nodes().size());
        Map<String, NdArray> out = new Interpreter(g).run(Map.of(
                "x", NdArray.ofFloats(Shape.of(2), 1f, -3f), "y", NdArray.ofFloats(Shape.of(2), 0.5f, 1f)));
        assertArrayEquals(new float[] {1.5f, 0f}, out.get("z").floats());
    }

    @Test
    void reportsAllUnsupportedNodesAtOnce() {
        ModelProto m = model(graph("g").addInput(tensor("x", F, 2))
                .addNode(node("Relu", List.of("x"), List.of("a"), "r"))
                .addNode(node("FancyOp", List.of("a"), List.of("b"), "fancy1"))
                .addNode(node("OtherOp", List.of("x"), List.of("c"), "other"))
                .addNode(node("FancyOp", List.of("b"), List.of("d"), "fancy2").toBuilder().setDomain("com.example").build())
                .addOutput(tensor("d", F, 2)).addOutput(tensor("c", F, 2)), 13);
        KilnException e = assertThrows(KilnException.class, () -> importModel(m, new ImportOptions()));
        assertEquals(Code.UNSUPPORTED_OPS, e.code());
        String msg = e.getMessage();
        assertTrue(msg.contains("3 unsupported node(s)"), msg);
        assertTrue(msg.contains("FancyOp, opset 13, node 'fancy1'"), msg);
        assertTrue(msg.contains("OtherOp, opset 13, node 'other'"), msg);
        assertTrue(msg.contains("FancyOp (domain com.example), opset not imported, node 'fancy2'"), msg);
        assertTrue(msg.contains("model.onnx"), msg);
    }

    @Test
    void truncatedFileIsAClearError() throws IOException {
        byte[] full = addRelu().toByteArray();
        Path f = tmp.resolve("cut.onnx");
        Files.write(f, java.util.Arrays.copyOf(full, full.length / 2));
        KilnException e = assertThrows(KilnException.class, () -> OnnxImporter.importFile(f, new ImportOptions()));
        assertEquals(Code.ONNX_PARSE, e.code());
        assertTrue(e.getMessage().contains("cut.onnx"), e.getMessage());
    }

    @Test
    void nonOnnxFileIsAClearError() throws IOException {
        Path f = tmp.resolve("notes.onnx");
        Files.writeString(f, "this is a text file, not a model\n");
        KilnException e = assertThrows(KilnException.class, () -> OnnxImporter.importFile(f, new ImportOptions()));
        assertTrue(e.code() == Code.ONNX_PARSE || e.code() == Code.ONNX_NO_GRAPH, e.getMessage());
    }

    @Test
    void symbolicBatchDefaultsToOneAndOtherDimsNeedBinding() throws IOException {
        ModelProto batch = model(graph("g").addInput(tensor("x", F, "N", 4))
                .addNode(node("Relu", List.of("x"), List.of("y"), "r")).addOutput(tensor("y", F, "N", 4)), 13);
        assertEquals(Shape.of(1, 4), importModel(batch, new ImportOptions()).inputs().get(0).shape());

        ModelProto seq = model(graph("g").addInput(tensor("x", F, 1, "T"))
                .addNode(node("Relu", List.of("x"), List.of("y"), "r")).addOutput(tensor("y", F, 1, "T")), 13);
        KilnException e = assertThrows(KilnException.class, () -> importModel(seq, new ImportOptions()));
        assertEquals(Code.UNBOUND_DIM, e.code());
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("'T'") && e.getMessage().contains("--input-shape x="), e.getMessage());
        assertEquals(Shape.of(1, 49), importModel(seq, new ImportOptions().inputShape("x", 1, 49)).inputs().get(0).shape());
    }

    @Test
    void cyclesAndUndefinedValuesAreReported() {
        ModelProto cycle = model(graph("g").addInput(tensor("x", F, 2))
                .addNode(node("Add", List.of("x", "b"), List.of("a"), "n1"))
                .addNode(node("Relu", List.of("a"), List.of("b"), "n2")).addOutput(tensor("b", F, 2)), 13);
        assertEquals(Code.GRAPH_CYCLE, assertThrows(KilnException.class, () -> importModel(cycle, new ImportOptions())).code());
        ModelProto undefined = model(graph("g").addInput(tensor("x", F, 2))
                .addNode(node("Add", List.of("x", "ghost"), List.of("a"), "n1")).addOutput(tensor("a", F, 2)), 13);
        KilnException e = assertThrows(KilnException.class, () -> importModel(undefined, new ImportOptions()));
        assertEquals(Code.UNDEFINED_VALUE, e.code());
        assertTrue(e.getMessage().contains("ghost") && e.getMessage().contains("n1"), e.getMessage());
    }

    @Test
    void outOfOrderNodesAreSorted() throws IOException {
        ModelProto m = model(graph("g").addInput(tensor("x", F, 2)).addInput(tensor("y", F, 2))
                .addNode(node("Relu", List.of("s"), List.of("z"), "relu"))
                .addNode(node("Add", List.of("x", "y"), List.of("s"), "add"))
                .addOutput(tensor("z", F, 2)), 13);
        Graph g = importModel(m, new ImportOptions());
        assertEquals("add", g.nodes().get(0).name());
    }

    @Test
    void constantSubexpressionsFoldAtImport() throws IOException {
        ModelProto m = model(graph("g").addInput(tensor("x", F, 2))
                .addInitializer(TensorProtos.encode(NdArray.ofFloats(Shape.of(2), 1f, 2f), "c1"))
                .addInitializer(TensorProtos.encode(NdArray.ofFloats(Shape.of(2), 3f, -9f), "c2"))
                .addNode(node("Add", List.of("c1", "c2"), List.of("c"), "fold_me"))
                .addNode(node("Relu", List.of("c"), List.of("rc"), "fold_me_too"))
                .addNode(node("Add", List.of("x", "rc"), List.of("y"), "keep"))
                .addOutput(tensor("y", F, 2)), 13);
        Graph g = importModel(m, new ImportOptions());
        assertEquals(1, g.nodes().size());
        assertArrayEquals(new float[] {4f, 0f}, g.nodes().get(0).input(1).constant().floats());
    }

    @Test
    void modelLocalFunctionsAreInlined() throws IOException {
        FunctionProto addRelu = FunctionProto.newBuilder().setName("AddRelu").setDomain("local")
                .addInput("a").addInput("b").addOutput("o")
                .addNode(node("Add", List.of("a", "b"), List.of("t"), "inner_add"))
                .addNode(node("Relu", List.of("t"), List.of("o"), null))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).build();
        FunctionProto twice = FunctionProto.newBuilder().setName("Twice").setDomain("local")
                .addInput("p").addOutput("q")
                .addNode(node("AddRelu", List.of("p", "p"), List.of("q"), "call").toBuilder().setDomain("local").build())
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("local").setVersion(1)).build();
        ModelProto m = model(graph("g").addInput(tensor("x", F, 2))
                .addNode(node("Twice", List.of("x"), List.of("y"), "outer").toBuilder().setDomain("local").build())
                .addOutput(tensor("y", F, 2)), 13).toBuilder()
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("local").setVersion(1))
                .addFunctions(addRelu).addFunctions(twice).build();
        Graph g = importModel(m, new ImportOptions());
        assertEquals(List.of("add", "relu"), g.nodes().stream().map(n -> n.op().name()).toList());
        assertEquals("outer/call/inner_add", g.nodes().get(0).name());
        NdArray y = new Interpreter(g).run(Map.of("x", NdArray.ofFloats(Shape.of(2), 1.5f, -1f))).get("y");
        assertArrayEquals(new float[] {3f, 0f}, y.floats());
    }

    @Test
    void recursiveFunctionsAreRejected() {
        FunctionProto loop = FunctionProto.newBuilder().setName("Loop").setDomain("local")
                .addInput("a").addOutput("o")
                .addNode(node("Loop", List.of("a"), List.of("o"), "again").toBuilder().setDomain("local").build())
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("local").setVersion(1)).build();
        ModelProto m = model(graph("g").addInput(tensor("x", F, 2))
                .addNode(node("Loop", List.of("x"), List.of("y"), "start").toBuilder().setDomain("local").build())
                .addOutput(tensor("y", F, 2)), 13).toBuilder()
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("local").setVersion(1)).addFunctions(loop).build();
        assertEquals(Code.FUNCTION_RECURSION, assertThrows(KilnException.class, () -> importModel(m, new ImportOptions())).code());
    }

    private ModelProto externalModel(String location, long offset, long length) {
        TensorProto.Builder t = TensorProto.newBuilder().setName("w").setDataType(F).addDims(2)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location));
        if (offset >= 0) t.addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(offset)));
        if (length >= 0) t.addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(Long.toString(length)));
        return model(graph("g").addInput(tensor("x", F, 2)).addInitializer(t)
                .addNode(node("Add", List.of("x", "w"), List.of("y"), "add")).addOutput(tensor("y", F, 2)), 13);
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    @Test
    void externalDataIsReadFromTheModelFolder() throws IOException {
        Files.write(tmp.resolve("weights.bin"), floats(9f, 7f, 1f, 2f));
        Graph g = importModel(externalModel("weights.bin", 8, 8), new ImportOptions());
        assertArrayEquals(new float[] {1f, 2f}, g.nodes().get(0).input(1).constant().floats());
    }

    @Test
    void externalDataCannotEscapeTheModelFolder() throws IOException {
        Path outside = tmp.resolve("outside");
        Files.createDirectories(outside);
        Files.write(outside.resolve("secret.bin"), floats(1f, 2f));
        Path modelDir = tmp.resolve("m");
        Files.createDirectories(modelDir);
        Files.createSymbolicLink(modelDir.resolve("link.bin"), outside.resolve("secret.bin"));
        Files.write(modelDir.resolve("short.bin"), floats(1f));
        for (Object[] c : new Object[][] {
                {"../outside/secret.bin", "outside the model's folder"},
                {outside.resolve("secret.bin").toString(), "absolute"},
                {"link.bin", "link"},
                {"missing.bin", "does not exist"},
                {"short.bin", "do not fit"}}) {
            ModelProto m = externalModel((String) c[0], -1, c[0].equals("short.bin") ? 8 : -1);
            Path f = modelDir.resolve("model.onnx");
            Files.write(f, m.toByteArray());
            KilnException e = assertThrows(KilnException.class, () -> OnnxImporter.importFile(f, new ImportOptions()), (String) c[0]);
            assertEquals(Code.EXTERNAL_DATA, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains((String) c[1]), e.getMessage());
        }
    }

    @Test
    void initializerSizeMustMatchItsShape() {
        TensorProto bad = TensorProto.newBuilder().setName("w").setDataType(F).addDims(3).addFloatData(1f).build();
        ModelProto m = model(graph("g").addInput(tensor("x", F, 3)).addInitializer(bad)
                .addNode(node("Add", List.of("x", "w"), List.of("y"), "add")).addOutput(tensor("y", F, 3)), 13);
        KilnException e = assertThrows(KilnException.class, () -> importModel(m, new ImportOptions()));
        assertEquals(Code.BAD_TENSOR_DATA, e.code());
        assertTrue(e.getMessage().contains("has 1 values, shape [3] needs 3"), e.getMessage());
    }

    @Test
    void knownInputValuesFreezeInputsOnlyWhereNeeded() throws IOException {
        Graph g = importModel(addRelu(), new ImportOptions().knownInputValue("y", NdArray.ofFloats(Shape.of(2), 1f, 1f)));
        assertEquals(2, g.inputs().size(), "no mapping needed y's value, so it stays an input");
    }
}
