package dev.kiln.cli;

import dev.kiln.Kiln;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.frontend.dsl.DslPrinter;
import dev.kiln.io.Npz;
import dev.kiln.io.OutputFiles;
import dev.kiln.ir.Graph;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kiln dsl}: prints a model as Kiln DSL text, or writes it with its large constants in an .npz beside it. */
@Command(name = "dsl", mixinStandardHelpOptions = true,
        description = "Print a model as Kiln DSL (core ops, one statement per node) that reads back to the same graph.",
        footer = {"", "Examples:",
                "  kiln dsl tests/models/digits_lenet5_op13/model.onnx",
                "  kiln dsl tests/models/ds_cnn_kws_op13/model.onnx -o out/kws.kiln",
                "  kiln check tests/models/ds_cnn_kws_op13 --model out/kws.kiln",
                "  kiln dsl tests/models/ds_cnn_kws_op13/model.onnx -O3",
                "", "Constants with more than " + DslPrinter.INLINE_LIMIT + " elements go into FILE's .npz (key = constant",
                "name); smaller ones are inline literals. Both files are written only when",
                "printing succeeded."})
final class DslCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The model (.onnx or .kiln).")
    Path model;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the DSL to FILE (.kiln) and large constants to FILE's .npz.")
    Path output;

    @Mixin
    CliOptions options;

    @Override
    public Integer call() {
        Graph g = Kiln.load(model, options.importOptions());
        options.defaultLevel = 0; // why: converting a model should give it back as imported unless -O asks for more
        options.optimize(g);
        PrintWriter out = spec.commandLine().getOut();
        if (output == null) {
            out.print(DslPrinter.text(g));
            out.flush();
            return Main.OK;
        }
        String file = output.getFileName().toString();
        // why: the archive is named after FILE with .npz; FILE itself must not be that archive
        if (file.endsWith(".npz"))
            throw new KilnException(Code.USAGE, Location.NONE, "-o names the DSL file, not its archive: " + output)
                    .withHint("for example -o model.kiln (the constants go to model.npz)");
        String base = file.endsWith(".kiln") ? file.substring(0, file.length() - ".kiln".length()) : file;
        Path npz = output.resolveSibling(base + ".npz");
        DslPrinter.Printed p = DslPrinter.print(g, npz.getFileName().toString(), model.getFileName().toString());
        // why: the archive first, so a reader of the new .kiln always finds the constants it names
        if (!p.weights().isEmpty()) OutputFiles.writeAtomically(npz, Npz.toBytes(p.weights()));
        OutputFiles.writeAtomically(output, p.text().getBytes(StandardCharsets.UTF_8));
        out.println("wrote " + output + (p.weights().isEmpty() ? "" : " and " + npz + " (" + p.weights().size() + " constants)"));
        return Main.OK;
    }
}
