package dev.kiln.frontend.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The hand-written example models of tests/dsl (layer library, blocks, repeat, trained weights in an .npz)
 * reproduce the recorded outputs of the ONNX models they were written after, on the interpreter and as C.
 */
class DslExamplesTest {
    static final List<String> EXAMPLES = List.of("digits_lenet5", "ds_cnn_kws", "fc_autoencoder_ad", "mobilenet_v1_025_vww", "resnet8_cifar10");

    private static String check(String backend) {
        // why --atol 1e-5: fc_autoencoder_ad's output 434 is 2e-4, the result of cancelling terms near 0.1, and
        // differs from ONNX Runtime's by 6e-7 on the ONNX model as much as on the hand-written one
        List<String> args = new ArrayList<>(List.of("check", "--backend", backend, "--atol", "1e-5"));
        for (String e : EXAMPLES) args.add(TestFiles.root().resolve("tests/dsl").resolve(e).toString());
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.execute(new PrintWriter(out), new PrintWriter(err), args.toArray(new String[0]));
        assertEquals(0, rc, out + "\n" + err);
        return out.toString();
    }

    private static String allPass() {
        StringBuilder b = new StringBuilder();
        for (String e : EXAMPLES) b.append("PASS ").append(e).append('\n');
        return b.append(EXAMPLES.size()).append(" passed, 0 failed\n").toString();
    }

    @Test
    void examplesPassOnTheInterpreter() {
        assertEquals(allPass(), check("interp"));
    }

    @Test
    void examplesPassAsCOnTheHost() {
        // one check run builds every example into one C program (CProgramRunner batches the cases)
        assertEquals(allPass(), check("c"));
    }

    @Test
    void examplesAreWrittenWithLayersBlocksAndSmallArchives() throws IOException {
        for (String e : EXAMPLES) {
            Path dir = TestFiles.root().resolve("tests/dsl").resolve(e);
            String src = Files.readString(dir.resolve("model.kiln"));
            assertTrue(src.contains("weights \"weights.npz\""), e);
            assertTrue(src.contains("dense("), e + " uses the dense layer");
            assertTrue(Files.size(dir.resolve("weights.npz")) < 2_000_000, e + ": weights.npz over 2 MB");
        }
    }
}
