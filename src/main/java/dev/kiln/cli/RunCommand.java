package dev.kiln.cli;

import dev.kiln.Kiln;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.frontend.onnx.TensorProtos;
import dev.kiln.interp.Interpreter;
import dev.kiln.io.Npy;
import dev.kiln.io.OutputFiles;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kiln run}: runs a model on .npy or .pb inputs and prints or writes its outputs. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Run a model on .npy or .pb inputs.",
        footer = {"", "Examples:",
                "  kiln run tests/onnx-node/test_relu/model.onnx \\",
                "      --input tests/onnx-node/test_relu/test_data_set_0/input_0.pb",
                "  kiln run tests/models/digits_lenet5_op13/model.onnx \\",
                "      --input input=tests/models/digits_lenet5_op13/test_data_set_0/input_0.pb",
                "  kiln run tests/models/digits_lenet5_op13/model.onnx \\",
                "      --input tests/models/digits_lenet5_op13/test_data_set_0/input_0.pb \\",
                "      --backend c -o out/run",
                "", "Outputs are printed; with -o each is written as DIR/<output name>.npy."})
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The model (.onnx or .kiln).")
    Path model;

    @Option(names = "--input", paramLabel = "[NAME=]FILE", description = "An input as .npy or .pb; NAME may be left out for a model with one input.")
    List<String> inputs = new ArrayList<>();

    @Option(names = {"-o", "--output-dir"}, paramLabel = "DIR", description = "Write outputs as .npy files into DIR.")
    Path outDir;

    @picocli.CommandLine.Mixin
    CliOptions options;

    @Override
    public Integer call() {
        options.requireBackend();
        ImportOptions opts = options.importOptions();
        Graph g = Kiln.load(model, opts);
        options.optimize(g);
        Map<String, NdArray> feeds = new LinkedHashMap<>();
        for (String spec : inputs) {
            int eq = spec.indexOf('=');
            String name;
            String file;
            if (eq > 0) {
                name = spec.substring(0, eq);
                file = spec.substring(eq + 1);
            } else if (g.inputs().size() == 1) {
                name = g.inputs().get(0).name();
                file = spec;
            } else {
                throw new KilnException(Code.USAGE, Location.NONE, "--input '" + spec + "' needs a NAME= prefix: the model has " + g.inputs().size() + " inputs");
            }
            if (g.value(name) == null || !g.inputs().contains(g.value(name)))
                throw new KilnException(Code.USAGE, Location.NONE, "the model has no input '" + name + "'").withHint("its inputs: " + inputList(g));
            Path p = Path.of(file);
            NdArray a = file.endsWith(".pb") ? TensorProtos.readPb(p, opts.maxTensorBytes()) : Npy.read(p, opts.maxTensorBytes());
            Value v = g.value(name);
            // why: an int8 model takes int8 inputs: float data is quantized with the input's parameters, outside the model
            if (a.shape().numel() == v.shape().numel()) a = dev.kiln.quant.Int8Io.toInput(a.reshape(v.shape()), v.type());
            if (a.dtype() != v.dtype() && a.dtype().isFloat() && v.dtype().isFloat()) a = a.cast(v.dtype());
            if (!a.type().equals(v.type()) && a.shape().numel() == v.shape().numel() && a.dtype() == v.dtype()) a = a.reshape(v.shape());
            if (a.dtype() != v.dtype() || !a.shape().equals(v.shape()))
                throw new KilnException(Code.USAGE, Location.file(file), "input '" + name + "' must be " + v.type() + ", " + file + " holds " + a.type());
            feeds.put(name, a);
        }
        for (Value v : g.inputs()) {
            if (!feeds.containsKey(v.name()))
                throw new KilnException(Code.USAGE, Location.NONE, "no data for input '" + v.name() + "' (" + v.type() + ")")
                        .withHint("give it with --input " + v.name() + "=FILE.npy");
        }
        Map<String, NdArray> outs;
        if (options.backend.equals(CliOptions.INTERP)) {
            outs = new Interpreter(g).run(feeds);
        } else {
            // why: compiled backends run through the same batch runner as 'kiln check'
            List<NdArray> ins = new ArrayList<>();
            for (Value v : g.inputs()) ins.add(feeds.get(v.name()));
            String name = model.getFileName().toString();
            dev.kiln.check.Checker.Outcome o = options.runner().runAll(List.of(new dev.kiln.check.Checker.Job(name, g, ins))).get(0);
            if (o.error() != null) throw new KilnException(Code.RUN_FAILED, Location.file(model.toString()), o.error());
            outs = new LinkedHashMap<>();
            for (int i = 0; i < g.outputs().size(); i++) outs.put(g.outputs().get(i).name(), o.outputs().get(i));
        }
        PrintWriter out = spec.commandLine().getOut();
        for (Map.Entry<String, NdArray> e : outs.entrySet()) {
            // why: int8 outputs are shown and written as the real values they stand for
            e.setValue(dev.kiln.quant.Int8Io.toFloat(e.getValue(), g.value(e.getKey()).type()));
            out.println(e.getKey() + ": " + e.getValue());
            if (outDir != null) OutputFiles.writeAtomically(outDir.resolve(safeFileName(e.getKey()) + ".npy"), Npy.toBytes(e.getValue()));
        }
        return Main.OK;
    }

    private static String inputList(Graph g) {
        StringBuilder b = new StringBuilder();
        for (Value v : g.inputs()) b.append(b.length() == 0 ? "" : ", ").append(v.name()).append(' ').append(v.type());
        return b.toString();
    }

    /** An output name made safe as a file name. */
    static String safeFileName(String name) {
        String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.isEmpty() || s.startsWith(".") ? "out" + s : s;
    }
}
