package dev.kiln.io;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes files atomically: into a temporary file beside the target, then moved into place. */
public final class OutputFiles {
    private OutputFiles() {}

    /** Writes {@code data} to {@code file} so readers see either the old file or the complete new one. */
    public static void writeAtomically(Path file, byte[] data) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
            try {
                Files.write(tmp, data);
                publish(tmp, "rw-r--r--");
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.file(file.toString()), "cannot write " + file + ": " + e.getMessage());
        }
    }

    /**
     * Gives a temporary file or folder the usual permissions of a written output (temporary files are created
     * owner-only), on file systems that have POSIX permissions; the process umask is not consulted.
     */
    public static void publish(Path p, String perms) throws IOException {
        if (Files.getFileStore(p).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class))
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(perms));
    }
}
