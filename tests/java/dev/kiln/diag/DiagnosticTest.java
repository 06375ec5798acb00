package dev.kiln.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Diagnostic.render: compiler-style messages with the source line and a caret. */
class DiagnosticTest {
    private static String[] lines(String file, int col, String src) {
        return new Diagnostic(Code.DSL_SYNTAX, Location.at(file, 1, col, src), "unexpected ']'", null).render().split("\n");
    }

    @Test
    void theCaretSitsUnderTheColumn() {
        String[] l = lines("m.kiln", 5, "x = [1, 2]]");
        assertEquals("m.kiln:1:5: error: unexpected ']'", l[0]);
        assertEquals("x = [1, 2]]", l[1]);
        assertEquals("    ^", l[2]);
    }

    @Test
    void aHugeLineIsCutToAWindowAroundTheColumnWithTheCaretStillOnTheRightCharacter() {
        String src = "[".repeat(20000) + "X" + "]".repeat(20000);
        String[] l = lines("deep.kiln", 20001, src);
        assertTrue(l[1].length() <= Diagnostic.MAX_SOURCE_CHARS + 6, "line of " + l[1].length() + " characters");
        assertTrue(l[1].startsWith("...") && l[1].endsWith("..."), l[1]);
        assertEquals('X', l[1].charAt(l[2].indexOf('^')));
    }

    @Test
    void aHugeLineWithTheColumnAtItsStartKeepsTheStart() {
        String src = "Y" + "a".repeat(5000);
        String[] l = lines("long.kiln", 1, src);
        assertTrue(l[1].startsWith("Ya") && l[1].endsWith("..."), l[1]);
        assertEquals("^", l[2]);
    }
}
