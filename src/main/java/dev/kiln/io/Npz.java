package dev.kiln.io;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.NdArray;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Reads and writes NumPy {@code .npz} archives: a zip file whose members are {@code .npy} files.
 * Keys are the member names without {@code .npy}. Written archives are deterministic (sorted keys,
 * a fixed timestamp, STORED members), so the same arrays always give the same bytes.
 */
public final class Npz {
    private static final LocalDateTime FIXED_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

    private Npz() {}

    /**
     * Reads every array of an archive, in member order; {@code maxBytes} bounds each array's data.
     * A missing, truncated or corrupt file is a {@link KilnException} naming the file.
     */
    public static Map<String, NdArray> read(Path file, long maxBytes) { return read(file, maxBytes, Long.MAX_VALUE); }

    /**
     * Reads every array of an archive like {@link #read(Path, long)}, and also stops once the members'
     * uncompressed bytes pass {@code maxTotalBytes} (a small archive can inflate to gigabytes).
     */
    public static Map<String, NdArray> read(Path file, long maxBytes, long maxTotalBytes) {
        if (!Files.isRegularFile(file)) throw new KilnException(Code.FILE_NOT_FOUND, Location.file(file.toString()), file + " (no such file)");
        String where = file.toString();
        Map<String, NdArray> r = new LinkedHashMap<>();
        long total = 0;
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory()) continue;
                String name = e.getName();
                String key = name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
                // a member larger than the limit (plus a generous header) is refused before it is read
                long remaining = maxTotalBytes - total;
                boolean byTotal = remaining < maxBytes;
                long allowed = Math.min(maxBytes, remaining);
                long limit = allowed > Long.MAX_VALUE - (1 << 20) ? Long.MAX_VALUE : allowed + (1 << 20);
                byte[] bytes = null;
                if (e.getSize() <= limit) {
                    try (InputStream in = zip.getInputStream(e)) {
                        bytes = readBounded(in, limit);
                    }
                }
                if (bytes == null) {
                    if (byTotal)
                        throw bad(where, "member '" + name + "' inflates past the limit of " + maxTotalBytes
                                + " bytes for all constants together (--max-constant-bytes)");
                    throw new KilnException(Code.TENSOR_TOO_LARGE, Location.file(where), where + ":" + name,
                            e.getSize() > limit ? Long.toString(e.getSize()) : "more than " + limit, maxBytes);
                }
                total += bytes.length;
                if (r.containsKey(key)) throw bad(where, "member '" + key + "' appears twice");
                r.put(key, Npy.parse(bytes, where + ":" + name, maxBytes));
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof KilnException) throw (KilnException) e;
            throw bad(where, "not a readable .npz (zip) archive: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        return r;
    }

    /** The whole stream, or null as soon as it passes {@code limit} bytes. */
    private static byte[] readBounded(InputStream in, long limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        long total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            total += n;
            if (total > limit) return null;
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /** The bytes of an archive holding {@code arrays}: members {@code KEY.npy} in sorted key order. */
    public static byte[] toBytes(Map<String, NdArray> arrays) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, NdArray> a : new TreeMap<>(arrays).entrySet()) {
                byte[] data = Npy.toBytes(a.getValue());
                ZipEntry e = new ZipEntry(a.getKey() + ".npy");
                e.setMethod(ZipEntry.STORED);
                e.setTimeLocal(FIXED_TIME);
                e.setSize(data.length);
                e.setCompressedSize(data.length);
                CRC32 crc = new CRC32();
                crc.update(data);
                e.setCrc(crc.getValue());
                zip.putNextEntry(e);
                zip.write(data);
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Writes {@link #toBytes} to a file. */
    public static void write(Path file, Map<String, NdArray> arrays) {
        try {
            Files.write(file, toBytes(arrays));
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.file(file.toString()), "cannot write " + file + ": " + e.getMessage());
        }
    }

    private static KilnException bad(String where, String what) {
        return new KilnException(Code.BAD_ARCHIVE, Location.file(where), where + ": " + what);
    }
}
