package dev.kiln.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Npz: archives written by NumPy (np.savez, np.savez_compressed), round trips, determinism, corrupt files. */
class NpzTest {
    /** np.savez(a=arange(6,f32).reshape(2,3), conv1.weight=int8 [[1,-2],[3,-4]], h=f16 [0.5,-1.25], big=>i4 [[1],[2]]). */
    private static final String SAVEZ = "UEsDBC0AAAAAAAAAIQBP6QAq//////////8FABQAYS5ucHkBABAAmAAAAAAAAACYAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxmNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCAzKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAAAAAAAAgD8AAABAAABAQAAAgEAAAKBAUEsDBC0AAAAAAAAAIQALEFhD//////////8QABQAY29udjEud2VpZ2h0Lm5weQEAEACEAAAAAAAAAIQAAAAAAAAAk05VTVBZAQB2AHsnZGVzY3InOiAnfGkxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoB/gP8UEsDBC0AAAAAAAAAIQCAsLsm//////////8FABQAaC5ucHkBABAAhAAAAAAAAACEAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxmMicsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKADgAvVBLAwQtAAAAAAAAACEAMJVY5f//////////BwAUAGJpZy5ucHkBABAAiAAAAAAAAACIAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJz5pNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCAxKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAAAAAQAAAAJQSwECLQMtAAAAAAAAACEAT+kAKpgAAACYAAAABQAAAAAAAAAAAAAAgAEAAAAAYS5ucHlQSwECLQMtAAAAAAAAACEACxBYQ4QAAACEAAAAEAAAAAAAAAAAAAAAgAHPAAAAY29udjEud2VpZ2h0Lm5weVBLAQItAy0AAAAAAAAAIQCAsLsmhAAAAIQAAAAFAAAAAAAAAAAAAACAAZUBAABoLm5weVBLAQItAy0AAAAAAAAAIQAwlVjliAAAAIgAAAAHAAAAAAAAAAAAAACAAVACAABiaWcubnB5UEsFBgAAAAAEAAQA2QAAABEDAAAAAA==";
    /** np.savez_compressed(x=linspace(0,1,5) f64, m=[True,False,True]). */
    private static final String SAVEZ_COMPRESSED = "UEsDBC0AAAAIAAAAIQAvO56E//////////8FABQAeC5ucHkBABAAqAAAAAAAAABSAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TZqGuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GqY6mjoKtQoUAC4GFHDBHkI/gNIvoPQHewBQSwMELQAAAAgAAAAhABaTjLv//////////wUAFABtLm5weQEAEACDAAAAAAAAAEcAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgXpNkqK6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaxjqaOgq1ChQALkYGRgBQSwECLQMtAAAACAAAACEALzuehFIAAACoAAAABQAAAAAAAAAAAAAAgAEAAAAAeC5ucHlQSwECLQMtAAAACAAAACEAFpOMu0cAAACDAAAABQAAAAAAAAAAAAAAgAGJAAAAbS5ucHlQSwUGAAAAAAIAAgBmAAAABwEAAAAA";

    @TempDir Path dir;

