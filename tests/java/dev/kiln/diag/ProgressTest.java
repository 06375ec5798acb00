package dev.kiln.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The progress bar draws one line on a (fake) terminal, redraws at most 10 times a second and erases itself. */
public class ProgressTest {
    /** A clock the test moves by hand, in nanoseconds. */
    private static final class FakeClock {
        long now = 1_000_000_000L;
    }

    /** What a terminal shows after {@code written}: each line as the cells left after carriage returns overwrote them. */
    public static String screen(String written) {
        StringBuilder all = new StringBuilder(), line = new StringBuilder();
        int col = 0;
        for (char c : written.toCharArray()) {
            if (c == '\r') {
                col = 0;
            } else if (c == '\n') {
                all.append(line).append('\n');
                line.setLength(0);
                col = 0;
            } else {
                if (col < line.length()) line.setCharAt(col, c);
                else line.append(c);
                col++;
            }
        }
        return all.append(line).toString();
    }

    private static long count(String s, char c) { return s.chars().filter(x -> x == c).count(); }

    @Test
    void drawsABarAndErasesItWhenDone() {
        StringWriter term = new StringWriter();
        FakeClock clock = new FakeClock();
        Progress p = Progress.forced(term, () -> clock.now, 60);
        p.begin("checking", 4);
        assertEquals("checking [........................] 0/4", screen(term.toString()));
        clock.now += Progress.MIN_REDRAW_NANOS;
        p.update(2, "test_relu");
        assertEquals("checking [############............] 2/4 test_relu", screen(term.toString()));
        clock.now += Progress.MIN_REDRAW_NANOS;
        p.update(3, "x");
        assertEquals("checking [##################......] 3/4 x", screen(term.toString()).stripTrailing(),
                "a shorter line covers the longer one before it");
        p.end();
        assertEquals("", screen(term.toString()).strip(), "the bar leaves a blank line behind");
        assertTrue(term.toString().endsWith("\r"), "the cursor is back at the start of the line");
        assertFalse(term.toString().contains("\n"), "the bar never starts a new line");
    }

    @Test
    void redrawsAtMostTenTimesASecond() {
        StringWriter term = new StringWriter();
        FakeClock clock = new FakeClock();
        Progress p = Progress.forced(term, () -> clock.now, 79);
        p.begin("calibrating", 10_000);
        for (int i = 1; i <= 10_000; i++) {
            clock.now += 1_000_000L; // 1 ms per item: 10 s in all
            p.update(i, null);
        }
        p.end();
        long draws = count(term.toString(), '\r');
        // one draw at begin, at most 100 redraws over 10 s, and the erase (two carriage returns)
        assertTrue(draws <= 1 + 100 + 2, draws + " carriage returns");
        assertTrue(draws >= 50, "it does redraw while the step runs: " + draws);
    }

    @Test
    void hideClearsTheLineForOrdinaryOutput() {
        StringWriter term = new StringWriter();
        FakeClock clock = new FakeClock();
        Progress p = Progress.forced(term, () -> clock.now, 79);
        p.begin("checking", 2);
        p.hide();
        term.write("PASS a\n");
        clock.now += Progress.MIN_REDRAW_NANOS;
        p.update(1, "a");
        p.end();
        String[] lines = screen(term.toString()).split("\n", -1);
        assertEquals("PASS a", lines[0].strip());
        assertEquals("", lines[1].strip());
    }

    @Test
    void longLinesAreCutToTheWidth() {
        StringWriter term = new StringWriter();
        Progress p = Progress.forced(term, () -> 0L, 40);
        p.begin("checking", 3);
        p.update(1, "a_very_long_case_name_that_does_not_fit_in_forty_columns");
        assertTrue(p.line().length() <= 40, p.line());
        assertTrue(p.line().endsWith("…"), p.line());
    }

    @Test
    void offDrawsNothing() {
        StringWriter err = new StringWriter();
        PrintWriter w = new PrintWriter(err);
        for (Progress p : new Progress[] {Progress.OFF, Progress.forStderr(w, false, false), Progress.forStderr(w, true, true)}) {
            assertFalse(p.enabled());
            p.begin("checking", 3);
            p.update(1, "x");
            p.hide();
            p.end();
        }
        w.flush();
        assertEquals("", err.toString());
    }
}
