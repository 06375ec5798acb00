package dev.kiln.maven;

import static dev.kiln.frontend.onnx.OnnxModels.graph;
import static dev.kiln.frontend.onnx.OnnxModels.model;
import static dev.kiln.frontend.onnx.OnnxModels.node;
import static dev.kiln.frontend.onnx.OnnxModels.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.TestFiles;
import dev.kiln.frontend.onnx.proto.Onnx.StringStringEntryProto;
import dev.kiln.frontend.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files a model reads besides itself, which make it stale when they change. */
class ModelInputsTest {
    @TempDir
    Path dir;

    @Test
    void aDslModelReadsItsWeightsFile() {
        Path m = TestFiles.root().resolve("tests/dsl/tiny_mlp/model.kiln");
        assertEquals(List.of(m.toAbsolutePath().getParent().resolve("tiny_mlp.npz").normalize()), ModelInputs.referencedFiles(m));
    }

    @Test
    void dslStringsThatNameNoFileAreIgnored() throws IOException {
        Files.write(dir.resolve("w.npy"), new byte[] {0});
        Path m = Files.writeString(dir.resolve("m.kiln"),
                "input x: f32[2]\nconst c: f32[2] = file(\"w.npy\", \"key\")\nconst d: f32[2] = file(\"sub\\\\dir.npy\")\ny = x | add(c)\noutput y\n");
        assertEquals(List.of(dir.resolve("w.npy")), ModelInputs.referencedFiles(m));
    }

    @Test
    void anOnnxModelReadsItsExternalData() throws IOException {
        Files.write(dir.resolve("weights.bin"), new byte[8]);
        TensorProto.Builder w = TensorProto.newBuilder().setName("w").setDataType(1).addDims(2)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin"));
        byte[] bytes = model(graph("g").addInput(tensor("x", 1, 2)).addInitializer(w)
                .addNode(node("Add", List.of("x", "w"), List.of("y"), "add")).addOutput(tensor("y", 1, 2)), 13).toByteArray();
        Path m = Files.write(dir.resolve("m.onnx"), bytes);
        assertEquals(List.of(dir.resolve("weights.bin")), ModelInputs.referencedFiles(m));
    }

    @Test
    void anUnreadableModelReferencesNothing() throws IOException {
        Path m = Files.write(dir.resolve("bad.onnx"), new byte[] {(byte) 0xff, 1, 2});
        assertEquals(List.of(), ModelInputs.referencedFiles(m));
        assertEquals(List.of(), ModelInputs.referencedFiles(dir.resolve("missing.kiln")));
    }
}
