package dev.kiln.check;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.frontend.onnx.TensorProtos;
import dev.kiln.ir.NdArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A test case in ONNX's backend-test layout: a folder with {@code model.onnx} (or {@code model.kiln}) and
 * {@code test_data_set_*} folders of {@code input_<i>.pb} / {@code output_<i>.pb} tensors.
 */
public final class TestCase {
    /** One data set: inputs and expected outputs, in index order. */
    public record DataSet(String name, List<NdArray> inputs, List<String> inputNames, List<NdArray> outputs) {}

    private static final Pattern PB = Pattern.compile("(input|output)_(\\d+)\\.pb");
    private final Path dir;
    private final Path model;

    private TestCase(Path dir, Path model) {
        this.dir = dir;
        this.model = model;
    }

    public Path dir() { return dir; }
    public Path model() { return model; }
    public String name() { return dir.getFileName() == null ? dir.toString() : dir.getFileName().toString(); }

    /** The model file a case folder holds, or null if it is not a case folder. */
    public static Path modelIn(Path dir) {
        for (String n : new String[] {"model.onnx", "model.kiln"}) if (Files.isRegularFile(dir.resolve(n))) return dir.resolve(n);
        return null;
    }

    /**
     * The cases at {@code paths}: each path is a case folder, or a folder whose sub-folders (searched
     * recursively) are case folders. Sorted by path. Fails if a path does not exist or holds no case.
     */
    public static List<TestCase> find(List<Path> paths) {
        List<TestCase> r = new ArrayList<>();
        for (Path p : paths) {
            if (!Files.isDirectory(p)) throw new KilnException(Code.CASE_LAYOUT, Location.file(p.toString()), p + " is not a folder")
                    .withHint("give a test folder (model.onnx + test_data_set_*/) or a folder of them");
            int before = r.size();
            collect(p, r, 0);
            if (r.size() == before) throw new KilnException(Code.CASE_LAYOUT, Location.file(p.toString()), "no test case (model.onnx or model.kiln) under " + p);
        }
        return r;
    }

    private static void collect(Path p, List<TestCase> r, int depth) {
        Path m = modelIn(p);
        if (m != null) {
            r.add(new TestCase(p, m));
            return;
        }
        if (depth > 8) return;
        try (Stream<Path> s = Files.list(p)) {
            for (Path c : s.filter(Files::isDirectory).sorted().toList()) collect(c, r, depth + 1);
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.file(p.toString()), "cannot list " + p + ": " + e.getMessage());
        }
    }

    /** Loads the case's data sets, sorted by name. */
    public List<DataSet> dataSets(long maxBytes) {
        List<DataSet> r = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path d : s.filter(x -> Files.isDirectory(x) && x.getFileName().toString().startsWith("test_data_set")).sorted().toList()) {
                List<NdArray> ins = new ArrayList<>(), outs = new ArrayList<>();
                List<String> names = new ArrayList<>();
                List<Path> files;
                try (Stream<Path> fs = Files.list(d)) {
                    files = fs.filter(x -> PB.matcher(x.getFileName().toString()).matches()).toList();
                }
                int nin = 0, nout = 0;
                for (Path f : files) {
                    Matcher m = PB.matcher(f.getFileName().toString());
                    m.matches();
                    int idx = Integer.parseInt(m.group(2));
                    if (m.group(1).equals("input")) nin = Math.max(nin, idx + 1);
                    else nout = Math.max(nout, idx + 1);
                }
                for (int i = 0; i < nin; i++) {
                    Path f = d.resolve("input_" + i + ".pb");
                    if (!Files.exists(f)) throw new KilnException(Code.CASE_LAYOUT, Location.file(d.toString()), "missing " + f.getFileName());
                    ins.add(readPb(f, false, i, maxBytes));
                    names.add(pbName(f));
                }
                for (int i = 0; i < nout; i++) {
                    Path f = d.resolve("output_" + i + ".pb");
                    if (!Files.exists(f)) throw new KilnException(Code.CASE_LAYOUT, Location.file(d.toString()), "missing " + f.getFileName());
                    outs.add(readPb(f, true, i, maxBytes));
                }
                r.add(new DataSet(d.getFileName().toString(), ins, names, outs));
            }
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.file(dir.toString()), "cannot read " + dir + ": " + e.getMessage());
        }
        if (r.isEmpty()) throw new KilnException(Code.CASE_LAYOUT, Location.file(dir.toString()), "no test_data_set_* folder in " + dir);
        return r;
    }

    /**
     * Reads input or output {@code index} of a data set: a TensorProto, or, when that fails and the model declares
     * the slot an optional tensor, the OptionalProto ONNX writes for it.
     */
    private NdArray readPb(Path f, boolean output, int index, long maxBytes) {
        try {
            return TensorProtos.readPb(f, maxBytes);
        } catch (KilnException e) {
            if (!model.getFileName().toString().endsWith(".onnx") || !dev.kiln.frontend.onnx.OnnxImporter.isOptionalTensor(model, output, index)) throw e;
            return TensorProtos.readOptionalPb(f, maxBytes);
        }
    }

    private static String pbName(Path f) {
        try {
            return dev.kiln.frontend.onnx.proto.Onnx.TensorProto.parseFrom(Files.readAllBytes(f)).getName();
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public String toString() { return name(); }
}
