package dev.kiln.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every case of the hostile-input corpus ({@code tests/hostile/onnx}, {@code tests/hostile/dsl}; format in
 * {@code tests/hostile/README.md}) through {@code kiln compile} and {@code kiln inspect} in-process, and checks
 * the exit status, the expected message, that no stack trace is printed and that nothing is written. Also: a
 * million-node model in a small separate JVM, compile output atomicity, and hostile names on the C and OpenCL
 * backends.
 */
class HostileInputsTest {
    private static final Path CORPUS = TestFiles.root().resolve("tests/hostile");

    @TempDir
    Path tmp;

    /** One corpus case: its model file and what its {@code .expected} file says. */
    record Case(Path model, int exit, List<String> args, List<String> stderr, String symlink) {
        static Case read(Path model) {
            Path exp = expectedFile(model);
            int exit = -1;
            List<String> args = new ArrayList<>(), stderr = new ArrayList<>();
            String symlink = null;
            try {
                for (String line : Files.readAllLines(exp, StandardCharsets.UTF_8)) {
                    if (line.isBlank() || line.startsWith("#")) continue;
                    int colon = line.indexOf(':');
                    String key = line.substring(0, colon), value = line.substring(colon + 1).strip();
                    switch (key) {
                        case "exit": exit = Integer.parseInt(value); break;
                        case "args": args.addAll(List.of(value.split(" +"))); break;
                        case "stderr": stderr.add(value); break;
                        case "symlink": symlink = value; break;
                        default: throw new IllegalArgumentException(exp + ": unknown key '" + key + "'");
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            if (exit < 0 || stderr.isEmpty()) throw new IllegalArgumentException(exp + " needs an exit line and at least one stderr line");
            return new Case(model, exit, args, stderr, symlink);
        }
    }

    static Path expectedFile(Path model) {
        String n = model.getFileName().toString();
        return model.resolveSibling(n.substring(0, n.lastIndexOf('.')) + ".expected");
    }

    static List<Path> corpus() throws IOException {
        List<Path> r = new ArrayList<>();
        for (String sub : List.of("onnx", "dsl")) {
            try (Stream<Path> s = Files.list(CORPUS.resolve(sub))) {
                s.filter(p -> p.toString().endsWith(".onnx") || p.toString().endsWith(".kiln")).sorted().forEach(r::add);
            }
        }
        return r;
    }

    @Test
    void theCorpusHasAtLeast45CasesEachWithItsExpectation() throws IOException {
        List<Path> all = corpus();
        assertTrue(all.size() >= 45, "corpus has " + all.size() + " cases");
        for (Path p : all) assertTrue(Files.isRegularFile(expectedFile(p)), p + " has no .expected file");
    }

    @TestFactory
    Stream<DynamicTest> everyCaseFailsCleanlyAndWritesNothing() throws IOException {
        return corpus().stream().map(p -> DynamicTest.dynamicTest(CORPUS.relativize(p).toString(), () -> runCase(Case.read(p))));
    }

    private void runCase(Case c) throws IOException {
        Path model = c.model();
        if (c.symlink() != null) model = withEscapingLink(c);
        Path work = Files.createDirectories(tmp.resolve("work-" + model.getFileName()));
        Path out = work.resolve("out");
        for (String command : List.of("compile", "inspect")) {
            List<String> args = new ArrayList<>(List.of(command, model.toString()));
            if (command.equals("compile")) args.addAll(List.of("-o", out.toString()));
            args.addAll(c.args());
            Run r = run(args);
            String what = String.join(" ", args) + "\n--- stderr:\n" + r.err + "--- stdout:\n" + r.out;
            assertEquals(c.exit(), r.rc, "exit status of " + what);
            for (String s : c.stderr()) {
                String want = s.replace("{model}", model.toString());
                assertTrue(r.err.contains(want), "stderr lacks '" + want + "' in " + what);
            }
            assertNoStackTrace(r.out + r.err, what);
            try (Stream<Path> s = Files.list(work)) {
                assertEquals(List.of(), s.toList(), "a failing " + command + " leaves nothing in the output's parent");
            }
        }
    }

    /**
     * A copy of the case's model in a fresh folder with a symbolic link named as the {@code .expected} file
     * says, pointing at a real file outside that folder (links are made here, never committed).
     */
    private Path withEscapingLink(Case c) throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path secret = outside.resolve("secret" + c.symlink().substring(c.symlink().lastIndexOf('.')));
        Files.write(secret, c.symlink().endsWith(".npy") ? npy(2) : new byte[16]);
        Path dir = Files.createDirectories(tmp.resolve("model"));
        Path model = dir.resolve(c.model().getFileName());
        Files.copy(c.model(), model);
        Files.createSymbolicLink(dir.resolve(c.symlink()), secret);
        return model;
    }

    /** A valid .npy file of {@code n} float32 zeros. */
    static byte[] npy(int n) {
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + n + ",), }";
        StringBuilder h = new StringBuilder(header);
        while ((10 + h.length() + 1) % 64 != 0) h.append(' ');
        h.append('\n');
        ByteBuffer b = ByteBuffer.allocate(10 + h.length() + 4 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) h.length());
        b.put(h.toString().getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }

    @Test
    void aMillionNodeModelFailsFastInASmallHeap() throws Exception {
        Path model = tmp.resolve("million.onnx");
        Files.write(model, HostileCorpusGenerator.chain(1_000_000).toByteArray());
        Path out = tmp.resolve("out");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "compile", model.toString(), "-o", out.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the compile ended");
        assertEquals(Main.BAD_INPUT, p.exitValue(), output);
        assertTrue(output.contains("error K0140: the model has more than 100000 nodes (the limit)"), output);
        assertTrue(output.contains("--max-nodes"), output);
        assertNoStackTrace(output, "million-node compile");
        assertFalse(Files.exists(out));
    }

    @Test
    void modelFilesTooLargeToBeModelsAreRefusedBeforeTheyAreRead() throws IOException {
        for (String name : List.of("huge.onnx", "huge.kiln")) {
            Path model = tmp.resolve(name);
            // why: a sparse file: 3 GiB on paper, no disk used
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(model.toFile(), "rw")) {
                f.setLength(3L << 30);
            }
            Path out = tmp.resolve("out");
            Run r = run(List.of("compile", model.toString(), "-o", out.toString()));
            assertEquals(Main.BAD_INPUT, r.rc, r.err);
            assertTrue(r.err.contains(model + ": error ") && r.err.contains("3221225472 bytes, more than"), r.err);
            assertNoStackTrace(r.out + r.err, "compile " + name);
            assertFalse(Files.exists(out));
            Files.delete(model);
        }
    }

