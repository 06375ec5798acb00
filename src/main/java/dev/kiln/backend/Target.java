package dev.kiln.backend;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * A compilation target read from a descriptor in {@code targets/} (data only: a new MCU is a new file):
 * toolchain, compiler flags, FPU and DSP features, arena alignment, and the qemu boards that can run it.
 */
public final class Target {
    /** A memory region: origin address and length in bytes. */
    public record Region(long origin, long length) {
        /** {@code 0x20000000}. */
        public String originHex() { return String.format("0x%08X", origin); }
    }

    /** A qemu board with its memory map; {@code rodata} is null when read-only data shares flash. */
    public record Board(String name, Region flash, Region ram, Region rodata) {}

    private final String name;
    private final Properties p;
    private final List<Board> boards = new ArrayList<>();

    private Target(String name, Properties p, String where) {
        this.name = name;
        this.p = p;
        String bs = p.getProperty("qemu.boards", "").trim();
        if (!bs.isEmpty()) {
            for (String b : bs.split("\\s+"))
                boards.add(new Board(b, region(b, "flash", where, true), region(b, "ram", where, true), region(b, "rodata", where, false)));
        }
        // why: a bare-metal program needs a board's memory map; qemu's user mode (qemu.mode=user) runs a Linux program
        if (isCross() && boards.isEmpty() && !p.getProperty("qemu.mode", "system").trim().equals("user"))
            throw bad(where, "names no qemu board (qemu.boards)");
        String wino = p.getProperty("conv.winograd", "on").trim();
        // why: a misspelt value would silently keep the inexact form the user meant to turn off
        if (!wino.equals("on") && !wino.equals("off")) throw bad(where, "conv.winograd=" + wino + ": use on or off");
    }

    private Region region(String board, String what, String where, boolean required) {
        String v = p.getProperty("board." + board + "." + what);
        if (v == null) {
            if (required) throw bad(where, "lacks board." + board + "." + what);
            return null;
        }
        String[] parts = v.trim().split("\\s+");
        if (parts.length != 2) throw bad(where, "board." + board + "." + what + " must be 'ORIGIN LENGTH', e.g. 0x20000000 16K");
        try {
            return new Region(Long.decode(parts[0]), size(parts[1]));
        } catch (NumberFormatException e) {
            throw bad(where, "board." + board + "." + what + ": '" + v + "' is not 'ORIGIN LENGTH'");
        }
    }

    private static long size(String s) {
        long mult = 1;
        char last = Character.toUpperCase(s.charAt(s.length() - 1));
        if (last == 'K') mult = 1024;
        else if (last == 'M') mult = 1024 * 1024;
        return Long.decode(mult == 1 ? s : s.substring(0, s.length() - 1)) * mult;
    }

    private static KilnException bad(String where, String what) {
        return new KilnException(Code.BAD_TARGET, Location.file(where), "target descriptor " + what);
    }

    /** The names of the bundled targets, sorted. */
    public static List<String> names() {
        List<String> r = new ArrayList<>();
        for (String f : Resources.list("targets")) if (f.endsWith(".properties")) r.add(f.substring(0, f.length() - 11));
        return r;
    }

    /**
     * Loads a target from a spec: a bundled target's name or a descriptor file's path (ending in {@code .properties}),
     * optionally followed by descriptor keys that replace the descriptor's, {@code ,KEY=VALUE} each
     * ({@code host,conv.winograd=off}); a key no descriptor knows, or {@code name}, is a bad target (exit 2).
     */
    public static Target load(String spec) {
        int comma = spec.indexOf(',');
        if (comma < 0) return loadDescriptor(spec);
        Target base = loadDescriptor(spec.substring(0, comma));
        java.util.Map<String, String> overrides = new java.util.LinkedHashMap<>();
        for (String kv : spec.substring(comma + 1).split(",", -1)) {
            int eq = kv.indexOf('=');
            String key = eq < 0 ? "" : kv.substring(0, eq).trim();
            if (key.isEmpty())
                throw badSpec(spec, "'" + kv + "' is not KEY=VALUE");
            // why: a misspelt key would be ignored silently and leave the setting the user meant to change
            if (key.equals("name") || !knownKey(key))
                throw badSpec(spec, "'" + key + "' is not a descriptor key that can be set");
            overrides.put(key, kv.substring(eq + 1).trim());
        }
        Properties q = new Properties();
        q.putAll(base.p);
        q.putAll(overrides);
        StringBuilder said = new StringBuilder();
        overrides.forEach((k, v) -> said.append(said.length() == 0 ? "" : ", ").append(k).append('=').append(v));
        // why: the generated code's banner records the description, so a build with overrides says which
        q.setProperty("description", base.description() + " [with " + said + "]");
        return new Target(base.name, q, spec);
    }

