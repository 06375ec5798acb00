package dev.kiln;

import dev.kiln.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs Kiln's command line in-process for tests and captures what it printed. */
public final class KilnCli {
    private KilnCli() {}

    /** One run: exit status, standard output and standard error. */
    public record Run(int rc, String out, String err) {}

    /** Runs {@code kiln ARGS...} through {@link Main#execute} (no progress bar). */
    public static Run kiln(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(rc, out.toString(), err.toString());
    }
}
