package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** README.md tells the truth: its op tables are the registry's, and its commands are the ones CI runs. */
class ReadmeTest {
    @Test
    void opTablesMatchTheRegistry() throws IOException {
        String readme = Files.readString(TestFiles.root().resolve("README.md"));
        String begin = "<!-- ops:begin (generated: java -jar target/kiln.jar ops --markdown) -->\n", end = "<!-- ops:end -->";
        int b = readme.indexOf(begin), e = readme.indexOf(end);
        assertTrue(b >= 0 && e > b, "README.md lacks the ops markers");
        assertEquals(OpsCommand.markdown(), readme.substring(b + begin.length(), e),
                "README's op tables are stale: paste the output of 'java -jar target/kiln.jar ops --markdown' between the markers");
    }

    @Test
    void targetsTableMatchesTheDescriptors() {
        String readme;
        try {
            readme = Files.readString(TestFiles.root().resolve("README.md"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String begin = "<!-- targets:begin (generated: java -jar target/kiln.jar targets --markdown) -->\n", end = "<!-- targets:end -->";
        int b = readme.indexOf(begin), e = readme.indexOf(end);
        assertTrue(b >= 0 && e > b, "README.md lacks the targets markers");
        java.io.StringWriter out = new java.io.StringWriter();
        assertEquals(0, Main.execute(new java.io.PrintWriter(out), new java.io.PrintWriter(new java.io.StringWriter()), "targets", "--markdown"));
        assertEquals(out.toString(), readme.substring(b + begin.length(), e),
                "README's targets table is stale: paste the output of 'java -jar target/kiln.jar targets --markdown' between the markers");
    }

    @Test
    void ciRunsTheReadmeCommands() throws IOException {
        String readme = Files.readString(TestFiles.root().resolve("README.md"));
        String ci = Files.readString(TestFiles.root().resolve(".ci/run"));
        for (String cmd : new String[] {"mvn -B -q package -DskipTests", "java -jar target/kiln.jar check --backend c tests/models/digits_lenet5_op13", "mvn -B verify"}) {
            assertTrue(readme.contains(cmd), "README lacks: " + cmd);
            assertTrue(ci.contains(cmd), ".ci/run lacks: " + cmd);
        }
    }
}
