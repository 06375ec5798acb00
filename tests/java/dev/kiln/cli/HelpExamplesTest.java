package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command's {@code --help} ends with real examples: each names bundled files that exist, and the cheap ones
 * run (on the bundled models and data) and exit 0.
 */
class HelpExamplesTest {
    @TempDir
    Path tmp;

    /** The commands of {@code kiln} (the root as ""), without picocli's own {@code help}. */
    private static List<String> commands() {
        List<String> r = new ArrayList<>(List.of(""));
        for (String n : new CommandLine(new Main()).getSubcommands().keySet()) if (!n.equals("help")) r.add(n);
        return r;
    }

    /** Commands whose help other parts of Kiln own (reports, benchmarks): only their Examples section is checked. */
    private static final List<String> LENIENT = List.of("inspect", "bench");

    /** The example lines (without the leading {@code kiln}) of a command's help text. */
    static List<String> examples(String help) {
        return examples(help, true);
    }

    /**
     * The example lines of a help text; {@code strict}: every line of the section is a kiln command, at most 80
     * columns wide (else: the lines that start with {@code kiln}).
     */
    static List<String> examples(String help, boolean strict) {
        List<String> r = new ArrayList<>();
        int at = help.indexOf("\nExamples:\n");
        assertTrue(at >= 0, "no Examples section in:\n" + help);
        String[] lines = help.substring(at + "\nExamples:\n".length()).split("\n");
        for (int i = 0; i < lines.length && !lines[i].isBlank(); i++) {
            String t = lines[i].strip();
            // why: long examples go on over several lines, each but the last ending with a backslash as in a shell
            while (t.endsWith("\\") && i + 1 < lines.length) t = t.substring(0, t.length() - 1).strip() + " " + lines[++i].strip();
            if (!strict && !t.startsWith("kiln ")) continue;
            assertTrue(lines[i].length() <= 80, "an example line wider than the help: " + lines[i]);
            assertTrue(t.startsWith("kiln "), "an example line that is not a kiln command: " + t);
            int hash = t.indexOf(" #");
            r.add((hash >= 0 ? t.substring(0, hash) : t).substring("kiln ".length()).strip());
        }
        return r;
    }

    @Test
    void everyCommandsHelpShowsExamplesOfItself() {
        List<String> cmds = commands();
        for (String c : List.of("compile", "check", "run", "eval", "inspect", "bench", "dsl", "ops", "targets"))
            assertTrue(cmds.contains(c), "kiln has no command " + c);
        for (String c : cmds) {
            dev.kiln.KilnCli.Run r = c.isEmpty() ? dev.kiln.KilnCli.kiln("--help") : dev.kiln.KilnCli.kiln(c, "--help");
            assertEquals(0, r.rc(), c + ": " + r.err());
            List<String> ex = examples(r.out(), !LENIENT.contains(c));
            assertFalse(ex.isEmpty(), c + " shows no examples");
            CommandLine cl = c.isEmpty() ? new CommandLine(new Main()) : new CommandLine(new Main()).getSubcommands().get(c);
            if (!LENIENT.contains(c))
                for (String line : cl.getCommandSpec().usageMessage().footer())
                    assertTrue(line.length() <= 80, c + ": a footer line wider than the help wraps badly: " + line);
            if (!c.isEmpty()) assertTrue(ex.stream().anyMatch(e -> e.startsWith(c + " ") || e.equals(c)), c + "'s examples do not use it: " + ex);
            for (String e : ex) {
                for (String tok : e.split("\\s+")) {
                    String path = tok.substring(tok.indexOf('=') + 1);
                    if (path.startsWith("tests/")) assertTrue(Files.exists(TestFiles.root().resolve(path)), c + ": example names a missing file " + path);
                }
            }
        }
    }

    /**
     * Whether an example is cheap enough for the unit tests: not a benchmark or another helper's report, no
     * OpenCL device, no qemu, not every bundled model, not hundreds of C builds.
     */
    private static boolean cheap(String e) {
        List<String> t = List.of(e.split("\\s+"));
        if (LENIENT.contains(t.get(0))) return false;
        if (e.contains("opencl") || e.contains("-t cortex-")) return false;
        if (t.contains("tests/models")) return false;
        return !(t.get(0).equals("eval") && e.contains("--backend c"));
    }

    @Test
    void theCheapExamplesRunOnTheBundledFiles() {
        Map<String, List<String>> byCommand = new LinkedHashMap<>();
        for (String c : commands()) {
            // why: inspect and bench examples are not run here (reports and timings are tested where they are built)
            if (LENIENT.contains(c)) continue;
            dev.kiln.KilnCli.Run r = c.isEmpty() ? dev.kiln.KilnCli.kiln("--help") : dev.kiln.KilnCli.kiln(c, "--help");
            byCommand.put(c, examples(r.out()));
        }
        int ran = 0;
        for (Map.Entry<String, List<String>> e : byCommand.entrySet()) {
            for (String ex : e.getValue()) {
                if (!cheap(ex)) continue;
                List<String> args = new ArrayList<>();
                for (String tok : ex.split("\\s+")) {
                    int eq = tok.indexOf('=') + 1;
                    String pre = tok.substring(0, eq), path = tok.substring(eq);
                    if (path.startsWith("tests/")) args.add(pre + TestFiles.root().resolve(path));
                    else if (path.startsWith("out/")) args.add(pre + tmp.resolve(path));
                    else args.add(tok);
                }
                dev.kiln.KilnCli.Run r = dev.kiln.KilnCli.kiln(args.toArray(String[]::new));
                assertEquals(0, r.rc(), "kiln " + ex + "\n" + r.out() + r.err());
                ran++;
            }
        }
        assertTrue(ran >= 15, "only " + ran + " examples ran");
    }
}
