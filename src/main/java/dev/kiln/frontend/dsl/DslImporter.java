package dev.kiln.frontend.dsl;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.frontend.dsl.parser.KilnLexer;
import dev.kiln.frontend.dsl.parser.KilnParser;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Value;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;

/**
 * Imports a Kiln DSL model ({@code .kiln}) into a Graph. Syntax errors, then semantic errors, are collected
 * for the whole file and thrown as one {@link KilnException}, each rendered as
 * {@code FILE:LINE:COL: error: MESSAGE} with the source line and a caret.
 */
public final class DslImporter {
    private DslImporter() {}

    /** Reads and imports a .kiln file; weight files are found relative to its folder. */
    public static Graph importFile(Path file, ImportOptions options) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new KilnException(Code.FILE_NOT_FOUND, Location.file(file.toString()), file + " (" + e.getMessage() + ")");
        }
        Path dir = file.toAbsolutePath().getParent();
        return importText(text, file.toString(), dir, options);
    }

    /**
     * Imports DSL text; {@code fileName} names it in messages (and, without extension, is the default model
     * name); {@code baseDir} is where relative weight files are looked up (null: the working directory).
     */
    public static Graph importText(String text, String fileName, Path baseDir, ImportOptions options) {
        Problems problems = new Problems(fileName, text);
        SyntaxErrorListener listener = new SyntaxErrorListener(problems);
        KilnLexer lexer = new KilnLexer(CharStreams.fromString(text, fileName));
        lexer.removeErrorListeners();
        lexer.addErrorListener(listener);
        KilnParser parser = new KilnParser(new CommonTokenStream(lexer));
        parser.removeErrorListeners();
        parser.addErrorListener(listener);
        KilnParser.FileContext tree = parser.file();
        problems.throwIfAny();
        Graph g = new ModelBuilder(problems, baseDir, options).build(tree, defaultName(fileName));
        problems.throwIfAny();
        return g;
    }

    /** The names of a .kiln model's inputs in declaration order (the model is checked fully). */
    public static List<String> declaredInputs(Path file) {
        List<String> r = new ArrayList<>();
        for (Value v : importFile(file, new ImportOptions()).inputs()) r.add(v.name());
        return r;
    }

    private static String defaultName(String fileName) {
        String n = Path.of(fileName).getFileName() == null ? fileName : Path.of(fileName).getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
