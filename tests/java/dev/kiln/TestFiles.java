package dev.kiln;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/** Locations of the test fixtures committed under {@code tests/}. */
public final class TestFiles {
    private TestFiles() {}

    /** The repository root (Maven runs tests there). */
    public static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("pom.xml"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("cannot find the repository root from " + Path.of("").toAbsolutePath());
        return p;
    }

    public static Path onnxNode() { return root().resolve("tests/onnx-node"); }

    public static Path models() { return root().resolve("tests/models"); }

    /** Sub-folders of {@code dir} holding a model.onnx, sorted. */
    public static Stream<Path> caseDirs(Path dir) {
        try {
            return Files.list(dir).filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads a list file of {@code name  reason} lines ({@code #} comments and blank lines ignored).
     */
    public static Map<String, String> readList(Path file) {
        Map<String, String> r = new LinkedHashMap<>();
        if (!Files.exists(file)) return r;
        try {
            for (String line : Files.readAllLines(file)) {
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#")) continue;
                String[] parts = t.split("\\s+", 2);
                r.put(parts[0], parts.length > 1 ? parts[1] : "");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return r;
    }
}
