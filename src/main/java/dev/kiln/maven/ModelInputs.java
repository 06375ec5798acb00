package dev.kiln.maven;

import dev.kiln.frontend.dsl.parser.KilnLexer;
import dev.kiln.frontend.onnx.proto.Onnx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;

/**
 * Finds the files a model reads besides itself, so that a change to any of them makes the model stale:
 * for a {@code .kiln} model every string literal naming an existing file next to it ({@code weights "w.npz"},
 * {@code file("w.npy")}), for an {@code .onnx} model the external-data files of its tensors.
 */
public final class ModelInputs {
    private ModelInputs() {}

    /**
     * The files {@code model} references, in order of first mention; a model that cannot be read yields none
     * (compiling it reports why).
     */
    public static List<Path> referencedFiles(Path model) {
        Set<Path> out = new LinkedHashSet<>();
        Path dir = model.toAbsolutePath().getParent();
        String n = model.getFileName() == null ? "" : model.getFileName().toString();
        try {
            if (n.endsWith(".kiln")) dslStrings(model, dir, out);
            else if (n.endsWith(".onnx")) onnxExternalData(model, dir, out);
        } catch (IOException | RuntimeException e) {
            // why: an unreadable or malformed model is reported by the compiler with its location, not here
            return List.of();
        }
        return new ArrayList<>(out);
    }

    private static void dslStrings(Path model, Path dir, Set<Path> out) throws IOException {
        KilnLexer lexer = new KilnLexer(CharStreams.fromPath(model));
        lexer.removeErrorListeners();
        for (Token t = lexer.nextToken(); t.getType() != Token.EOF; t = lexer.nextToken()) {
            if (t.getType() != KilnLexer.STRING) continue;
            String s = t.getText();
            addIfFile(dir, s.substring(1, s.length() - 1).replaceAll("\\\\(.)", "$1"), out);
        }
    }

    private static void onnxExternalData(Path model, Path dir, Set<Path> out) throws IOException {
        Onnx.ModelProto m;
        try (InputStream in = Files.newInputStream(model)) {
            m = Onnx.ModelProto.parseFrom(in);
        }
        graph(m.getGraph(), dir, out);
    }

    private static void graph(Onnx.GraphProto g, Path dir, Set<Path> out) {
        for (Onnx.TensorProto t : g.getInitializerList()) tensor(t, dir, out);
        for (Onnx.NodeProto n : g.getNodeList()) {
            for (Onnx.AttributeProto a : n.getAttributeList()) {
                if (a.hasT()) tensor(a.getT(), dir, out);
                for (Onnx.TensorProto t : a.getTensorsList()) tensor(t, dir, out);
                if (a.hasG()) graph(a.getG(), dir, out);
                for (Onnx.GraphProto sub : a.getGraphsList()) graph(sub, dir, out);
            }
        }
    }

    private static void tensor(Onnx.TensorProto t, Path dir, Set<Path> out) {
        for (Onnx.StringStringEntryProto e : t.getExternalDataList())
            if (e.getKey().equals("location")) addIfFile(dir, e.getValue(), out);
    }

    private static void addIfFile(Path dir, String name, Set<Path> out) {
        if (name.isEmpty()) return;
        try {
            Path p = dir.resolve(name).normalize();
            if (Files.isRegularFile(p)) out.add(p);
        } catch (InvalidPathException e) {
            // why: a string that is no path names no file; the model's own checks report bad file names
        }
    }
}
