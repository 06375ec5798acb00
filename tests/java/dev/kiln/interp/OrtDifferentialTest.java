package dev.kiln.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.Kiln;
import dev.kiln.TestFiles;
import dev.kiln.check.Compare;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Differential test: Kiln's interpreter against ONNX Runtime (Java API, graph optimizations off so QDQ models
 * keep their exact meaning) on random inputs for every model in {@code tests/models}. Random inputs are drawn
 * from the value range of the model's recorded test input.
 */
class OrtDifferentialTest {
    private static final int SAMPLES = 2;
    private static OrtEnvironment env;

    @BeforeAll
    static void start() { env = OrtEnvironment.getEnvironment(); }

    @TestFactory
    Stream<DynamicTest> modelsAgreeWithOnnxRuntime() {
        return TestFiles.caseDirs(TestFiles.models()).map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> compare(dir)));
    }

    private static void compare(Path dir) throws OrtException {
        Path model = dir.resolve("model.onnx");
        Graph g = Kiln.load(model, new ImportOptions());
        TestCase.DataSet recorded = TestCase.find(List.of(dir)).get(0).dataSets(ImportOptions.DEFAULT_MAX_TENSOR_BYTES).get(0);
        Random rnd = new Random(dir.getFileName().toString().hashCode());
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            so.setIntraOpNumThreads(1);
            so.setInterOpNumThreads(1);
            try (OrtSession session = env.createSession(model.toString(), so)) {
                for (int s = 0; s < SAMPLES; s++) {
                    Map<String, NdArray> inputs = new LinkedHashMap<>();
                    for (int i = 0; i < g.inputs().size(); i++) {
                        Value v = g.inputs().get(i);
                        inputs.put(v.name(), random(v, recorded.inputs().get(i), rnd));
                    }
                    Map<String, NdArray> kiln = new Interpreter(g).run(inputs);
                    List<NdArray> ort = runOrt(session, inputs);
                    assertEquals(g.outputs().size(), ort.size(), "number of outputs");
                    int k = 0;
                    for (Map.Entry<String, NdArray> e : kiln.entrySet()) {
                        NdArray expected = ort.get(k++);
                        assertNull(Compare.mismatch(expected, e.getValue(), 1e-3, 1e-4), "sample " + s + " output " + e.getKey());
                    }
                }
            }
        }
    }

    private static NdArray random(Value v, NdArray like, Random rnd) {
        NdArray a = NdArray.zeros(v.type());
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (int i = 0; i < like.size(); i++) {
            lo = Math.min(lo, like.getDouble(i));
            hi = Math.max(hi, like.getDouble(i));
        }
        if (!(hi > lo)) {
            lo -= 1;
            hi += 1;
        }
        for (int i = 0; i < a.size(); i++) {
            double x = lo + (hi - lo) * rnd.nextDouble();
            if (v.dtype().isFloat()) a.setDouble(i, x);
            else a.setLong(i, Math.round(x));
        }
        return a;
    }

    private static List<NdArray> runOrt(OrtSession session, Map<String, NdArray> inputs) throws OrtException {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, NdArray> e : inputs.entrySet()) feeds.put(e.getKey(), toOrt(e.getValue()));
            try (OrtSession.Result r = session.run(feeds)) {
                List<NdArray> outs = new ArrayList<>();
                for (int i = 0; i < r.size(); i++) outs.add(fromOrt((OnnxTensor) r.get(i)));
                return outs;
            }
        } finally {
            for (OnnxTensor t : feeds.values()) t.close();
        }
    }

    private static OnnxTensor toOrt(NdArray a) throws OrtException {
        long[] shape = a.shape().dimsLong();
        switch (a.dtype()) {
            case F32: return OnnxTensor.createTensor(env, FloatBuffer.wrap(a.floats()), shape);
            case I64: return OnnxTensor.createTensor(env, LongBuffer.wrap(a.longs()), shape);
            case I8: case U8: {
                ByteBuffer b = ByteBuffer.allocateDirect(a.size()).order(ByteOrder.nativeOrder());
                for (int i = 0; i < a.size(); i++) b.put((byte) a.getLong(i));
                b.flip();
                return OnnxTensor.createTensor(env, b, shape, a.dtype() == DType.I8 ? OnnxJavaType.INT8 : OnnxJavaType.UINT8);
            }
            default: throw new IllegalArgumentException("test does not feed " + a.dtype() + " inputs to ONNX Runtime");
        }
    }

    private static NdArray fromOrt(OnnxTensor t) {
        long[] shape = t.getInfo().getShape();
        dev.kiln.ir.Shape s = dev.kiln.ir.Shape.of(shape);
        switch (t.getInfo().type) {
            case FLOAT: {
                FloatBuffer fb = t.getFloatBuffer();
                float[] f = new float[fb.remaining()];
                fb.get(f);
                return NdArray.ofFloats(s, f);
            }
            case INT64: {
                LongBuffer lb = t.getLongBuffer();
                long[] l = new long[lb.remaining()];
                lb.get(l);
                return NdArray.ofLongs(DType.I64, s, l);
            }
            case INT8: case UINT8: {
                ByteBuffer bb = t.getByteBuffer();
                long[] l = new long[bb.remaining()];
                for (int i = 0; i < l.length; i++) l[i] = t.getInfo().type == OnnxJavaType.INT8 ? bb.get() : bb.get() & 0xFF;
                return NdArray.ofLongs(t.getInfo().type == OnnxJavaType.INT8 ? DType.I8 : DType.U8, s, l);
            }
            default: throw new IllegalArgumentException("unexpected ONNX Runtime output type " + t.getInfo().type);
        }
    }
}
