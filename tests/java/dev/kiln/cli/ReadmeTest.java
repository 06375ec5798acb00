package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    /** README quick start, command 1: build Kiln, compile the digits classifier to C, build it, classify, print accuracy. */
    static final String QUICK_START_1 = "mvn -B -q package -DskipTests && java -jar target/kiln.jar eval tests/models/digits_lenet5_op13/model.onnx"
            + " --inputs tests/data/digits_test_x.npy --labels tests/data/digits_test_y.npy --backend c";

    /** README quick start, command 2: install the test toolchains (one list, in the script), then run the tests. */
    static final String QUICK_START_2 = "bash tests/setup-toolchains.sh && mvn -B verify";

    @Test
    void ciRunsExactlyTheReadmeCommands() throws IOException {
        String readme = Files.readString(TestFiles.root().resolve("README.md"));
        assertEquals(List.of(QUICK_START_1, QUICK_START_2), quickStartCommands(readme), "README's quick start commands");
        // why: CI must run what a new user runs, nothing more (the version prints aside) and nothing less
        List<String> ci = new ArrayList<>();
        for (String line : Files.readAllLines(TestFiles.root().resolve(".ci/run"))) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith("set ") || l.startsWith("cd ") || l.endsWith("| sed -n 1p")) continue;
            ci.add(l);
        }
        assertEquals(List.of(QUICK_START_1, QUICK_START_2), ci, ".ci/run must run exactly README's two quick start commands");
        // why: the quick start's files must be the bundled ones
        for (String f : new String[] {"tests/models/digits_lenet5_op13/model.onnx", "tests/data/digits_test_x.npy",
                "tests/data/digits_test_y.npy", "tests/setup-toolchains.sh"})
            assertTrue(Files.exists(TestFiles.root().resolve(f)), f);
    }

    @Test
    void theTestPackagesAreListedOnlyInTheSetupScript() throws IOException {
        String script = Files.readString(TestFiles.root().resolve("tests/setup-toolchains.sh"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\s*\"([a-z0-9][a-z0-9.+-]*)\\|[^\"]+\"$").matcher(script);
        List<String> packages = new ArrayList<>();
        while (m.find()) packages.add(m.group(1));
        assertTrue(packages.containsAll(List.of("gcc-arm-none-eabi", "qemu-system-arm", "pocl-opencl-icd", "cmake")), "script lists " + packages);
        // why: CI and the quick start install through the script; a second list would drift from it (other README
        // sections may still tell a user which package gives one tool)
        String readme = Files.readString(TestFiles.root().resolve("README.md"));
        int q = readme.indexOf("\n## Quick start\n");
        Map<String, String> texts = Map.of(".ci/run", Files.readString(TestFiles.root().resolve(".ci/run")),
                "README's quick start", readme.substring(q, readme.indexOf("\n### ", q + 1)));
        texts.forEach((where, text) -> {
            for (String p : packages)
                if (p.contains("-")) // why: cmake and make are also the names of tools the prose mentions
                    assertFalse(text.contains(p), where + " repeats the package " + p + "; tests/setup-toolchains.sh is its one list");
        });
    }

    /** The command lines of the README's first code block under {@code ## Quick start} (comments and blanks aside). */
    static List<String> quickStartCommands(String readme) {
        int q = readme.indexOf("\n## Quick start\n");
        assertTrue(q >= 0, "README has no quick start");
        int b = readme.indexOf("```sh\n", q), e = readme.indexOf("\n```", b + 6);
        List<String> cmds = new ArrayList<>();
        for (String line : readme.substring(b + 6, e).split("\n"))
            if (!line.isBlank() && !line.startsWith("#")) cmds.add(line.strip());
        return cmds;
    }

    /** The README's sections, in the order a user needs them (other sections may sit between them). */
    private static final String[] SECTIONS = {"## Quick start", "## Compile a model", "## Check it", "## Quantize it (int8)", "## Quantized models from other tools",
            "## Use it from Maven", "## Targets", "## Ops", "## Model description language", "## Reports", "## Benchmarks",
            "## Untrusted models", "## Adding an op", "## Adding a pass", "## Adding a backend", "## Adding a target",
            "## Troubleshooting"};

    @Test
    void sectionsComeInTheirOrderAndTheFilesTheyNameExist() throws IOException {
        String readme = Files.readString(TestFiles.root().resolve("README.md"));
        int at = -1;
        for (String s : SECTIONS) {
            int i = readme.indexOf("\n" + s + "\n");
            assertTrue(i > at, s + " missing or out of order");
            at = i;
        }
        // every repository path the README names in backquotes exists (patterns with * or <...> aside); the Maven
        // section names the folders of the user's own project, not Kiln's
        String own = withoutSection(readme, "## Use it from Maven");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("`((?:src|tests|targets|templates|runtime-c|grammar)/[^`\\s]*)`").matcher(own);
        int paths = 0;
        while (m.find()) {
            String p = m.group(1);
            if (p.contains("*") || p.contains("<")) continue;
            assertTrue(Files.exists(TestFiles.root().resolve(p)), "README names a missing file: " + p);
            paths++;
        }
        assertTrue(paths >= 10, "only " + paths + " paths checked");
    }

    /** {@code text} without the section under {@code heading} (up to the next {@code ## } heading). */
    private static String withoutSection(String text, String heading) {
        int b = text.indexOf("\n" + heading + "\n");
        if (b < 0) return text;
        int e = text.indexOf("\n## ", b + 1);
        return text.substring(0, b) + (e < 0 ? "" : text.substring(e));
    }
}
