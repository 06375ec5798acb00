package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnCli;
import dev.kiln.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host descriptor with {@code c.float16=native}: the generated C defines {@code KILN_FLOAT16_NATIVE} (f16 through
 * gcc's {@code _Float16}) and the f16 node cases pass on it with sanitizers, in one C program.
 */
class Float16NativeTest {
    private static final String[] CASES = {"test_cast_FLOAT16_to_FLOAT8E4M3FN", "test_cast_FLOAT16_to_INT4", "test_cast_INT4_to_FLOAT16",
            "test_cast_FLOAT8E5M2_to_FLOAT16", "test_cast_no_saturate_FLOAT16_to_FLOAT8E5M2", "test_cast_FLOAT16_to_FLOAT8E5M2FNUZ"};

    @TempDir
    Path tmp;

    @Test
    void nativeFloat16PassesTheF16CasesOnTheHost() throws Exception {
        Path host = TestFiles.root().resolve("targets/host.properties");
        Path target = tmp.resolve("host-f16.properties");
        Files.writeString(target, Files.readString(host).replace("name=host", "name=host-f16") + "\nc.float16=native\n");
        Path out = tmp.resolve("out");
        KilnCli.Run c = KilnCli.kiln("compile", TestFiles.root().resolve("tests/onnx-node/" + CASES[0] + "/model.onnx").toString(),
                "-t", target.toString(), "-o", out.toString(), "--name", "m");
        assertEquals(0, c.rc(), c.err());
        assertTrue(Files.readString(out.resolve("m.c")).contains("#define KILN_FLOAT16_NATIVE 1"), "the source asks for _Float16");
        String[] args = new String[CASES.length + 6];
        args[0] = "check";
        for (int i = 0; i < CASES.length; i++) args[1 + i] = TestFiles.root().resolve("tests/onnx-node/" + CASES[i]).toString();
        System.arraycopy(new String[] {"--backend", "c", "-t", target.toString(), "--sanitize"}, 0, args, CASES.length + 1, 5);
        KilnCli.Run r = KilnCli.kiln(args);
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains(CASES.length + " passed, 0 failed"), r.out());
    }
}
