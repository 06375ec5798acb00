package dev.kiln.frontend.dsl;

import dev.kiln.diag.Code;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.Vocabulary;
import org.antlr.v4.runtime.misc.IntervalSet;
import dev.kiln.frontend.dsl.parser.KilnLexer;

/**
 * Turns ANTLR's first syntax error into a DSL diagnostic with a readable message ("expected ')' but found
 * 'relu'"); nothing is printed to the console.
 */
final class SyntaxErrorListener extends BaseErrorListener {
    private static final int MAX_LISTED = 5;
    private final Problems problems;
    private boolean reported;

    SyntaxErrorListener(Problems problems) { this.problems = problems; }

    @Override
    public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int charPos, String msg, RecognitionException e) {
        // why: after the first syntax error the parser's recovery guesses, and later errors are mostly its echoes
        if (reported) return;
        reported = true;
        if (!(recognizer instanceof Parser) || !(offending instanceof Token)) {
            problems.add(Code.DSL_SYNTAX, problems.at(line, charPos), "unexpected character");
            return;
        }
        Parser p = (Parser) recognizer;
        Token t = (Token) offending;
        IntervalSet want = e instanceof InputMismatchException ? e.getExpectedTokens() : p.getExpectedTokens();
        String expected = t.getType() == KilnLexer.BAD_CHAR ? null : expected(want, p.getVocabulary());
        String message = expected == null ? "unexpected " + describe(t) : "expected " + expected + " but found " + describe(t);
        problems.add(Code.DSL_SYNTAX, t, message);
    }

    private static String describe(Token t) {
        if (t.getType() == Token.EOF) return "end of file";
        if (t.getType() == KilnLexer.BAD_CHAR) return character(t.getText());
        if (t.getType() == KilnLexer.STRING) return "string " + t.getText();
        return "'" + t.getText() + "'";
    }

    /** {@code character '$'}, or {@code character U+0000} for one that does not print (a NUL byte, a control). */
    private static String character(String text) {
        int c = text.isEmpty() ? 0 : text.codePointAt(0);
        if (c < 0x20 || c == 0x7F || Character.isISOControl(c) || !Character.isDefined(c) || Character.getType(c) == Character.FORMAT)
            return String.format("character U+%04X", c);
        return "character '" + text + "'";
    }

    /** "')'", "')' or ','", "a name, ')' or ','"; null when the set is empty or too large to be helpful. */
    private static String expected(IntervalSet set, Vocabulary v) {
        if (set == null || set.isNil()) return null;
        Set<String> names = new LinkedHashSet<>();
        for (int type : set.toArray()) names.add(tokenName(type, v));
        if (names.size() > MAX_LISTED) return null;
        List<String> l = new ArrayList<>(names);
        if (l.size() == 1) return l.get(0);
        return String.join(", ", l.subList(0, l.size() - 1)) + " or " + l.get(l.size() - 1);
    }

    private static String tokenName(int type, Vocabulary v) {
        if (type == Token.EOF) return "end of file";
        if (type == KilnLexer.ID || type == KilnLexer.QUOTED_NAME) return "a name";
        if (type == KilnLexer.INT) return "an integer";
        if (type == KilnLexer.FLOAT) return "a number";
        if (type == KilnLexer.STRING) return "a string";
        String lit = v.getLiteralName(type);
        return lit != null ? lit : v.getDisplayName(type);
    }
}
