package dev.kiln.frontend.dsl;

import dev.kiln.diag.Code;
import dev.kiln.diag.Diagnostic;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.antlr.v4.runtime.Token;

/**
 * The errors found in one DSL file: each at a line and column with its source line, collected so that a
 * file's errors are all reported at once (sorted by position, duplicates dropped).
 */
final class Problems {
    /** Abandons the statement being built; its error (if any) is already recorded. */
    static final class StatementFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StatementFailed() { super(null, null, false, false); }
    }

    private final String file;
    private final String[] lines;
    private final Map<String, Diagnostic> found = new LinkedHashMap<>();

    Problems(String file, String text) {
        this.file = file;
        this.lines = text.split("\r?\n|\r", -1);
    }

    /** The location of a token, with its source line. */
    Location at(Token t) {
        int line = Math.max(1, t.getLine());
        String src = line <= lines.length ? lines[line - 1] : "";
        int col = t.getType() == Token.EOF ? src.length() + 1 : t.getCharPositionInLine() + 1;
        return Location.at(file, line, col, src);
    }

    /** The location of a line and 0-based character position. */
    Location at(int line, int charPos) {
        String src = line >= 1 && line <= lines.length ? lines[line - 1] : "";
        return Location.at(file, Math.max(1, line), charPos + 1, src);
    }

    /** Records an error at {@code t}. */
    void add(Code code, Token t, String message) { add(code, at(t), message); }

    /** Records an error at a location. */
    void add(Code code, Location where, String message) {
        Diagnostic d = new Diagnostic(code, where, message, null);
        found.putIfAbsent(d.render(), d);
    }

    /** Records an error at {@code t} and returns the exception that abandons the statement. */
    StatementFailed fail(Code code, Token t, String message) {
        add(code, t, message);
        return new StatementFailed();
    }

    boolean isEmpty() { return found.isEmpty(); }

    /** How many distinct errors are recorded. */
    int count() { return found.size(); }

    /** Throws every recorded error as one exception, sorted by line and column; does nothing if none. */
    void throwIfAny() {
        if (found.isEmpty()) return;
        List<Diagnostic> ds = new ArrayList<>(found.values());
        ds.sort(Comparator.comparingInt((Diagnostic d) -> d.location().line()).thenComparingInt(d -> d.location().column()));
        throw new KilnException(ds);
    }

    /** The known name closest to {@code name} (edit distance), or null when none is close. */
    static String nearest(String name, Iterable<String> known) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(name, k);
            if (d < bestD || (d == bestD && best != null && k.compareTo(best) < 0)) {
                bestD = d;
                best = k;
            }
        }
        return best != null && bestD < name.length() && bestD <= Math.max(1, Math.min(3, name.length() / 3)) ? best : null;
    }

    /** Edit distance counting insertions, deletions, substitutions and swaps of neighbours as one each. */
    private static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1));
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
        return d[a.length()][b.length()];
    }
}
