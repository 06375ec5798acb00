package dev.kiln.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Detects the SIMD features of the CPU Kiln runs on, once per process, from {@code /proc/cpuinfo} (Linux x86-64):
 * the ones the host int8 kernels have paths for (AVX2, FMA, AVX-512F/BW, AVX-512 VNNI, AVX-VNNI). Elsewhere (no
 * such file, another architecture) the list is empty and the kernels take their plain-C path.
 */
public final class HostIsa {
    /** The features the kernels know, in the order the banner lists them, with their {@code /proc/cpuinfo} flag names. */
    private static final String[][] KNOWN = {
        {"avx2", "avx2"}, {"fma", "fma"}, {"avx512f", "avx512f"}, {"avx512bw", "avx512bw"},
        {"avx512vnni", "avx512_vnni"}, {"avxvnni", "avx_vnni"}};
    private static volatile List<String> detected;

    private HostIsa() {}

    /** The features of this machine's CPU that the kernels know (cached after the first call). */
    public static List<String> detected() {
        List<String> d = detected;
        if (d == null) {
            d = fromCpuinfo(read());
            detected = d;
        }
        return d;
    }

    /** The known features named in the first {@code flags} line of a {@code /proc/cpuinfo} text. */
    static List<String> fromCpuinfo(String cpuinfo) {
        Set<String> flags = new TreeSet<>();
        for (String line : cpuinfo.split("\n")) {
            if (!line.startsWith("flags")) continue;
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            for (String f : line.substring(colon + 1).trim().split("\\s+")) flags.add(f.toLowerCase(Locale.ROOT));
            break;
        }
        List<String> r = new ArrayList<>();
        for (String[] k : KNOWN) if (flags.contains(k[1])) r.add(k[0]);
        return List.copyOf(r);
    }

    private static String read() {
        try {
            Path p = Path.of("/proc/cpuinfo");
            return Files.isReadable(p) ? Files.readString(p) : "";
        } catch (IOException | RuntimeException e) {
            // why: an unreadable cpuinfo only means no detected features: the kernels fall back to plain C
            return "";
        }
    }
}
