package dev.kiln.diag;

/** One error or warning: its kind, where it is, what is wrong, and what to do about it. */
public final class Diagnostic {
    private final Code code;
    private final Location location;
    private final String message;
    private final String hint;

    public Diagnostic(Code code, Location location, String message, String hint) {
        this.code = code;
        this.location = location == null ? Location.NONE : location;
        this.message = message;
        this.hint = hint;
    }

    /** A diagnostic whose message is the code's template filled with {@code args}. */
    public static Diagnostic of(Code code, Location location, Object... args) {
        return new Diagnostic(code, location, code.format(args), null);
    }

    public Code code() { return code; }
    public Location location() { return location; }
    public String message() { return message; }
    /** What the user can do, or null. */
    public String hint() { return hint; }

    public Diagnostic withHint(String h) { return new Diagnostic(code, location, message, h); }
    public Diagnostic withLocation(Location l) { return new Diagnostic(code, l, message, hint); }

    /** The longest source line shown under a message; longer lines are cut to a window around the column. */
    static final int MAX_SOURCE_CHARS = 160;

    /**
     * {@code model.onnx: node 'conv1': error K0201: message} plus an indented hint line; a location with source
     * text renders compiler-style instead: {@code file:line:col: error: message}, the source line, and a caret
     * under the column.
     */
    public String render() {
        if (location.line() > 0 && location.source() != null) return renderWithSource();
        String where = location.toString();
        StringBuilder b = new StringBuilder();
        if (!where.isEmpty()) b.append(where).append(": ");
        b.append("error ").append(code.id()).append(": ").append(message);
        if (hint != null) b.append("\n  hint: ").append(hint);
        return b.toString();
    }

    private String renderWithSource() {
        StringBuilder b = new StringBuilder();
        b.append(location).append(": error: ").append(message).append('\n');
        String src = location.source();
        int col = location.column() - 1;
        // why: a hostile or minified line (thousands of characters) would flood the terminal; show a window around the column
        if (src.length() > MAX_SOURCE_CHARS) {
            int from = Math.max(0, Math.min(col - MAX_SOURCE_CHARS / 2, src.length() - MAX_SOURCE_CHARS));
            int to = Math.min(src.length(), from + MAX_SOURCE_CHARS);
            String head = from > 0 ? "..." : "", tail = to < src.length() ? "..." : "";
            src = head + src.substring(from, to) + tail;
            col = col - from + head.length();
        }
        b.append(src).append('\n');
        // why: tabs in the line keep the caret aligned only if the caret line repeats them
        for (int i = 0; i < col && i < src.length(); i++) b.append(src.charAt(i) == '\t' ? '\t' : ' ');
        b.append('^');
        if (hint != null) b.append("\n  hint: ").append(hint);
        return b.toString();
    }

    @Override
    public String toString() { return render(); }
}