    @Test
    void aFailingCompileLeavesAnExistingOutputFolderByteIdentical() throws IOException {
        Path out = tmp.resolve("out");
        Run ok = run(List.of("compile", TestFiles.models().resolve("ds_cnn_kws_op13/model.onnx").toString(), "-o", out.toString(), "--name", "kws"));
        assertEquals(Main.OK, ok.rc, ok.err);
        Files.writeString(out.resolve("notes.txt"), "kept by the user");
        Map<String, String> before = digests(out);
        Run bad = run(List.of("compile", CORPUS.resolve("onnx/truncated.onnx").toString(), "-o", out.toString()));
        assertEquals(Main.BAD_INPUT, bad.rc, bad.err);
        assertEquals(before, digests(out), "the old output is untouched");
        Run badLate = run(List.of("compile", CORPUS.resolve("onnx/expand_huge.onnx").toString(), "-o", out.toString()));
        assertEquals(Main.BAD_INPUT, badLate.rc, badLate.err);
        assertEquals(before, digests(out), "the old output is untouched");
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(out), s.toList(), "no temporary folders are left beside the output");
        }
    }

    @Test
    void aSuccessfulCompileReplacesTheWholeFolderAndLeavesNoTemporaries() throws IOException {
        Path out = tmp.resolve("out");
        Files.createDirectories(out.resolve("sub"));
        Files.writeString(out.resolve("stale.c"), "int stale;");
        Files.writeString(out.resolve("sub/old.h"), "old");
        Run ok = run(List.of("compile", CORPUS.resolve("names/model.onnx").toString(), "-o", out.toString(), "--name", "names"));
        assertEquals(Main.OK, ok.rc, ok.err);
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(List.of("CMakeLists.txt", "README.md", "kiln_runtime.h", "names.c", "names.h", "names_weights.c"),
                    s.map(p -> p.getFileName().toString()).sorted().toList(), "only the new files, none of the old");
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(out), s.toList(), "no temporary folders are left beside the output");
        }
    }

    @Test
    void anOutputPathThatIsAFileFailsWithAMessageAndKeepsTheFile() throws IOException {
        Path file = tmp.resolve("out");
        Files.writeString(file, "precious");
        Run r = run(List.of("compile", CORPUS.resolve("names/model.onnx").toString(), "-o", file.toString()));
        assertEquals(Main.BAD_INPUT, r.rc, r.err);
        assertTrue(r.err.contains("exists and is not a folder"), r.err);
        assertEquals("precious", Files.readString(file));
        assertNoStackTrace(r.out + r.err, "compile onto a file");
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(file), s.toList());
        }
    }

    @Test
    void hostileNamesCompileWithWerrorAndRunOnTheCBackend() {
        for (String level : List.of("0", "3")) {
            Run r = run(List.of("check", CORPUS.resolve("names").toString(), "--backend", "c", "--sanitize", "-O", level));
            assertEquals(Main.OK, r.rc, "-O" + level + ": " + r.out + r.err);
            assertTrue(r.out.contains("1 passed, 0 failed"), r.out);
        }
    }

    @Test
    void aFloat8NanPatternInAWeightGivesTheSpecsNaNOnEveryBackend() {
        // why: 0x7F and 0xFF are E4M3FN's NaN; the spec's value of a NaN weight is NaN, carried through Dequantize
        for (List<String> backend : List.of(List.of("interp"), List.of("c", "--sanitize"), List.of("opencl"))) {
            List<String> args = new ArrayList<>(List.of("check", CORPUS.resolve("values/float8_nan_weight").toString(), "--backend"));
            args.addAll(backend);
            Run r = run(args);
            assertEquals(Main.OK, r.rc, backend + ": " + r.out + r.err);
            assertTrue(r.out.contains("1 passed, 0 failed"), r.out);
        }
    }

    @Test
    void hostileNamesBuildAndRunOnTheOpenClBackend() {
        for (String level : List.of("0", "3")) {
            Run r = run(List.of("check", CORPUS.resolve("names").toString(), "--backend", "opencl", "-O", level));
            assertEquals(Main.OK, r.rc, "-O" + level + ": " + r.out + r.err);
            assertTrue(r.out.contains("1 passed, 0 failed"), r.out);
        }
    }

    @Test
    void hostileNamesNeverReachGeneratedSourceRaw() throws IOException {
        for (String backend : List.of("c", "opencl")) {
            Path out = tmp.resolve("names-" + backend);
            Run r = run(List.of("compile", CORPUS.resolve("names/model.onnx").toString(), "-o", out.toString(), "--backend", backend, "-O", "0"));
            assertEquals(Main.OK, r.rc, r.err);
            try (Stream<Path> s = Files.list(out)) {
                for (Path f : s.toList()) {
                    String text = Files.readString(f);
                    if (f.toString().endsWith(".json")) {
                        assertTrue(text.contains("\"x\\\"*/\\u000a??/\""), f + " keeps the input's name, escaped as JSON");
                        continue;
                    }
                    assertFalse(text.contains("??/") || text.contains("??="), f + " holds a trigraph");
                    for (String line : text.split("\n", -1)) {
                        assertFalse(line.strip().startsWith("#error hostile"), f + ": a node name's newline escaped its comment");
                        assertFalse(line.strip().startsWith("/* \"return\""), f + ": a node name's newline escaped its comment");
                    }
                    for (char ch : text.toCharArray()) assertTrue(ch < 0x80, f + " holds a non-ASCII character");
                }
            }
        }
    }

    private static void assertNoStackTrace(String text, String what) {
        assertFalse(text.contains("Exception"), "'Exception' in the output of " + what);
        assertFalse(text.contains("at dev.kiln") || text.contains("\tat "), "a stack trace in the output of " + what);
        assertFalse(text.contains("internal error"), "an internal error in " + what);
    }

    private static Map<String, String> digests(Path dir) throws IOException {
        Map<String, String> r = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                try {
                    r.put(dir.relativize(p).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return r;
    }

    record Run(int rc, String out, String err) {}

    private static Run run(List<String> args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.execute(new PrintWriter(out), new PrintWriter(err), args.toArray(new String[0]));
        return new Run(rc, out.toString(), err.toString());
    }
}
