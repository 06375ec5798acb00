package dev.kiln.diag;

import java.util.ArrayList;
import java.util.List;

/**
 * A failure caused by the user's input (a model, an option, a file), carrying one or more diagnostics.
 * The command line prints them and exits with status 2; it never shows a stack trace for these.
 */
public class KilnException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final List<Diagnostic> diagnostics;

    public KilnException(List<Diagnostic> diagnostics) {
        super(render(diagnostics));
        this.diagnostics = List.copyOf(diagnostics);
    }

    public KilnException(Diagnostic d) { this(List.of(d)); }

    public KilnException(Code code, Location location, Object... args) { this(Diagnostic.of(code, location, args)); }

    public KilnException(Diagnostic d, Throwable cause) {
        super(d.render(), cause);
        this.diagnostics = List.of(d);
    }

    public List<Diagnostic> diagnostics() { return diagnostics; }

    /** The first diagnostic's code. */
    public Code code() { return diagnostics.get(0).code(); }

    /** This exception with every location that lacks a file given {@code file}. */
    public KilnException inFile(String file) {
        List<Diagnostic> ds = new ArrayList<>();
        for (Diagnostic d : diagnostics) ds.add(d.withLocation(d.location().withFile(file)));
        KilnException e = new KilnException(ds);
        e.setStackTrace(getStackTrace());
        return e;
    }

    /** A copy whose diagnostics carry a hint. */
    public KilnException withHint(String hint) {
        List<Diagnostic> ds = new ArrayList<>();
        for (Diagnostic d : diagnostics) ds.add(d.withHint(hint));
        return new KilnException(ds);
    }

    private static String render(List<Diagnostic> ds) {
        StringBuilder b = new StringBuilder();
        for (Diagnostic d : ds) b.append(b.length() > 0 ? "\n" : "").append(d.render());
        return b.toString();
    }
}
