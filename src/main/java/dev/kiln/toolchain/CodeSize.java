package dev.kiln.toolchain;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.diag.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Measures the machine code of a generated model with the target's compiler and size tool. */
public final class CodeSize {
    private CodeSize() {}

    /**
     * Bytes of code (text) of {@code <model>.c} compiled with the target's flags, without the weights; -1 when
     * the target's compiler or size tool is not installed.
     */
    public static long codeBytes(GeneratedCode code) {
        Target t = code.target();
        if (!Exec.onPath(t.cc()) || !Exec.onPath(t.sizeTool())) return -1;
        Path dir = null;
        try {
            dir = Files.createTempDirectory("kiln-size-");
            // why: the code needs only the sources and headers; the weights file can be tens of megabytes
            for (var f : code.files().entrySet())
                if (!f.getKey().equals(code.name() + "_weights.c")) Files.writeString(dir.resolve(f.getKey()), f.getValue());
            List<String> cmd = new ArrayList<>();
            cmd.add(t.cc());
            cmd.addAll(t.cflags());
            cmd.addAll(CProgramRunner.WARNINGS);
            cmd.addAll(List.of("-I.", "-c", code.name() + ".c", "-o", "model.o"));
            Exec.Result r = Exec.run(cmd, dir, 600);
            if (r.exit() != 0) throw new KilnException(dev.kiln.diag.Code.BUILD_FAILED, dev.kiln.diag.Location.NONE,
                    "generated C does not compile for " + t.name() + ": " + r.tail(2000));
            Exec.Result s = Exec.run(List.of(t.sizeTool(), "model.o"), dir, 60);
            String[] lines = s.out().strip().split("\n");
            if (s.exit() != 0 || lines.length < 2) return -1;
            String[] f = lines[1].trim().split("\\s+");
            return Long.parseLong(f[0]) + Long.parseLong(f[1]); // text + data (data holds nothing in generated code)
        } catch (IOException e) {
            return -1;
        } finally {
            if (dir != null) {
                try {
                    GeneratedCode.deleteTree(dir);
                } catch (IOException ignored) {
                    // a leftover temporary folder is harmless
                }
            }
        }
    }
}
