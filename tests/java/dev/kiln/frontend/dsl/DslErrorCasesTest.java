package dev.kiln.frontend.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every {@code tests/dsl/errors/<case>.kiln} run through the command line ({@code kiln inspect}): exit status 2,
 * nothing on stdout, no stack trace, and stderr exactly {@code <case>.expected} (file names relative).
 */
class DslErrorCasesTest {
    private static final Path DIR = TestFiles.root().resolve("tests/dsl/errors");

    private static List<Path> cases() throws IOException {
        try (Stream<Path> s = Files.list(DIR)) {
            return s.filter(p -> p.toString().endsWith(".kiln")).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> eachCaseGivesItsExpectedErrors() throws IOException {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.getFileName().toString(), () -> {
            Path expectedFile = Path.of(c.toString().replaceAll("\\.kiln$", ".expected"));
            assertTrue(Files.exists(expectedFile), "missing " + expectedFile.getFileName());
            StringWriter out = new StringWriter(), err = new StringWriter();
            int rc = Main.execute(new PrintWriter(out), new PrintWriter(err), "inspect", c.toString());
            String got = err.toString().replace(DIR + java.io.File.separator, "");
            assertEquals(2, rc, got);
            assertEquals("", out.toString());
            assertFalse(got.contains("Exception") || got.contains("\tat "), got);
            assertEquals(Files.readString(expectedFile), got);
        }));
    }

    @Test
    void errorCasesCoverEveryKindOfTheSpec() throws IOException {
        StringBuilder all = new StringBuilder();
        for (Path c : cases()) all.append(Files.readString(Path.of(c.toString().replaceAll("\\.kiln$", ".expected"))));
        String text = all.toString();
        for (String kind : List.of("expected ", "unexpected character", "unknown op or layer", "has no parameter", "has no attribute or input",
                "must be an int", "too many positional arguments", "missing argument", "missing positional argument", "undefined name",
                "duplicate name", "cannot be broadcast", "declared f32", "declares no weights", "not found in", "is f32[10, 16], expected",
                "recursion", "literal does not match the shape", "out of range", "unknown dtype"))
            assertTrue(text.contains(kind), "no error case shows: " + kind);
        assertTrue(cases().size() >= 15);
        long twoOrMore = cases().stream().filter(c -> {
            try {
                String e = Files.readString(Path.of(c.toString().replaceAll("\\.kiln$", ".expected")));
                return e.split(": error: ", -1).length > 2;
            } catch (IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
        }).count();
        assertTrue(twoOrMore >= 2, "some cases must report several errors at once");
    }
}
