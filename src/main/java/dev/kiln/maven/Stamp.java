package dev.kiln.maven;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The fingerprint of one model's compilation: a SHA-256 over its settings and the contents of every file it
 * reads. The compile goal stores it in the model's output folder ({@value #FILE}) and skips the model when a
 * later build computes the same fingerprint and the files it generated are all still there.
 */
public final class Stamp {
    /** Name of the stamp file in a model's output folder. */
    public static final String FILE = ".kiln-stamp";

    private final Map<String, String> settings = new TreeMap<>();
    private final Map<String, String> files = new TreeMap<>();

    /** Records a setting; a null value is recorded as absent, so it differs from any string. */
    public Stamp setting(String key, Object value) {
        settings.put(key, value == null ? "\u0000null" : String.valueOf(value));
        return this;
    }

    /**
     * Records an input file under {@code role} (e.g. "model", "weights"): its content, or for a folder the
     * relative path and content of every file under it; a missing path is recorded as missing.
     */
    public Stamp file(String role, Path p) {
        String key = role + ":" + p.toAbsolutePath().normalize();
        try {
            if (Files.isRegularFile(p)) {
                files.put(key, sha256(p));
            } else if (Files.isDirectory(p)) {
                StringBuilder b = new StringBuilder();
                List<Path> all;
                try (Stream<Path> s = Files.walk(p)) {
                    all = new ArrayList<>(s.filter(Files::isRegularFile).toList());
                }
                all.sort(null);
                for (Path f : all) b.append(p.relativize(f)).append('=').append(sha256(f)).append('\n');
                files.put(key, "dir:" + hex(digest().digest(b.toString().getBytes(StandardCharsets.UTF_8))));
            } else {
                files.put(key, "missing");
            }
        } catch (IOException | UncheckedIOException e) {
            // why: an unreadable input cannot be proven unchanged, so the stamp never matches and Kiln reports it
            files.put(key, "unreadable " + System.nanoTime());
        }
        return this;
    }

    /** The fingerprint of everything recorded so far, as 64 hex digits. */
    public String hash() {
        MessageDigest md = digest();
        StringBuilder b = new StringBuilder("kiln-stamp 1\n");
        settings.forEach((k, v) -> b.append("setting ").append(k).append('=').append(v).append('\n'));
        files.forEach((k, v) -> b.append("file ").append(k).append('=').append(v).append('\n'));
        return hex(md.digest(b.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Whether {@code outDir} holds the output of a compilation with fingerprint {@code hash}: its stamp file
     * names that hash and every file the stamp lists still exists.
     */
    public static boolean upToDate(Path outDir, String hash) {
        Path f = outDir.resolve(FILE);
        if (!Files.isRegularFile(f)) return false;
        List<String> lines;
        try {
            lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
        if (lines.isEmpty() || !lines.get(0).equals(hash)) return false;
        for (String name : generatedFiles(lines))
            if (!Files.isRegularFile(outDir.resolve(name))) return false;
        return true;
    }

    /** Prefix of the stamp line naming the plugin execution that generated the folder. */
    static final String OWNER = "@execution ";

    /**
     * Writes the stamp file into {@code outDir}: the hash, the plugin execution that generated the folder
     * ({@code owner}, null: none), then the names of the generated files.
     */
    public static void write(Path outDir, String hash, List<String> generated, String owner) {
        StringBuilder b = new StringBuilder(hash).append('\n');
        if (owner != null) b.append(OWNER).append(owner).append('\n');
        for (String n : generated) b.append(n).append('\n');
        dev.kiln.io.OutputFiles.writeAtomically(outDir.resolve(FILE), b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The stamp of a folder Kiln generated: the execution that wrote it (null when the stamp names none) and the
     * files it generated; null when {@code outDir} holds no readable stamp, i.e. it is not Kiln's folder.
     */
    public static Owned read(Path outDir) {
        Path f = outDir.resolve(FILE);
        if (!Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return null;
        List<String> lines;
        try {
            lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
        if (lines.isEmpty() || !lines.get(0).matches("[0-9a-f]{64}")) return null;
        String owner = null;
        for (String l : lines) if (l.startsWith(OWNER)) owner = l.substring(OWNER.length());
        return new Owned(owner, generatedFiles(lines));
    }

    /** What a stamp says about its folder: who generated it and which files. */
    public record Owned(String owner, List<String> files) {}

    private static List<String> generatedFiles(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String l : lines.subList(1, lines.size())) if (!l.isEmpty() && !l.startsWith("@")) out.add(l);
        return out;
    }

    /** The SHA-256 of a file's content, as hex digits. */
    static String sha256(Path p) throws IOException {
        MessageDigest md = digest();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(p)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return hex(md.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static String hex(byte[] b) { return HexFormat.of().formatHex(b); }
}
