package dev.kiln.toolchain;

import dev.kiln.ir.NdArray;
import java.nio.file.Path;
import java.util.Map;

/**
 * Times one model on ONNX Runtime, one thread, all graph optimisations. The only view the rest of Kiln has of
 * ONNX Runtime: {@link OrtLoader#open} finds the runtime and returns an {@link OrtBench} behind this interface, so
 * no other class links ONNX Runtime's classes.
 */
public interface OrtTimer extends AutoCloseable {
    /** ONNX Runtime's version, e.g. {@code 1.29.0}. */
    String version();

    /** Wall and thread CPU milliseconds of each of {@code n} timed inferences on the session's fixed inputs. */
    Timings time(int n);

    /** Releases the session and its input tensors. */
    @Override
    void close();

    /**
     * What {@link OrtLoader} instantiates reflectively: opens {@code model} with the given inputs (name to data)
     * and runs {@code warmup} untimed inferences.
     */
    interface Factory {
        /** A timer of {@code model} on {@code inputs}, warmed up. */
        OrtTimer open(Path model, Map<String, NdArray> inputs, int warmup);
    }
}
