package dev.kiln.cli;

import dev.kiln.frontend.onnx.OnnxImporter;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kiln ops}: the ops Kiln knows, generated from the registry. */
@Command(name = "ops", mixinStandardHelpOptions = true, description = "List Kiln's ops and the ONNX ops it imports.",
        footer = {"", "Examples:", "  kiln ops", "  kiln ops --markdown        # the tables README.md shows"})
public final class OpsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Option(names = "--markdown", description = "Print the tables README.md shows.")
    boolean markdown;

    /** The Markdown tables of ops README.md shows, generated from the registries. */
    public static String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("| Kiln op | computes |\n|---|---|\n");
        for (OpDef op : Ops.all()) b.append("| `").append(op.name()).append("` | ").append(op.summary().replace("|", "\\|")).append(" |\n");
        b.append("\nONNX ops imported (").append(OnnxImporter.supportedOps().size()).append("): ");
        b.append(String.join(", ", OnnxImporter.supportedOps())).append(".\n");
        return b.toString();
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (markdown) {
            out.print(markdown());
            return Main.OK;
        }
        out.println("Kiln ops (" + Ops.all().size() + "):");
        for (OpDef op : Ops.all()) out.printf("  %-24s %s%n", op.name(), op.summary());
        out.println();
        out.println("ONNX ops imported (" + OnnxImporter.supportedOps().size() + "):");
        out.println("  " + String.join(", ", OnnxImporter.supportedOps()));
        return Main.OK;
    }
}
