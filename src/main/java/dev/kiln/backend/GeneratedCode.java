package dev.kiln.backend;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.Graph;
import dev.kiln.memory.MemoryPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A backend's output, held in memory until the whole compile succeeded: file names to contents, the model's
 * symbol prefix, the graph it was generated from and its memory plan.
 */
public final class GeneratedCode {
    private final String name;
    private final Graph graph;
    private final MemoryPlan plan;
    private final Map<String, String> files;
    private final Target target;
    private long tableBytes;
    private java.util.Set<dev.kiln.ir.Value> unstored = java.util.Set.of();

    /** Generated files (sorted by name) of the model {@code name}. */
    public GeneratedCode(String name, Graph graph, MemoryPlan plan, Target target, Map<String, String> files) {
        this.name = name;
        this.graph = graph;
        this.plan = plan;
        this.target = target;
        this.files = Collections.unmodifiableMap(new TreeMap<>(files));
    }

    /** The symbol prefix ({@code kws}). */
    public String name() { return name; }
    /** The graph the code was generated from. */
    public Graph graph() { return graph; }
    /** The memory plan. */
    public MemoryPlan plan() { return plan; }
    /** The target. */
    public Target target() { return target; }
    /** File names to contents. */
    public Map<String, String> files() { return files; }

    /**
     * Records the bytes of constant tables the kernels declare beside the weights (requantization multipliers and
     * shifts, lookup tables): they count as weights.
     */
    public void setTableBytes(long bytes) { this.tableBytes = bytes; }

    /** Bytes of constant tables declared inside kernels (part of {@link #weightsBytes()}). */
    public long tableBytes() { return tableBytes; }

    /**
     * Records the constants the backend did not store although nodes use them: their kernels folded the values into
     * their own code ({@code KernelModel.unreadInputs}). They do not count as weights.
     */
    public void setUnstored(java.util.Set<dev.kiln.ir.Value> constants) {
        this.unstored = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        this.unstored.addAll(constants);
    }

    /** Bytes of constant data (weights, and the kernels' constant tables) in the generated code. */
    public long weightsBytes() {
        long b = tableBytes;
        for (var c : graph.constants()) {
            if (c.uses().isEmpty() && !graph.outputs().contains(c) || unstored.contains(c)) continue;
            b += c.type().byteSize();
        }
        return b;
    }

    /** Writes every file into {@code dir} (created if needed), each file written completely or not at all. */
    public void writeTo(Path dir) {
        for (Map.Entry<String, String> e : files.entrySet())
            dev.kiln.io.OutputFiles.writeAtomically(dir.resolve(e.getKey()), e.getValue().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes the files as the whole content of {@code dir}: into a temporary folder beside it, then moved into
     * place, replacing an earlier output folder, so a reader never sees a mix of old and new files.
     */
    public void writeFolderAtomically(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        try {
            Files.createDirectories(parent);
            if (Files.exists(abs) && !Files.isDirectory(abs))
                throw new KilnException(Code.IO_ERROR, Location.file(dir.toString()), dir + " exists and is not a folder")
                        .withHint("choose another output folder with -o");
            Path tmp = Files.createTempDirectory(parent, "." + abs.getFileName() + ".");
            try {
                dev.kiln.io.OutputFiles.publish(tmp, "rwxr-xr-x");
                writeTo(tmp);
                Path old = null;
                if (Files.exists(abs)) {
                    old = parent.resolve("." + abs.getFileName() + ".old-" + System.nanoTime());
                    Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
                }
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
                if (old != null) deleteTree(old);
            } finally {
                if (Files.exists(tmp)) deleteTree(tmp);
            }
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.file(dir.toString()), "cannot write " + dir + ": " + e.getMessage());
        }
    }

    /** Deletes a folder and everything in it. */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        }
    }

    /** Names of the generated files. */
    public List<String> fileNames() { return List.copyOf(files.keySet()); }

    /** The output folder's default name for a model file: its base name without extension. */
    public static String defaultName(Path model) {
        String n = model.getFileName().toString();
        if ((n.equals("model.onnx") || n.equals("model.kiln")) && model.toAbsolutePath().getParent() != null)
            n = model.toAbsolutePath().getParent().getFileName().toString();
        int dot = n.lastIndexOf('.');
        if (dot > 0) n = n.substring(0, dot);
        String id = dev.kiln.kernels.ScalarTypes.identifier(n).toLowerCase(java.util.Locale.ROOT);
        return id.startsWith("_") ? "model" + id : id;
    }
}
