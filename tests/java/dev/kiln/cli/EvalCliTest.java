package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.io.Npy;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln eval --backend c} (the README's quick start on fewer images): it says how it ran the model — compiled
 * to C, built with gcc, run natively — and prints the accuracy of the compiled C beside the float interpreter's.
 */
class EvalCliTest {
    @TempDir
    Path tmp;

    @Test
    void evalOnTheCBackendSaysHowItRanAndPrintsTheAccuracy() throws IOException {
        int n = 12;
        NdArray x = Npy.read(TestFiles.root().resolve("tests/data/digits_test_x.npy"), 1 << 24);
        NdArray y = Npy.read(TestFiles.root().resolve("tests/data/digits_test_y.npy"), 1 << 24);
        int[] dims = x.shape().dims().clone();
        int per = x.size() / dims[0];
        dims[0] = n;
        Path xs = tmp.resolve("x.npy"), ys = tmp.resolve("y.npy");
        Files.write(xs, Npy.toBytes(NdArray.ofFloats(Shape.of(dims), Arrays.copyOf(x.cast(dev.kiln.ir.DType.F32).floats(), n * per))));
        Files.write(ys, Npy.toBytes(NdArray.ofI64(Arrays.copyOf(y.toLongArray(), n))));
        dev.kiln.KilnCli.Run r = dev.kiln.KilnCli.kiln("eval", TestFiles.models().resolve("digits_lenet5_op13/model.onnx").toString(), "--inputs", xs.toString(),
                "--labels", ys.toString(), "--backend", "c");
        assertEquals(0, r.rc(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals(4, lines.length, r.out());
        assertTrue(lines[0].contains("on 12 samples") && lines[0].endsWith("compiled to C99 for host, built with gcc and run natively"), lines[0]);
        assertTrue(lines[1].matches("top-1 accuracy: \\d+\\.\\d\\d % \\(\\d+/12\\) on c"), lines[1]);
        assertTrue(lines[2].matches("float model \\(interp\\): \\d+\\.\\d\\d % \\(\\d+/12\\)"), lines[2]);
        assertTrue(lines[3].startsWith("agreement with the float model: 100.00 % (12/12"), "the C agrees with the interpreter: " + lines[3]);
    }
}
