package dev.kiln.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.diag.KilnException;
import dev.kiln.frontend.onnx.TensorProtos;
import dev.kiln.io.Npy;
import java.nio.file.Path;

/**
 * Fuzzes the tensor file readers, {@code .npy} ({@link Npy}) and serialized ONNX TensorProto {@code .pb}
 * ({@link TensorProtos#readPb}): each must either return an array or reject the bytes with a
 * {@link KilnException}; any other exception, a hang or running out of memory is a crash.
 */
class TensorReadersFuzzTest {
    private static final Path DIR = FuzzLimits.scratchDir("kiln-fuzz-tensors");
    private static final Path PB = DIR.resolve("input_0.pb");

    @FuzzTest(maxDuration = "10m")
    void readNpy(byte[] bytes) {
        try {
            Npy.parse(bytes, "fuzz.npy", FuzzLimits.MAX_TENSOR_BYTES);
        } catch (KilnException e) {
            FuzzLimits.checkRejection(e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void readPb(byte[] bytes) {
        FuzzLimits.write(PB, bytes);
        try {
            TensorProtos.readPb(PB, FuzzLimits.MAX_TENSOR_BYTES);
        } catch (KilnException e) {
            FuzzLimits.checkRejection(e);
        }
    }
}
