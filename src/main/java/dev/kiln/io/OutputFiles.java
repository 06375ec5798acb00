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
        // why: asking the file's FileStore first reads the mount table, which a chroot or sandbox may not show
        // ("Mount point not found"); setting the permissions needs no mount table
        try {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(perms));
        } catch (UnsupportedOperationException e) {
            // a file system without POSIX permissions keeps its own defaults
        }
    }
}
