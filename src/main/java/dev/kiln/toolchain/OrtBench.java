package dev.kiln.toolchain;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.NdArray;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The one class that links ONNX Runtime's Java API: a session with one intra-op and one inter-op thread and all
 * graph optimisations, timed on fixed inputs (with one thread of each kind ONNX Runtime runs the inference on the
 * calling thread, whose CPU time is therefore the inference's). Loaded only through {@link OrtLoader} (reflectively, possibly from
 * its own class loader), and seen through {@link OrtTimer}.
 */
public final class OrtBench implements OrtTimer, OrtTimer.Factory {
    private OrtEnvironment env;
    private OrtSession session;
    private final Map<String, OnnxTensor> feeds = new LinkedHashMap<>();

    /** The factory instance {@link OrtLoader} creates reflectively. */
    public OrtBench() {}

    @Override
    public OrtTimer open(Path model, Map<String, NdArray> inputs, int warmup) {
        OrtBench b = new OrtBench();
        try {
            b.env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
                o.setIntraOpNumThreads(1);
                o.setInterOpNumThreads(1);
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                b.session = b.env.createSession(model.toString(), o);
            }
            // why: feeding a different set of inputs than the model declares would time something else
            if (!new TreeSet<>(b.session.getInputNames()).equals(new TreeSet<>(inputs.keySet())))
                throw new KilnException(Code.USAGE, Location.file(model.toString()), "ONNX Runtime sees inputs "
                        + b.session.getInputNames() + " but Kiln compiled " + inputs.keySet());
            for (Map.Entry<String, NdArray> e : inputs.entrySet()) b.feeds.put(e.getKey(), b.tensor(e.getValue()));
            b.time(warmup);
            return b;
        } catch (OrtException e) {
            b.close();
            throw new KilnException(Code.RUN_FAILED, Location.file(model.toString()), "ONNX Runtime: " + e.getMessage());
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    private OnnxTensor tensor(NdArray a) throws OrtException {
        long[] shape = a.shape().dimsLong();
        int n = a.size();
        switch (a.dtype()) {
            case F32: {
                FloatBuffer f = FloatBuffer.allocate(n);
                for (int i = 0; i < n; i++) f.put(i, a.getFloat(i));
                return OnnxTensor.createTensor(env, f, shape);
            }
            case I64: {
                LongBuffer l = LongBuffer.allocate(n);
                for (int i = 0; i < n; i++) l.put(i, a.getLong(i));
                return OnnxTensor.createTensor(env, l, shape);
            }
            case I32: {
                IntBuffer v = IntBuffer.allocate(n);
                for (int i = 0; i < n; i++) v.put(i, (int) a.getLong(i));
                return OnnxTensor.createTensor(env, v, shape);
            }
            case I8:
            case U8: {
                ByteBuffer v = ByteBuffer.allocate(n);
                for (int i = 0; i < n; i++) v.put(i, (byte) a.getLong(i));
                return OnnxTensor.createTensor(env, v, shape, a.dtype() == dev.kiln.ir.DType.I8 ? OnnxJavaType.INT8 : OnnxJavaType.UINT8);
            }
            default:
                throw new KilnException(Code.USAGE, Location.NONE, "bench --against onnxruntime feeds f32, i64, i32, i8 and u8 inputs, not "
                        + a.dtype().shortName());
        }
    }

    @Override
    public String version() { return OrtEnvironment.getEnvironment().getVersion(); }

    @Override
    public Timings time(int n) {
        Timings t = Timings.of(n);
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        try {
            for (int i = 0; i < n; i++) {
                long c0 = cpu.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                session.run(feeds).close();
                t.wallMs()[i] = (System.nanoTime() - t0) / 1e6;
                t.cpuMs()[i] = (cpu.getCurrentThreadCpuTime() - c0) / 1e6;
            }
        } catch (OrtException e) {
            throw new KilnException(Code.RUN_FAILED, Location.NONE, "ONNX Runtime: " + e.getMessage());
        }
        return t;
    }

    @Override
    public void close() {
        for (OnnxTensor t : feeds.values()) t.close();
        feeds.clear();
        if (session != null) {
            try {
                session.close();
            } catch (OrtException ignored) {
                // a session that fails to close leaks native memory only until the JVM exits
            }
            session = null;
        }
    }
}
