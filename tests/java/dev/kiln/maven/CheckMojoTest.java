package dev.kiln.maven;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The check goal run directly (outside Maven) on the interpreter. */
class CheckMojoTest {
    @TempDir
    Path dir;

    private CheckMojo mojo(Path... folders) {
        CheckMojo m = new CheckMojo();
        m.basedir = dir.toFile();
        m.target = "host";
        m.optimization = 3;
        m.calibrationMethod = "minmax";
        m.percentile = 99.99;
        m.backend = "interp";
        m.rtol = 1e-3;
        m.atol = 1e-6;
        m.testFolders = folders.length == 0 ? null : java.util.Arrays.stream(folders).map(Path::toFile).toList();
        return m;
    }

    @Test
    void passingCasesPass() throws Exception {
        mojo(TestFiles.root().resolve("tests/dsl/tiny_mlp")).execute();
    }

    @Test
    void theCBackendBuildsAndRunsTheCases() throws Exception {
        CheckMojo m = mojo(TestFiles.root().resolve("tests/dsl/tiny_mlp"), TestFiles.root().resolve("tests/models/digits_mlp_op13"));
        m.backend = "c";
        m.atol = 1e-5;
        m.execute();
        m.backend = "cuda";
        assertFails(m, "unknown check backend 'cuda'");
        m.backend = "c";
        m.settings = java.util.Map.of("opencl.device", "0");
        assertFails(m, "<opencl.device> needs <backend>opencl</backend>");
        m.settings = java.util.Map.of("cuda.stream", "0");
        assertFails(m, "unknown setting <cuda.stream>");
    }

    /** Runs {@code m}, which must fail the build with a message containing {@code text}. */
    private static void assertFails(CheckMojo m, String text) {
        MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void theOpenClBackendRunsTheCasesOnTheChosenDevice() throws Exception {
        CheckMojo m = mojo(TestFiles.root().resolve("tests/dsl/tiny_mlp"), TestFiles.root().resolve("tests/models/digits_mlp_op13"));
        m.backend = "opencl";
        m.atol = 1e-5;
        m.settings = java.util.Map.of("opencl.device", "0"); // pocl's CPU device on machines without a GPU, as `clinfo -l` numbers it
        m.execute();
        m.settings = java.util.Map.of("opencl.binding", "lwjgl");
        m.execute();
        m.settings = java.util.Map.of("opencl.binding", "opengl");
        assertFails(m, "unknown OpenCL binding 'opengl'");
        m.settings = java.util.Map.of("opencl.binding", "jocl", "opencl.device", "99");
        assertFails(m, "--opencl-device 99 does not exist");
        m.settings = java.util.Map.of("opencl.device", "first");
        assertFails(m, "OpenCL device 'first' is not a device number");
    }

    @Test
    void aFailingCaseFailsTheBuildWithItsReport() throws IOException {
        Path tiny = TestFiles.root().resolve("tests/dsl/tiny_mlp");
        Path c = Files.createDirectories(dir.resolve("wrong"));
        Files.copy(tiny.resolve("tiny_mlp.npz"), c.resolve("tiny_mlp.npz"));
        // a different model under the recorded outputs: relu where the original has softmax
        Files.writeString(c.resolve("model.kiln"), Files.readString(tiny.resolve("model.kiln")).replace("softmax(axis=1)", "relu"));
        Path set = Files.createDirectories(c.resolve("test_data_set_0"));
        for (String f : List.of("input_0.pb", "output_0.pb")) Files.copy(tiny.resolve("test_data_set_0").resolve(f), set.resolve(f));
        MojoFailureException e = assertThrows(MojoFailureException.class, () -> mojo(c).execute());
        assertTrue(e.getMessage().startsWith("kiln: 1 of 1 check(s) failed:\nFAIL wrong: "), e.getMessage());
    }

    @Test
    void skipTestsSkips() throws Exception {
        CheckMojo m = mojo(dir.resolve("does-not-exist"));
        m.skipTests = true;
        m.execute();
        MojoFailureException e = assertThrows(MojoFailureException.class, () -> mojo(dir.resolve("does-not-exist")).execute());
        assertTrue(e.getMessage().contains("does-not-exist"), e.getMessage());
    }

    @Test
    void noTestFolderIsNotAnError() throws Exception {
        mojo().execute();
        assertTrue(!new File(dir.toFile(), "src").exists());
    }
}
