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
    /** The deepest nesting of brackets, parentheses and braces a file may have (the parser recurses per level). */
    public static final int MAX_NESTING = 64;
    /** The largest .kiln file read, in bytes (weights belong in weight files). */
    public static final long MAX_FILE_BYTES = 64L << 20;

    private DslImporter() {}

    /** Reads and imports a .kiln file; weight files are found relative to its folder. */
    public static Graph importFile(Path file, ImportOptions options) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            // why: a DSL file is text written by people; hundreds of megabytes of it is an attack, not a model
            if (size > MAX_FILE_BYTES)
                throw new KilnException(Code.FILE_NOT_FOUND, Location.file(file.toString()), file + " (" + size + " bytes, more than the "
                        + MAX_FILE_BYTES + " a .kiln file may have; keep weights in .npz or .safetensors files)");
            bytes = Files.readAllBytes(file);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new KilnException(Code.FILE_NOT_FOUND, Location.file(file.toString()), file + " (" + e.getMessage() + ")");
        }
        String text = decodeUtf8(bytes, file.toString());
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
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        checkNesting(tokens, problems);
        KilnParser parser = new KilnParser(tokens);
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

    /** The file's text; an error naming the line and column of the first byte that is not UTF-8. */
    static String decodeUtf8(byte[] bytes, String where) {
        java.nio.charset.CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT).onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length + 1);
        java.nio.charset.CoderResult r = dec.decode(in, out, true);
        if (!r.isError()) r = dec.flush(out);
        if (r.isError()) {
            int bad = in.position();
            int line = 1, col = 1;
            for (int i = 0; i < bad; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    col = 1;
                } else if ((bytes[i] & 0xC0) != 0x80) {
                    col++;
                }
            }
            throw new KilnException(Code.NOT_UTF8, Location.at(where, line, col),
                    String.format("the file is not UTF-8 text: byte 0x%02X at offset %d cannot start or continue a character", bytes[bad] & 0xFF, bad))
                    .withHint("save the file as UTF-8");
        }
        out.flip();
        return out.toString();
    }

    /**
     * Fails when brackets, parentheses or braces nest deeper than {@link #MAX_NESTING}, before the recursive
     * parser can run out of stack on them.
     */
    private static void checkNesting(CommonTokenStream tokens, Problems problems) {
        tokens.fill();
        int depth = 0;
        for (org.antlr.v4.runtime.Token t : tokens.getTokens()) {
            String s = t.getText();
            if (s.equals("[") || s.equals("(") || s.equals("{")) {
                if (++depth > MAX_NESTING) {
                    problems.add(Code.NESTING_TOO_DEEP, t, "brackets, parentheses and braces nest more than " + MAX_NESTING + " deep here");
                    problems.throwIfAny();
                }
            } else if (s.equals("]") || s.equals(")") || s.equals("}")) {
                depth = Math.max(0, depth - 1);
            }
        }
    }

    private static String defaultName(String fileName) {
        String n = Path.of(fileName).getFileName() == null ? fileName : Path.of(fileName).getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
