package dev.kiln.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.diag.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compile goal run directly (outside Maven): model discovery, naming, incremental skipping and failures. */
class CompileMojoTest {
    @TempDir
    Path dir;

    private CompileMojo mojo(ModelEntry... models) {
        CompileMojo m = new CompileMojo();
        m.basedir = dir.toFile();
        m.target = "host";
        m.optimization = 3;
        m.calibrationMethod = "minmax";
        m.percentile = 99.99;
        m.backend = "c";
        m.outputDirectory = dir.resolve("target/generated-sources/kiln").toFile();
        m.models = models.length == 0 ? null : new ArrayList<>(List.of(models));
        return m;
    }

    private void copyTinyMlp(Path to) throws IOException {
        Files.createDirectories(to);
        for (String f : List.of("model.kiln", "tiny_mlp.npz"))
            Files.copy(TestFiles.root().resolve("tests/dsl/tiny_mlp").resolve(f), to.resolve(f));
    }

    @Test
    void theSecondBuildSkipsAnUnchangedModelAndAChangeRecompilesIt() throws Exception {
        copyTinyMlp(dir.resolve("src/main/kiln/tiny_mlp"));
        mojo().execute();
        Path c = dir.resolve("target/generated-sources/kiln/tiny_mlp/tiny_mlp.c");
        assertTrue(Files.isRegularFile(c));
        FileTime old = FileTime.fromMillis(978307200000L); // 2001-01-01
        Files.setLastModifiedTime(c, old);
        mojo().execute();
        assertEquals(old, Files.getLastModifiedTime(c), "an up-to-date model was written again");
        // the weights file rewritten with the same bytes: still up to date (content counts, not dates)
        Path npz = dir.resolve("src/main/kiln/tiny_mlp/tiny_mlp.npz");
        Files.write(npz, Files.readAllBytes(npz));
        mojo().execute();
        assertEquals(old, Files.getLastModifiedTime(c));
        // the model's text changed: compile again
        Path kiln = dir.resolve("src/main/kiln/tiny_mlp/model.kiln");
        Files.writeString(kiln, Files.readString(kiln) + "# edited\n");
        mojo().execute();
        assertNotEquals(old, Files.getLastModifiedTime(c), "a changed model did not recompile");
        Files.setLastModifiedTime(c, old);
        CompileMojo o1 = mojo();
        o1.optimization = 1;
        o1.execute();
        assertNotEquals(old, Files.getLastModifiedTime(c), "a changed setting did not recompile");
    }

    @Test
    void aModelRemovedFromModelsHasItsGeneratedFolderRemovedAndNothingElse() throws Exception {
        copyTinyMlp(dir.resolve("m"));
        Path out = dir.resolve("target/generated-sources/kiln");
        mojo(new ModelEntry("m/model.kiln", "a"), new ModelEntry("m/model.kiln", "b"), new ModelEntry("m/model.kiln", "c")).execute();
        for (String n : List.of("a", "b", "c")) assertTrue(Files.isRegularFile(out.resolve(n + "/" + n + ".c")), n);
        // a user's own folder (no stamp), another execution's folder, and a stamped folder the user added a file to
        Files.createDirectories(out.resolve("mine"));
        Files.writeString(out.resolve("mine/notes.txt"), "mine");
        CompileMojo other = mojo(new ModelEntry("m/model.kiln", "theirs"));
        other.executionId = "other";
        other.execute();
        Files.writeString(out.resolve("c/extra.txt"), "added by the user");
        // a and c leave <models>: a's folder goes, c keeps only the user's file; b, mine and theirs stay as they were
        CompileMojo m = mojo(new ModelEntry("m/model.kiln", "b"));
        m.execute();
        assertFalse(Files.exists(out.resolve("a")), "the folder of a removed model is still there");
        assertTrue(Files.isRegularFile(out.resolve("b/b.c")));
        assertEquals(List.of("extra.txt"), Files.list(out.resolve("c")).map(p -> p.getFileName().toString()).toList(),
                "only the generated files of c may go");
        assertEquals("mine", Files.readString(out.resolve("mine/notes.txt")));
        assertTrue(Files.isRegularFile(out.resolve("theirs/theirs.c")), "another execution's folder was removed");
        // no models left at all (the default src/main/kiln does not exist): this execution's folders go too
        mojo().execute();
        assertFalse(Files.exists(out.resolve("b")), "the last model's folder stayed");
        assertTrue(Files.isRegularFile(out.resolve("theirs/theirs.c")));
        assertEquals("mine", Files.readString(out.resolve("mine/notes.txt")));
    }

