package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.io.Npy;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The int8 lowering keeps recurrent ops in float between the int8 parts and says so: {@code -v} names each LSTM
 * with the reason, the compile summary and {@code inspect --int8} list them as left in float, and the int8 model
 * still checks against ONNX Runtime's float outputs within int8 tolerance.
 */
class RecurrentInt8Test {
    private static final Path KWS = TestFiles.models().resolve("lstm_kws");

    @TempDir
    Path tmp;

    @Test
    void lstmStaysFloatBetweenInt8PartsAndSaysSo() throws Exception {
        Random r = new Random(17);
        float[] cal = new float[8 * 49 * 10];
        for (int i = 0; i < cal.length; i++) cal[i] = (float) r.nextGaussian();
        Path data = tmp.resolve("cal.npy");
        Files.write(data, Npy.toBytes(NdArray.ofFloats(Shape.of(8, 1, 49, 10), cal)));
        dev.kiln.KilnCli.Run c = dev.kiln.KilnCli.kiln("compile", KWS.resolve("model.onnx").toString(), "-o", tmp.resolve("out").toString(),
                "--int8", "--calibrate", data.toString(), "-v");
        assertEquals(0, c.rc(), c.err());
        String all = c.out() + c.err();
        assertTrue(all.contains("left float: /lstm/LSTM (lstm): recurrent ops run in float between the int8 parts"), all);
        assertTrue(all.contains("left in float: lstm '/lstm/LSTM', lstm '/lstm/LSTM_1'"), all);
        dev.kiln.KilnCli.Run i = dev.kiln.KilnCli.kiln("inspect", KWS.resolve("model.onnx").toString(), "--int8", "--calibrate", data.toString());
        assertEquals(0, i.rc(), i.err());
        assertTrue(i.out().contains("lstm '/lstm/LSTM_1'"), i.out());
        dev.kiln.KilnCli.Run k = dev.kiln.KilnCli.kiln("check", KWS.toString(), "--int8", "--calibrate", data.toString(), "--atol", "0.05", "--rtol", "0.05");
        assertEquals(0, k.rc(), k.out() + k.err());
    }
}
