package dev.kiln.toolchain;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Temporary build folders of the runners that build generated code: deleted afterwards unless KILN_KEEP_BUILD is set. */
final class BuildFolders {
    private BuildFolders() {}

    /** Runs {@code work} in a fresh temporary folder named {@code prefix...}, then deletes it (or says where it was kept). */
    static void use(String prefix, Consumer<Path> work) {
        Path dir;
        try {
            dir = Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.NONE, "cannot create a build folder: " + e.getMessage());
        }
        try {
            work.accept(dir);
        } finally {
            if (System.getenv("KILN_KEEP_BUILD") == null) {
                try {
                    GeneratedCode.deleteTree(dir);
                } catch (IOException ignored) {
                    // a leftover temporary folder is harmless
                }
            } else {
                System.err.println("kiln: build kept in " + dir);
            }
        }
    }
}
