package dev.kiln.frontend.dsl;

import dev.kiln.diag.Code;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.Vocabulary;
import org.antlr.v4.runtime.misc.IntervalSet;
import dev.kiln.frontend.dsl.parser.KilnLexer;

/**
 * Turns ANTLR's syntax errors into DSL diagnostics with readable messages ("expected ')' but found
 * 'relu'"); nothing is printed to the console.
 */
final class SyntaxErrorListener extends BaseErrorListener {
    private static final int MAX_LISTED = 5;
    private final Problems problems;

    SyntaxErrorListener(Problems problems) { this.problems = problems; }

    @Override
    public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int charPos, String msg, RecognitionException e) {
        if (!(recognizer instanceof Parser) || !(offending instanceof Token)) {
            problems.add(Code.DSL_SYNTAX, problems.at(line, charPos), "unexpected character");
            return;
        }
        Parser p = (Parser) recognizer;
        Token t = (Token) offending;
        String found = describe(t);
        String message;
        if (e instanceof InputMismatchException || (e == null && msg.startsWith("missing"))) {
            String expected = expected(e != null ? e.getExpectedTokens() : p.getExpectedTokens(), p.getVocabulary());
            message = expected == null ? "unexpected " + found : "expected " + expected + " but found " + found;
        } else if (e instanceof NoViableAltException || e == null) {
            String expected = expected(p.getExpectedTokens(), p.getVocabulary());
            message = "unexpected " + found + (expected == null || t.getType() == Token.EOF ? "" : " (expected " + expected + ")");
        } else {
            message = "unexpected " + found;
        }
        problems.add(Code.DSL_SYNTAX, t, message);
    }

    private static String describe(Token t) {
        if (t.getType() == Token.EOF) return "end of file";
        if (t.getType() == KilnLexer.BAD_CHAR) return "character '" + t.getText() + "'";
        if (t.getType() == KilnLexer.STRING) return "string " + t.getText();
        return "'" + t.getText() + "'";
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
