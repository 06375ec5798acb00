package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln compile}'s summary fits one screen and names what a user sizes a device by: inputs and outputs, ops
 * after optimisation, MACs, parameters, flash (weights + code) or weights, arena, the largest layers, and for int8
 * the ops left in float; for the C and OpenCL backends, float and int8.
 */
class CompileSummaryTest {
    @TempDir
    Path tmp;

    private String compile(String model, String... extra) {
        List<String> args = new ArrayList<>(List.of("compile", TestFiles.models().resolve(model + "/model.onnx").toString(), "-o",
                tmp.resolve(model + extra.length).toString()));
        args.addAll(List.of(extra));
        dev.kiln.KilnCli.Run r = dev.kiln.KilnCli.kiln(args.toArray(String[]::new));
        assertEquals(0, r.rc(), r.err());
        String[] lines = r.out().split("\n");
        assertTrue(lines.length <= 24, "more than one screen (" + lines.length + " lines):\n" + r.out());
        for (String l : lines) assertTrue(l.length() <= 110, "line too wide: " + l);
        for (String f : new String[] {"  input   ", "  output  ", "  ops     ", "  MACs    ", "params ", "  arena   ", "  largest layers:"})
            assertTrue(r.out().contains(f), "'" + f + "' missing in\n" + r.out());
        return r.out();
    }

    @Test
    void floatAndInt8OnTheCBackend() {
        String calib = TestFiles.root().resolve("tests/data/digits_calib32_x.npy").toString();
        String f = compile("digits_lenet5_op13", "-t", "cortex-m4f");
        assertTrue(f.startsWith("digits_lenet5_op13 for cortex-m4f -> "), f);
        assertTrue(f.contains("MACs    35,880   params 19,754"), f);
        assertTrue(f.matches("(?s).*  flash   [0-9,]+ bytes = 79,016 weights \\+ [0-9,]+ code.*"), f);
        assertTrue(f.contains("CMakeLists.txt") && f.contains("README.md"), f);
        // why: on the host the code size is a second full build, measured only when asked
        String h = compile("digits_lenet5_op13", "-t", "host");
        assertTrue(h.contains("  weights 79,016 bytes (code size not measured; --code-size measures it)"), h);
        assertTrue(compile("digits_lenet5_op13", "-t", "host", "--code-size").matches("(?s).*  flash   [0-9,]+ bytes = 79,016 weights \\+ [0-9,]+ code.*"));
        assertTrue(compile("digits_lenet5_op13", "-t", "cortex-m4f", "--no-code-size").contains("  weights 79,016 bytes (code size not measured"));
        String q = compile("digits_lenet5_op13", "-t", "cortex-m4f", "--int8", "--calibrate", calib);
        assertTrue(q.startsWith("digits_lenet5_op13 for cortex-m4f (int8) -> "), q);
        assertTrue(q.contains("qconv×2") && q.contains("int8    every op is integer"), q);
    }

    @Test
    void compileWarnsWhenTheModelIsOverThePartsFlash() {
        // why: the float autoencoder's weights (about 1 MB) are over cortex-m0plus's flash.limit of 256 KiB
        List<String> args = List.of("compile", TestFiles.models().resolve("fc_autoencoder_ad_op13/model.onnx").toString(), "-o",
                tmp.resolve("ae").toString(), "-t", "cortex-m0plus", "--no-code-size");
        dev.kiln.KilnCli.Run r = dev.kiln.KilnCli.kiln(args.toArray(String[]::new));
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.err().matches("(?s)kiln: warning: fc_autoencoder_ad_op13 does not fit the 262,144 bytes of flash of a cortex-m0plus part.*"), r.err());
        assertTrue(java.nio.file.Files.exists(tmp.resolve("ae/fc_autoencoder_ad_op13.c")), "compile still writes the model");
        dev.kiln.KilnCli.Run fits = dev.kiln.KilnCli.kiln("compile", TestFiles.models().resolve("digits_mlp_op13/model.onnx").toString(), "-o",
                tmp.resolve("mlp").toString(), "-t", "cortex-m0plus", "--no-code-size");
        assertEquals(0, fits.rc(), fits.err());
        assertTrue(!fits.err().contains("warning"), fits.err());
    }

    @Test
    void int8ShowsTheOpsLeftInFloat() {
        String data = TestFiles.models().resolve("blazeface_front_128/test_data_set_0").toString();
        String q = compile("blazeface_front_128", "--int8", "--calibrate", data);
        assertTrue(q.contains("(int8)"), q);
        assertTrue(q.matches("(?s).*  float   \\d+ op\\(s\\) left in float: concat '.*"), q);
    }

    @Test
    void theOpenClBackendToo() {
        String f = compile("ds_cnn_kws_op13", "--backend", "opencl");
        assertTrue(f.startsWith("ds_cnn_kws_op13 for opencl-gpu -> "), f);
        assertTrue(f.contains("  weights 90,416 bytes"), f);
        String q = compile("ds_cnn_kws_op13", "--backend", "opencl", "--int8", "--calibrate",
                TestFiles.models().resolve("ds_cnn_kws_op13/test_data_set_0").toString());
        assertTrue(q.contains("(int8)") && q.contains("qconv×9"), q);
    }
}
