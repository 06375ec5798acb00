package dev.kiln.cli;

import dev.kiln.backend.Target;
import dev.kiln.toolchain.Emulator;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kiln targets}: the bundled target descriptors, generated from {@code targets/}. */
@Command(name = "targets", mixinStandardHelpOptions = true, description = "List the targets Kiln compiles for.",
        footer = {"", "Examples:", "  kiln targets", "  kiln targets --markdown    # the table README.md shows",
                "", "A target is a descriptor in targets/ (data only); -t also takes a path to",
                "a .properties file."})
final class TargetsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--markdown", description = "Print a Markdown table (as in README).")
    boolean markdown;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (markdown) {
            out.println("| target | description | FPU | DSP | qemu boards |");
            out.println("|---|---|---|---|---|");
        }
        for (String n : Target.names()) {
            Target t = Target.load(n);
            StringBuilder boards = new StringBuilder();
            for (Target.Board b : t.boards()) boards.append(boards.length() == 0 ? "" : ", ").append(b.name());
            if (markdown)
                out.printf("| `%s` | %s | %s | %s | %s |%n", t.name(), t.description(), t.fpu(), t.hasDsp() ? "yes" : "no",
                        boards.length() > 0 ? boards : t.isCross() ? "(" + Emulator.of(t).command() + ", user mode)" : "(runs natively)");
            else
                out.printf("%-14s %s%n", t.name(), t.description());
        }
        out.flush();
        return Main.OK;
    }
}
