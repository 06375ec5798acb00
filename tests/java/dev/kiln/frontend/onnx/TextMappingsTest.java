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
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * TfIdfVectorizer's IDF and TFIDF modes, weights, permuted output columns, skips over more than one distance and
 * 1-D input, which ONNX's node cases (TF mode only) leave out. Expected values are ONNX's reference evaluator's.
 */
class TextMappingsTest {
    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) b.addInts(x);
        return b.build();
    }

    /** Unigrams 1, 2 and bigrams (1 2), (2 3), to output columns 3, 0, 1, 2; n from 1 to 2. */
    private static Graph vectorizer(String mode, int skip, float[] weights, int... xDims) {
        List<AttributeProto> a = new ArrayList<>(List.of(OnnxModels.intAttr("min_gram_length", 1), OnnxModels.intAttr("max_gram_length", 2), OnnxModels.intAttr("max_skip_count", skip),
                ints("ngram_counts", 0, 2), ints("ngram_indexes", 3, 0, 1, 2), ints("pool_int64s", 1, 2, 1, 2, 2, 3),
                AttributeProto.newBuilder().setName("mode").setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(mode)).build()));
        if (weights != null) {
            AttributeProto.Builder w = AttributeProto.newBuilder().setName("weights").setType(AttributeProto.AttributeType.FLOATS);
            for (float f : weights) w.addFloats(f);
            a.add(w.build());
        }
        Object[] dims = new Object[xDims.length];
        for (int i = 0; i < dims.length; i++) dims[i] = xDims[i];
        var g = graph("tfidf").addNode(node("TfIdfVectorizer", List.of("x"), List.of("y"), "tfidf", a.toArray(new AttributeProto[0])))
                .addInput(tensor("x", 7, dims)).addOutput(tensor("y", 1));
        return OnnxImporter.importModel(OnnxModels.model(g, 9), null, "tfidf.onnx", new ImportOptions());
    }

    private static final NdArray ROWS = NdArray.ofLongs(DType.I64, Shape.of(2, 5), 1, 2, 1, 2, 3, 2, 3, 2, 2, 1);

    private static float[] run(Graph g, NdArray x) {
        NdArray y = new Interpreter(g).run(List.of(x)).get(0);
        assertEquals(DType.F32, y.dtype());
        return y.floats();
    }

    @Test
    void termFrequenciesLandInTheirColumns() {
        assertArrayEquals(new float[] {2, 2, 1, 2, 3, 0, 1, 1}, run(vectorizer("TF", 1, null, 2, 5), ROWS));
    }

    @Test
    void tfidfAndIdfWeighTheColumns() {
        float[] w = {0.5f, 1, 2, 4};
        assertArrayEquals(new float[] {1, 2, 2, 8, 1.5f, 0, 2, 4}, run(vectorizer("TFIDF", 1, w, 2, 5), ROWS));
        assertArrayEquals(new float[] {0.5f, 1, 2, 4, 0.5f, 0, 2, 4}, run(vectorizer("IDF", 1, w, 2, 5), ROWS));
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 0, 1, 1}, run(vectorizer("IDF", 1, null, 2, 5), ROWS));
    }

    @Test
    void oneRowCountsEveryDistanceUpToTheSkip() {
        Graph g = vectorizer("TF", 2, null, 6);
        assertEquals(1, g.outputs().get(0).shape().rank());
        assertArrayEquals(new float[] {2, 2, 3, 2}, run(g, NdArray.ofLongs(DType.I64, Shape.of(6), 1, 2, 3, 2, 3, 1)));
    }

    @Test
    void stringPoolsAreRefusedWithAReason() {
        var g = graph("tfidf").addNode(node("TfIdfVectorizer", List.of("x"), List.of("y"), "tfidf",
                        AttributeProto.newBuilder().setName("pool_strings").setType(AttributeProto.AttributeType.STRINGS).addStrings(ByteString.copyFromUtf8("a")).build()))
                .addInput(tensor("x", 7, 3)).addOutput(tensor("y", 1));
        KilnException e = assertThrows(KilnException.class, () -> OnnxImporter.importModel(OnnxModels.model(g, 9), null, "tfidf.onnx", new ImportOptions()));
        assertTrue(e.getMessage().contains("pool_strings: string n-grams need string tensors"), e.getMessage());
    }
}
