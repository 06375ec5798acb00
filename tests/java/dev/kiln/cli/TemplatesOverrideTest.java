package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.kiln.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --templates DIR} (README: "Your own kernels"): the bundled example group imports the built-in group and
 * overrides one template (max_pool); the generated C changes exactly there, everything else stays built-in, and
 * the result still builds and passes.
 */
class TemplatesOverrideTest {
    private static final Path EXAMPLE = TestFiles.root().resolve("tests/templates/traced_max_pool");
    private static final Path LENET = TestFiles.models().resolve("digits_lenet5_op13");

    @TempDir
    Path tmp;

    private Path compile(String dir, String... extra) {
        Path out = tmp.resolve(dir);
        String[] args = new String[] {"compile", LENET.resolve("model.onnx").toString(), "-o", out.toString(), "--name", "lenet"};
        dev.kiln.KilnCli.Run r = dev.kiln.KilnCli.kiln(java.util.stream.Stream.concat(Arrays.stream(args), Arrays.stream(extra)).toArray(String[]::new));
        assertEquals(0, r.rc(), r.err());
        return out;
    }

    @Test
    void oneOverriddenTemplateChangesOnlyItsKernels() throws IOException {
        Path builtIn = compile("builtin"), mine = compile("mine", "--templates", EXAMPLE.toString());
        String a = Files.readString(builtIn.resolve("lenet.c")), b = Files.readString(mine.resolve("lenet.c"));
        assertNotEquals(a, b);
        long traced = b.lines().filter(l -> l.contains("/* traced_max_pool: ")).count();
        assertEquals(2, traced, "one traced kernel per max_pool node:\n" + b);
        String withoutTrace = b.lines().filter(l -> !l.contains("/* traced_max_pool: ")).collect(Collectors.joining("\n", "", "\n"));
        assertEquals(a, withoutTrace, "apart from the override, the kernels are the built-in ones");
        for (String f : new String[] {"lenet.h", "lenet_weights.c", "kiln_runtime.h", "CMakeLists.txt"})
            assertEquals(Files.readString(builtIn.resolve(f)), Files.readString(mine.resolve(f)), f);
    }

    @Test
    void theOverriddenKernelBuildsAndPasses() {
        dev.kiln.KilnCli.Run r = dev.kiln.KilnCli.kiln("check", "--backend", "c", "--templates", EXAMPLE.toString(), LENET.toString());
        assertEquals(0, r.rc(), r.out() + r.err());
        assertEquals("PASS digits_lenet5_op13\n1 passed, 0 failed\n", r.out());
    }
}
