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

    /** {@code model.onnx: node 'conv1': error K0201: message} plus an indented hint line. */
    public String render() {
        String where = location.toString();
        StringBuilder b = new StringBuilder();
        if (!where.isEmpty()) b.append(where).append(": ");
        b.append("error ").append(code.id()).append(": ").append(message);
        if (hint != null) b.append("\n  hint: ").append(hint);
        return b.toString();
    }

    @Override
    public String toString() { return render(); }
}
