package dev.kiln.diag;

/**
 * Where a diagnostic points: a file, and inside it a node name (ONNX) or a line and column (DSL), with the
 * text of that source line when known (so the error can show it with a caret). Any part may be absent.
 */
public final class Location {
    public static final Location NONE = new Location(null, null, 0, 0);

    private final String file;
    private final String node;
    private final int line;
    private final int column;
    private final String source;

    public Location(String file, String node, int line, int column) {
        this(file, node, line, column, null);
    }

    /** A location with the text of its source line ({@code source}, without the line break). */
    public Location(String file, String node, int line, int column, String source) {
        this.file = file;
        this.node = node;
        this.line = line;
        this.column = column;
        this.source = source;
    }

    public static Location file(String file) { return new Location(file, null, 0, 0); }
    public static Location node(String file, String node) { return new Location(file, node, 0, 0); }
    public static Location at(String file, int line, int column) { return new Location(file, null, line, column); }
    /** A line and 1-based column of a source file, with the line's text for a caret display. */
    public static Location at(String file, int line, int column, String source) { return new Location(file, null, line, column, source); }

    public String file() { return file; }
    public String node() { return node; }
    public int line() { return line; }
    public int column() { return column; }
    /** The text of the source line, or null. */
    public String source() { return source; }

    /** The same location with a file set (when the inner code did not know it). */
    public Location withFile(String f) { return file != null ? this : new Location(f, node, line, column, source); }

    /** {@code model.onnx: node 'conv1'} or {@code model.kiln:3:14}; empty if nothing is known. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        if (file != null) b.append(file);
        if (line > 0) b.append(':').append(line).append(':').append(column);
        if (node != null) b.append(b.length() > 0 ? ": " : "").append("node '").append(node).append('\'');
        return b.toString();
    }
}
