import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs {@code kiln compile} on many models in one JVM (the jar given on the class path): each line of the job file
 * is {@code MODEL TARGET OUTDIR [more compile options]}. Used by {@code tests/bench/gen-diff.sh} to compare the
 * generated code of two Kiln jars. Prints one line per job that failed.
 */
public final class CompileMany {
    public static void main(String[] args) throws Exception {
        List<String> jobs = Files.readAllLines(Path.of(args[0]));
        PrintWriter out = new PrintWriter(java.io.OutputStream.nullOutputStream(), true);
        PrintWriter err = new PrintWriter(System.err, true);
        for (String line : jobs) {
            if (line.isBlank()) continue;
            String[] f = line.trim().split("\\s+");
            String[] a = new String[6 + f.length - 3];
            a[0] = "compile"; a[1] = f[0]; a[2] = "-t"; a[3] = f[1]; a[4] = "-o"; a[5] = f[2];
            System.arraycopy(f, 3, a, 6, f.length - 3);
            int rc = dev.kiln.cli.Main.execute(out, err, a);
            if (rc != 0) System.out.println("FAILED(" + rc + ") " + line);
        }
    }
}