    /**
     * Keys read from descriptors with a default, which bundled descriptors need not set (the others: any key a
     * bundled descriptor sets).
     */
    private static final List<String> OPTIONAL_KEYS = List.of("conv.winograd", "vector.registers", "vector.bytes",
            "int8.kernels", "int8.multipliers", "c.float16", "flash.limit", "ram.tight", "optimize", "layout", "isa",
            "align", "dsp", "fpu", "cflags", "sanitize.cflags", "cc", "description");

    private static boolean knownKey(String key) {
        if (OPTIONAL_KEYS.contains(key)) return true;
        for (String n : names()) {
            Properties p = new Properties();
            try {
                p.load(new StringReader(Resources.read("targets/" + n + ".properties")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (p.containsKey(key)) return true;
        }
        return false;
    }

    private static KilnException badSpec(String spec, String what) {
        return new KilnException(Code.BAD_TARGET, Location.NONE, "target '" + spec + "': " + what)
                .withHint("a target is NAME or FILE.properties, then ,KEY=VALUE for each descriptor key to replace, "
                        + "e.g. host,conv.winograd=off (keys: those of 'kiln targets' descriptors in targets/)");
    }

    private static Target loadDescriptor(String nameOrFile) {
        String text;
        String where;
        if (nameOrFile.endsWith(".properties")) {
            Path f = Path.of(nameOrFile);
            try {
                text = Files.readString(f);
            } catch (IOException e) {
                throw new KilnException(Code.FILE_NOT_FOUND, Location.file(nameOrFile), nameOrFile + " (" + e.getMessage() + ")");
            }
            where = nameOrFile;
        } else {
            text = Resources.read("targets/" + nameOrFile + ".properties");
            where = "targets/" + nameOrFile + ".properties";
            if (text == null)
                throw new KilnException(Code.UNKNOWN_TARGET, Location.NONE, nameOrFile)
                        .withHint("known targets: " + String.join(", ", names()) + " (or a path to a .properties descriptor)");
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String n = p.getProperty("name");
        if (n == null) throw bad(where, "has no name");
        return new Target(n, p, where);
    }

    /** A descriptor property by key ({@code workgroup}), or {@code def} when the descriptor does not set it. */
    public String property(String key, String def) { return p.getProperty(key, def).trim(); }

    /**
     * A copy of this target with {@code overrides} replacing or adding descriptor properties (the name stays):
     * how a runner narrows a descriptor to the limits of the device it found.
     */
    public Target with(java.util.Map<String, String> overrides) {
        Properties q = new Properties();
        q.putAll(p);
        q.putAll(overrides);
        return new Target(name, q, "targets/" + name + ".properties");
    }

    /**
     * The flash of the part this target stands for ({@code flash.limit}, bytes; 0: no limit beyond the boards'): a
     * model's code and weights must fit it even where the qemu board that runs the tests has more.
     */
    public long flashLimit() {
        String v = p.getProperty("flash.limit");
        if (v == null || v.isBlank()) return 0;
        try {
            return size(v.trim());
        } catch (NumberFormatException e) {
            throw bad("targets/" + name + ".properties", "flash.limit: '" + v + "' is not a size such as 256K");
        }
    }

    /**
     * Whether RAM is this target's scarce resource ({@code ram.tight=true}, microcontrollers): passes may then trade
     * instructions for a smaller arena.
     */
    public boolean ramTight() { return Boolean.parseBoolean(p.getProperty("ram.tight", "false").trim()); }

    /** The target's name ({@code cortex-m4f}). */
    public String name() { return name; }
    /** One line for {@code kiln targets}. */
    public String description() { return p.getProperty("description", ""); }
    /** {@code host} or a cross toolchain prefix such as {@code arm-none-eabi}. */
    public String toolchain() { return p.getProperty("toolchain", "host"); }
    /** Whether the code runs elsewhere (under qemu) rather than on this machine. */
    public boolean isCross() { return !toolchain().equals("host"); }
    /** The C compiler command. */
    public String cc() { return p.getProperty("cc", isCross() ? toolchain() + "-gcc" : "gcc"); }
    /** The size tool, or null for hosts (where code size is read the same way with {@code size}). */
    public String sizeTool() { return isCross() ? toolchain() + "-size" : "size"; }
    /** Compiler flags for building the generated code. */
    public List<String> cflags() { return split(p.getProperty("cflags", "")); }
    /** Flags replacing {@link #cflags()} for sanitizer builds (hosts only). */
    public List<String> sanitizeCflags() { return split(p.getProperty("sanitize.cflags", "")); }
    /** {@code none}, {@code sp} (single precision) or {@code dp}. */
    public String fpu() { return p.getProperty("fpu", "none"); }
    /** Whether the core has Arm's DSP extension (SMLAD and friends). */
    /**
     * Whether int8 per-channel requantization multipliers take the compact 11-bit form ({@code int8.multipliers=compact},
     * for small flash) rather than the faithful Q31 form ({@code q31}, the default).
     */
    public boolean compactMultipliers() { return p.getProperty("int8.multipliers", "q31").trim().equals("compact"); }

    /**
     * Whether the generated C converts f16 through the compiler's {@code _Float16} ({@code c.float16=native}, for
     * compilers and cores that have it) rather than the portable integer code ({@code portable}, the default).
     */
    public boolean float16Native() { return p.getProperty("c.float16", "portable").trim().equals("native"); }

    public boolean hasDsp() { return Boolean.parseBoolean(p.getProperty("dsp", "false")); }
    /** Alignment of every buffer in the arena, in bytes. */
    public int alignment() { return Integer.parseInt(p.getProperty("align", "8").trim()); }
    /**
     * The tensor layout the target's kernels compute in ({@code nchw}: channels before rows and columns), which
     * the layout pass keeps tensors in.
     */
    public String layout() { return p.getProperty("layout", "nchw").trim().toLowerCase(java.util.Locale.ROOT); }
    /**
     * Bytes of the SIMD registers the float kernels block for ({@code vector.bytes}: 64 on AVX-512 hosts, 16 on
     * Neon or Helium, 0 for scalar FPUs); 0 when the descriptor does not say.
     */
    public int vectorBytes() {
        int declared = Integer.parseInt(p.getProperty("vector.bytes", "0").trim());
        int isaBytes = isaVector()[0];
        // why: a 64-byte vector on an AVX2-only host is split by gcc into two 32-byte registers, doubling every
        // register block the kernels sized for one; the ISA the descriptor names (or the host has) caps the width
        return isaBytes > 0 ? Math.min(declared, isaBytes) : declared;
    }

    /**
     * How many SIMD registers the float kernels may block for ({@code vector.registers}; else 32 with AVX-512F,
     * 16 with AVX2 and otherwise 32 for 64-byte vectors, 16 for narrower ones).
     */
    public int vectorRegisters() {
        String v = p.getProperty("vector.registers");
        if (v != null && !v.isBlank()) return Integer.parseInt(v.trim());
        int isaRegs = isaVector()[1];
        return isaRegs > 0 ? isaRegs : vectorBytes() >= 64 ? 32 : 16;
    }

    /** {bytes, registers} of the widest float vectors the x86 features in {@link #isa()} give, {0, 0} when none. */
    private int[] isaVector() {
        List<String> isa = isa();
        if (isa.contains("avx512f")) return new int[] {64, 32};
        if (isa.contains("avx2")) return new int[] {32, 16};
        return new int[] {0, 0};
    }
    /**
     * Whether the kernels should favour speed over code size ({@code optimize=speed}, the default) rather than
     * size ({@code optimize=size}: the compact generic kernels, for small-flash MCUs).
     */
    public boolean optimizeForSpeed() { return !p.getProperty("optimize", "speed").trim().equals("size"); }
    /**
     * Whether float 3×3 stride-1 convs may take the Winograd F(2,3) or F(4,3) forms on vector hosts
     * ({@code conv.winograd}: {@code on}, the default, or {@code off} for convs bit-exact with the interpreter up to
     * summation order).
     */
    public boolean winograd() { return p.getProperty("conv.winograd", "on").trim().equals("on"); }
    /**
     * The instruction-set features the host int8 kernels may rely on ({@code isa}: {@code native} for the CPU Kiln
     * runs on, detected once by {@link HostIsa}, or a list such as {@code avx2 fma}); empty when the descriptor names
     * none. The kernels pick their path from the compiler's feature macros, which the descriptor's {@code cflags}
     * ({@code -march}) set to match; this list is what the generated code's banner records.
     */
    public List<String> isa() {
        String v = p.getProperty("isa", "").trim();
        return v.equals("native") ? HostIsa.detected() : split(v);
    }
    /**
     * Whether the int8 kernels take the host forms (packed GEMM convolutions and products, vectorised depthwise and
     * element-wise loops): a target optimising for speed whose {@code int8.kernels} is {@code host}, the default on
     * this machine's toolchain ({@code portable} elsewhere: MCUs take the portable or DSP forms).
     */
    public boolean hostInt8() {
        return optimizeForSpeed() && p.getProperty("int8.kernels", isCross() ? "portable" : "host").trim().equals("host");
    }
    /** The qemu boards in order of preference. */
    public List<Board> boards() { return List.copyOf(boards); }

    private static List<String> split(String s) {
        s = s.trim();
        return s.isEmpty() ? List.of() : List.of(s.split("\\s+"));
    }

    @Override
    public String toString() { return name; }
}
