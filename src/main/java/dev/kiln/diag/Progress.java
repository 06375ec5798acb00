package dev.kiln.diag;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar for long steps (calibration, checks over many cases, evaluation, benchmarks), drawn on
 * a terminal's stderr: it redraws its line with {@code \r} at most {@link #MIN_REDRAW_NANOS} apart and erases it
 * when done, so logs and piped output stay clean. {@link #OFF} draws nothing.
 *
 * <p>Use: {@code p.begin("checking", cases)}, then {@code p.update(done, current)} after each item, and
 * {@code p.end()}. Before writing a line of ordinary output to the same terminal call {@link #hide()}; the bar
 * comes back on the next update.
 */
public final class Progress {
    /** A progress bar that draws nothing. */
    public static final Progress OFF = new Progress(null, System::nanoTime, 0);

    /** Shortest time between two redraws: at most 10 redraws a second. */
    public static final long MIN_REDRAW_NANOS = 100_000_000L;

    /** Environment variable that turns progress bars off when set to anything but empty or {@code 0}. */
    public static final String ENV_OFF = "KILN_NO_PROGRESS";

    private static final int DEFAULT_WIDTH = 79;
    private static final int BAR_CELLS = 24;

    private final Writer out;
    private final LongSupplier clock;
    private final int width;
    private String label = "";
    private long total;
    private long done;
    private String detail = "";
    private int shown;
    private long lastDraw;
    private boolean active;

    private Progress(Writer out, LongSupplier clock, int width) {
        this.out = out;
        this.clock = clock;
        this.width = width;
    }

    /**
     * A progress bar on {@code err} when it is the process's stderr and that is a terminal, unless {@code off}
     * (the {@code --no-progress} option) or {@link #ENV_OFF} says otherwise; else {@link #OFF}.
     */
    public static Progress forStderr(PrintWriter err, boolean isProcessStderr, boolean off) {
        if (off || err == null || !isProcessStderr || disabledByEnvironment() || !stderrIsTerminal()) return OFF;
        return new Progress(err, System::nanoTime, terminalWidth());
    }

    /** A progress bar that always draws on {@code out} (for tests: a fake terminal), with its own clock in nanoseconds. */
    public static Progress forced(Writer out, LongSupplier clock, int width) {
        if (width < 20) throw new IllegalArgumentException("width " + width + " is too narrow for a progress bar");
        return new Progress(out, clock, width);
    }

    /** Whether {@link #ENV_OFF} is set to turn progress bars off. */
    static boolean disabledByEnvironment() {
        String v = System.getenv(ENV_OFF);
        return v != null && !v.isEmpty() && !v.equals("0");
    }

    /**
     * Whether this process's stderr is a terminal. Java cannot ask isatty(2): on Linux, file descriptor 2 is a
     * terminal when {@code /proc/self/fd/2} resolves to {@code /dev/pts/*} or {@code /dev/tty*}; elsewhere a
     * console means the process runs interactively.
     */
    public static boolean stderrIsTerminal() {
        Path fd = Path.of("/proc/self/fd/2");
        if (Files.exists(Path.of("/proc/self/fd"))) {
            try {
                String target = Files.readSymbolicLink(fd).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                return false;
            }
        }
        return System.console() != null;
    }

    private static int terminalWidth() {
        String c = System.getenv("COLUMNS");
        try {
            int w = c == null ? DEFAULT_WIDTH : Integer.parseInt(c.trim()) - 1;
            return Math.max(20, Math.min(w, 200));
        } catch (NumberFormatException e) {
            return DEFAULT_WIDTH;
        }
    }

    /** Whether this bar draws anything. */
    public boolean enabled() { return out != null; }

    /** Starts a step of {@code total} items (0 when unknown) named {@code label} and draws it. */
    public synchronized void begin(String label, long total) {
        if (out == null) return;
        this.label = label;
        this.total = Math.max(0, total);
        this.done = 0;
        this.detail = "";
        this.active = true;
        draw();
    }

    /** Records that {@code done} items are finished, {@code detail} being the current one (may be null); redraws if due. */
    public synchronized void update(long done, String detail) {
        if (out == null || !active) return;
        this.done = done;
        this.detail = detail == null ? "" : detail;
        if (clock.getAsLong() - lastDraw >= MIN_REDRAW_NANOS) draw();
    }

    /** Erases the bar from the line (for ordinary output); the next due update draws it again. */
    public synchronized void hide() {
        if (out == null || shown == 0) return;
        erase();
    }

    /** Ends the step and erases the bar. */
    public synchronized void end() {
        if (out == null) return;
        active = false;
        if (shown > 0) erase();
    }

    /** The line drawn for the current state (without the carriage return), at most the bar's width. */
    synchronized String line() {
        StringBuilder b = new StringBuilder(label);
        if (total > 0) {
            long d = Math.min(done, total);
            int cells = (int) (BAR_CELLS * d / total);
            b.append(" [").append("#".repeat(cells)).append(".".repeat(BAR_CELLS - cells)).append("] ")
                    .append(String.format(Locale.ROOT, "%d/%d", done, total));
        } else {
            b.append(' ').append(done);
        }
        if (!detail.isEmpty()) b.append(' ').append(detail);
        String s = b.toString().replace('\n', ' ').replace('\r', ' ');
        return s.length() <= width ? s : s.substring(0, width - 1) + "…";
    }

    private void draw() {
        String s = line();
        // why: a shorter line must cover what the longer one before it left on the screen
        String pad = s.length() < shown ? " ".repeat(shown - s.length()) : "";
        write("\r" + s + pad);
        shown = s.length();
        lastDraw = clock.getAsLong();
    }

    private void erase() {
        write("\r" + " ".repeat(shown) + "\r");
        shown = 0;
    }

    private void write(String s) {
        try {
            out.write(s);
            out.flush();
        } catch (IOException e) {
            // why: a progress bar that cannot be drawn must not fail the command it decorates
        }
    }
}
