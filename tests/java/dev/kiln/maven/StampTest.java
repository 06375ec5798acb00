package dev.kiln.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compile goal's fingerprint: what changes it, and when a stored stamp still matches. */
class StampTest {
    @TempDir
    Path dir;

    private String hash(Path model, Path weights, String level) {
        return new Stamp().setting("optimization", level).file("model", model).file("input", weights).hash();
    }

    @Test
    void sameInputsAndSettingsGiveTheSameHash() throws IOException {
        Path m = Files.writeString(dir.resolve("m.kiln"), "model m");
        Path w = Files.write(dir.resolve("w.npz"), new byte[] {1, 2, 3});
        assertEquals(hash(m, w, "3"), hash(m, w, "3"));
        assertEquals(64, hash(m, w, "3").length());
    }

    @Test
    void anyChangedInputOrSettingChangesTheHash() throws IOException {
        Path m = Files.writeString(dir.resolve("m.kiln"), "model m");
        Path w = Files.write(dir.resolve("w.npz"), new byte[] {1, 2, 3});
        String before = hash(m, w, "3");
        assertNotEquals(before, hash(m, w, "2"));
        Files.write(w, new byte[] {1, 2, 4});
        String weightsChanged = hash(m, w, "3");
        assertNotEquals(before, weightsChanged);
        Files.writeString(m, "model m2");
        assertNotEquals(weightsChanged, hash(m, w, "3"));
    }

    @Test
    void aNullSettingDiffersFromEveryString() {
        assertNotEquals(new Stamp().setting("k", null).hash(), new Stamp().setting("k", "null").hash());
        assertNotEquals(new Stamp().setting("k", null).hash(), new Stamp().setting("k", "").hash());
    }

    @Test
    void aFolderInputCoversEveryFileInIt() throws IOException {
        Path t = Files.createDirectories(dir.resolve("templates/c/ops"));
        Files.writeString(t.resolve("relu.stg"), "a");
        String before = new Stamp().file("templates", dir.resolve("templates")).hash();
        Files.writeString(t.resolve("relu.stg"), "b");
        assertNotEquals(before, new Stamp().file("templates", dir.resolve("templates")).hash());
    }

    @Test
    void aStoredStampMatchesOnlyItsHashAndOnlyWhileTheGeneratedFilesExist() throws IOException {
        Path out = Files.createDirectories(dir.resolve("out"));
        assertFalse(Stamp.upToDate(out, "abc"), "no stamp yet");
        Files.writeString(out.resolve("m.c"), "int x;");
        Files.writeString(out.resolve("m.h"), "");
        Stamp.write(out, "abc", List.of("m.c", "m.h"), "default");
        assertTrue(Stamp.upToDate(out, "abc"));
        assertFalse(Stamp.upToDate(out, "abd"));
        Files.delete(out.resolve("m.h"));
        assertFalse(Stamp.upToDate(out, "abc"), "a generated file was deleted");
    }
}