    @Test
    void namedEntriesAndDuplicateNames() throws Exception {
        copyTinyMlp(dir.resolve("a"));
        copyTinyMlp(dir.resolve("b/tiny_mlp"));
        CompileMojo m = mojo(new ModelEntry("a/model.kiln", "first"), new ModelEntry("b", null));
        assertEquals(List.of("first", "tiny_mlp"), new ArrayList<>(m.modelsByName().keySet()));
        KilnException dup = assertThrows(KilnException.class,
                () -> mojo(new ModelEntry("a/model.kiln", "tiny_mlp"), new ModelEntry("b", null)).modelsByName());
        assertTrue(dup.getMessage().contains("two models are both named 'tiny_mlp'"), dup.getMessage());
        KilnException folder = assertThrows(KilnException.class, () -> mojo(new ModelEntry("b", "x")).modelsByName());
        assertTrue(folder.getMessage().contains("<name> is given for a folder"), folder.getMessage());
        KilnException missing = assertThrows(KilnException.class, () -> mojo(new ModelEntry("nope.onnx", null)).modelsByName());
        assertTrue(missing.getMessage().contains("nope.onnx"), missing.getMessage());
    }

    @Test
    void noModelFolderIsNotAnError() throws Exception {
        mojo().execute();
        assertTrue(!Files.exists(dir.resolve("target")));
    }

    @Test
    void aBrokenModelFailsWithKilnsMessageAndWritesNothing() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src/main/kiln"));
        Files.copy(TestFiles.root().resolve("tests/dsl/errors/unknown_keyword.kiln"), src.resolve("broken.kiln"));
        copyTinyMlp(src.resolve("tiny_mlp"));
        MojoFailureException e = assertThrows(MojoFailureException.class, () -> mojo().execute());
        assertTrue(e.getMessage().contains("broken.kiln:3:15: error: conv2d has no parameter 'filtres' (did you mean 'filters'?)"), e.getMessage());
        assertTrue(e.getMessage().startsWith("kiln: 1 of 2 model(s) failed to compile"), e.getMessage());
        assertTrue(!Files.exists(dir.resolve("target/generated-sources/kiln/broken")));
        assertTrue(Files.isRegularFile(dir.resolve("target/generated-sources/kiln/tiny_mlp/tiny_mlp.c")), "the good model is still compiled");
    }

    @Test
    void badSettingsAreConfigurationErrors() {
        CompileMojo m = mojo();
        m.models = List.of(new ModelEntry(TestFiles.root().resolve("tests/dsl/tiny_mlp/model.kiln").toString(), null));
        m.optimization = 7;
        MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
        assertTrue(e.getMessage().contains("<optimization>7</optimization> must be 0 to 3"), e.getMessage());
        m.optimization = 3;
        m.backend = "verilog";
        e = assertThrows(MojoFailureException.class, m::execute);
        assertTrue(e.getMessage().contains("unknown backend 'verilog'"), e.getMessage());
    }

    @Test
    void theOpenClBackendWritesItsProgram() throws Exception {
        CompileMojo m = mojo(new ModelEntry(TestFiles.root().resolve("tests/dsl/tiny_mlp/model.kiln").toString(), "mlp"));
        m.backend = "opencl";
        m.execute();
        assertTrue(Files.isRegularFile(dir.resolve("target/generated-sources/kiln/mlp/mlp.cl")));
    }

    @Test
    void int8WithCalibrationQuantizesAndTheCalibrationDataIsAnInput() throws Exception {
        Path data = dir.resolve("calib.npy");
        Files.copy(TestFiles.root().resolve("tests/data/digits_calib32_x.npy"), data);
        Path model = TestFiles.root().resolve("tests/models/digits_mlp_op13/model.onnx");
        CompileMojo m = mojo(new ModelEntry(model.toString(), "digits"));
        m.int8 = true;
        m.calibration = data.toFile();
        m.execute();
        String c = Files.readString(dir.resolve("target/generated-sources/kiln/digits/digits_weights.c"));
        assertTrue(c.contains("int8_t"), "no int8 weights");
        String before = m.stamp(model, "digits");
        byte[] b = Files.readAllBytes(data);
        b[b.length - 1] ^= 1;
        Files.write(data, b);
        assertNotEquals(before, m.stamp(model, "digits"), "the calibration data is not part of the stamp");
        CompileMojo noInt8 = mojo(new ModelEntry(model.toString(), "digits"));
        noInt8.calibration = data.toFile();
        MojoFailureException e = assertThrows(MojoFailureException.class, noInt8::execute);
        assertTrue(e.getMessage().contains("<calibration> needs <int8>true</int8>"), e.getMessage());
    }
}
