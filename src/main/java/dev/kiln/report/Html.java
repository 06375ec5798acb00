package dev.kiln.report;

import java.util.Locale;

/**
 * A small writer of HTML and SVG text: every piece of model data goes through {@link #text} or {@link #attr}, which
 * escape it, so a node named {@code <script>} or {@code "a&b"} is shown, never interpreted.
 */
final class Html {
    private final StringBuilder b = new StringBuilder(1 << 16);

    /** Appends markup written by the report itself (never model data). */
    Html raw(String s) {
        b.append(s);
        return this;
    }

    /** Appends escaped text. */
    Html text(String s) {
        b.append(esc(s));
        return this;
    }

    /** Appends {@code  name="value"} with the value escaped. */
    Html attr(String name, String value) {
        b.append(' ').append(name).append("=\"").append(esc(value)).append('"');
        return this;
    }

    /** Appends {@code  name="value"} for a number of pixels (one decimal, locale-independent). */
    Html attr(String name, double value) {
        b.append(' ').append(name).append("=\"").append(num(value)).append('"');
        return this;
    }

    /** Appends a line break (keeps the page readable as text). */
    Html nl() {
        b.append('\n');
        return this;
    }

    @Override
    public String toString() { return b.toString(); }

    /**
     * {@code s} with the five HTML-special characters replaced by entities and control characters (which XML and
     * SVG do not allow) by spaces; newlines and tabs are kept.
     */
    static String esc(String s) {
        if (s == null) return "";
        StringBuilder r = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> r.append("&amp;");
                case '<' -> r.append("&lt;");
                case '>' -> r.append("&gt;");
                case '"' -> r.append("&quot;");
                case '\'' -> r.append("&#39;");
                default -> r.append(c < 0x20 && c != '\n' && c != '\t' ? ' ' : c);
            }
        }
        return r.toString();
    }

    /** A coordinate with at most one decimal, the same on every machine. */
    static String num(double v) {
        long tenths = Math.round(v * 10);
        return tenths % 10 == 0 ? Long.toString(tenths / 10) : String.format(Locale.ROOT, "%.1f", tenths / 10.0);
    }

    /** {@code n} with thousands separators (1,234,567), locale-independent. */
    static String group(long n) { return String.format(Locale.ROOT, "%,d", n); }

    /** A byte count for people: 512 B, 12.3 KiB, 4.0 MiB. */
    static String bytes(long n) {
        if (n < 1024) return n + " B";
        if (n < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024.0));
    }

    /** {@code s} cut to its last {@code n} characters, with a leading ellipsis when cut (names differ at their ends). */
    static String clipStart(String s, int n) { return s.length() <= n ? s : "\u2026" + s.substring(s.length() - Math.max(0, n - 1)); }

    /** {@code s} cut to {@code n} characters, with an ellipsis when cut. */
    static String clip(String s, int n) { return s.length() <= n ? s : s.substring(0, Math.max(0, n - 1)) + "\u2026"; }
}