    private Path file(String name, byte[] bytes) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void readsNumpySavez() throws Exception {
        Map<String, NdArray> m = Npz.read(file("a.npz", Base64.getDecoder().decode(SAVEZ)), 1 << 20);
        assertEquals(List.of("a", "conv1.weight", "h", "big"), List.copyOf(m.keySet()));
        assertEquals(DType.F32, m.get("a").dtype());
        assertEquals(Shape.of(2, 3), m.get("a").shape());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, m.get("a").floats());
        assertEquals(DType.I8, m.get("conv1.weight").dtype());
        assertArrayEquals(new long[] {1, -2, 3, -4}, m.get("conv1.weight").longs());
        assertEquals(DType.F16, m.get("h").dtype());
        assertArrayEquals(new float[] {0.5f, -1.25f}, m.get("h").floats());
        assertEquals(DType.I32, m.get("big").dtype());
        assertArrayEquals(new long[] {1, 2}, m.get("big").longs());
    }

    @Test
    void readsNumpySavezCompressed() throws Exception {
        Map<String, NdArray> m = Npz.read(file("c.npz", Base64.getDecoder().decode(SAVEZ_COMPRESSED)), 1 << 20);
        assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 1}, m.get("x").doubles());
        assertEquals(DType.BOOL, m.get("m").dtype());
        assertArrayEquals(new long[] {1, 0, 1}, m.get("m").longs());
    }

    @Test
    void roundTripIsDeterministicAndSorted() throws Exception {
        Map<String, NdArray> in = new LinkedHashMap<>();
        in.put("z", NdArray.ofFloats(Shape.of(2), 1.5f, -2f));
        in.put("a/b.c", NdArray.ofLongs(DType.U8, Shape.of(1, 3), 0, 128, 255));
        in.put("s", NdArray.ofDoubles(Shape.scalar(), 3.25));
        byte[] first = Npz.toBytes(in);
        Map<String, NdArray> reversed = new LinkedHashMap<>();
        reversed.put("s", in.get("s"));
        reversed.put("a/b.c", in.get("a/b.c"));
        reversed.put("z", in.get("z"));
        assertArrayEquals(first, Npz.toBytes(reversed), "same arrays in another order give the same bytes");
        Path p = dir.resolve("w.npz");
        Npz.write(p, in);
        assertArrayEquals(first, Files.readAllBytes(p));
        Map<String, NdArray> out = Npz.read(p, 1 << 20);
        assertEquals(List.of("a/b.c", "s", "z"), List.copyOf(out.keySet()));
        for (String k : in.keySet()) {
            assertEquals(in.get(k).type(), out.get(k).type(), k);
            assertArrayEquals(in.get(k).toDoubleArray(), out.get(k).toDoubleArray(), k);
        }
    }

    @Test
    void truncatedArchiveIsAClearError() throws Exception {
        byte[] whole = Base64.getDecoder().decode(SAVEZ);
        Path p = file("t.npz", Arrays.copyOf(whole, whole.length / 2));
        KilnException e = assertThrows(KilnException.class, () -> Npz.read(p, 1 << 20));
        assertEquals(Code.BAD_ARCHIVE, e.code());
        assertTrue(e.getMessage().contains("t.npz"), e.getMessage());
    }

    @Test
    void corruptMemberIsAClearError() throws Exception {
        Map<String, NdArray> in = Map.of("a", NdArray.ofFloats(Shape.of(4), 1, 2, 3, 4));
        byte[] b = Npz.toBytes(in);
        // break the .npy magic inside the first (STORED) member: the zip stays valid
        int at = indexOf(b, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'});
        b[at + 1] = 'X';
        Path p = file("bad.npz", b);
        KilnException e = assertThrows(KilnException.class, () -> Npz.read(p, 1 << 20));
        assertTrue(e.getMessage().contains("a.npy"), e.getMessage());
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void notAZipAndMissingFileAreErrors() throws Exception {
        Path p = file("x.npz", "hello, not a zip".getBytes());
        assertEquals(Code.BAD_ARCHIVE, assertThrows(KilnException.class, () -> Npz.read(p, 1 << 20)).code());
        assertEquals(Code.FILE_NOT_FOUND, assertThrows(KilnException.class, () -> Npz.read(dir.resolve("none.npz"), 1 << 20)).code());
    }

    @Test
    void arrayOverTheLimitIsRefused() throws Exception {
        Path p = dir.resolve("big.npz");
        Npz.write(p, Map.of("a", NdArray.zeros(DType.F32, Shape.of(1000))));
        assertEquals(Code.TENSOR_TOO_LARGE, assertThrows(KilnException.class, () -> Npz.read(p, 100)).code());
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void noLimitMeansNoLimit() throws Exception {
        Map<String, NdArray> m = Npz.read(file("a.npz", Base64.getDecoder().decode(SAVEZ)), Long.MAX_VALUE);
        assertEquals(4, m.size());
    }

    @Test
    void writtenFilesAreWorldReadable() throws Exception {
        Path p = dir.resolve("w.bin");
        OutputFiles.writeAtomically(p, new byte[] {1, 2, 3});
        java.util.Set<java.nio.file.attribute.PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(p);
        } catch (UnsupportedOperationException e) {
            return; // why: a file system without POSIX permissions has nothing to check (asking its FileStore needs the mount table)
        }
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(perms));
    }
}
