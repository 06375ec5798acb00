package dev.kiln.maven;

import dev.kiln.Kiln;
import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.ModelStats;
import dev.kiln.backend.Target;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * {@code kiln:compile}: compiles every configured model (.onnx or .kiln) to C (or OpenCL) into one folder per
 * model under {@code outputDirectory}. A model whose inputs (model file, the weight files it references, the
 * calibration data, the templates) and settings are unchanged since the last build is skipped.
 */
@Mojo(name = "compile", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public class CompileMojo extends KilnMojo {
    /**
     * Model files or folders of them (searched recursively for .onnx and .kiln), each {@code <model>PATH</model>}
     * or {@code <model><file>PATH</file><name>N</name></model>}; default {@code src/main/kiln}.
     */
    @Parameter
    protected List<ModelEntry> models;

    /** Where the generated code goes, one folder per model. */
    @Parameter(property = "kiln.outputDirectory", defaultValue = "${project.build.directory}/generated-sources/kiln")
    protected File outputDirectory;

    /** Backend ({@code kiln targets} and the README list them); default the one that compiles by default, C. */
    @Parameter(property = "kiln.backend")
    protected String backend;

    /** Recompiles every model even when it is up to date. */
    /** State pairs {@code IN=OUT} (model input, the output that is its next value) sharing one caller buffer, as {@code --state}. */
    @Parameter(property = "kiln.state")
    protected List<String> state;

    @Parameter(property = "kiln.force", defaultValue = "false")
    protected boolean force;

    /**
     * The plugin execution running this goal: recorded in each folder's stamp, so that a model removed from
     * {@code <models>} has its folder removed by the execution that generated it and by no other.
     */
    @Parameter(defaultValue = "${mojoExecution.executionId}", readonly = true)
    protected String executionId;

    /** The folder searched when no {@code <models>} are configured. */
    static final String DEFAULT_MODELS = "src/main/kiln";

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("kiln: compile skipped");
            return;
        }
        Map<String, Path> todo;
        Target t;
        dev.kiln.CompileOptions co;
        try {
            todo = modelsByName();
            if (todo.isEmpty()) {
                removeStale(todo.keySet());
                return;
            }
            if (backend == null) backend = Backend.compiledDefault().kind();
            // why: the backend is part of the request; an unknown one is a configuration error before any model runs
            if (Backend.find(backend) == null)
                throw new KilnException(Code.USAGE, Location.NONE, "unknown backend '" + backend + "'").withHint("use one of " + String.join(", ", Backend.kinds()));
            t = Kiln.compiledTarget(backend, target);
            co = compileOptions();
            importOptions();
        } catch (KilnException e) {
            throw failure("kiln: bad configuration", e);
        }
        List<String> failed = new ArrayList<>();
        for (Map.Entry<String, Path> e : todo.entrySet()) {
            String name = e.getKey();
            Path model = e.getValue();
            Path out = outputDirectory.toPath().resolve(name);
            String hash = stamp(model, name);
            if (!force && Stamp.upToDate(out, hash)) {
                getLog().info("kiln: " + name + " is up to date");
                continue;
            }
            try {
                GeneratedCode code = Kiln.compile(model, importOptions(), backend, t,
                        new Backend.Options(name, templates == null ? null : templates.toPath(), model.getFileName().toString(),
                                dev.kiln.backend.StatePairs.parse(state)),
                        co);
                code.writeFolderAtomically(out);
                Stamp.write(out, hash, code.fileNames(), owner());
                ModelStats st = new ModelStats(code);
                getLog().info(String.format("kiln: compiled %s (%s) for %s -> %s: %d nodes, %,d MACs, %,d params, weights %,d bytes, arena %,d bytes",
                        name, relative(model), t.name(), relative(out), code.graph().nodes().size(), st.macs, st.params,
                        st.weightsBytes, st.arenaBytes));
            } catch (KilnException ex) {
                failed.add(ex.getMessage());
            } catch (RuntimeException ex) {
                throw internal("kiln: compiling " + relative(model), ex);
            }
        }
        removeStale(todo.keySet());
        if (!failed.isEmpty())
            throw new MojoFailureException("kiln: " + failed.size() + " of " + todo.size() + " model(s) failed to compile:\n"
                    + String.join("\n", failed));
    }

    /**
     * The models to compile by output name, in configuration order (files of a folder sorted); two models with
     * one name, or a configured path that does not exist, are configuration errors.
     */
    Map<String, Path> modelsByName() {
        List<ModelEntry> entries = models;
        boolean defaulted = entries == null || entries.isEmpty();
        if (defaulted) entries = List.of(new ModelEntry(DEFAULT_MODELS, null));
        Map<String, Path> out = new LinkedHashMap<>();
        for (ModelEntry m : entries) {
            if (m.getFile() == null || m.getFile().isBlank())
                throw new KilnException(Code.USAGE, Location.NONE, "a <model> has no <file>").withHint("write <model><file>PATH</file></model> or <model>PATH</model>");
            Path p = resolve(m.getFile());
            if (!Files.exists(p)) {
                if (defaulted) {
                    getLog().info("kiln: no models (" + relative(p) + " does not exist)");
                    return out;
                }
                throw new KilnException(Code.FILE_NOT_FOUND, Location.file(p.toString()), p + " (no such file or folder)")
                        .withHint("check the <models> of kiln-maven-plugin's compile goal");
            }
            List<Path> files = Files.isDirectory(p) ? modelFiles(p) : List.of(p);
            // why: one name for a whole folder would give every model of it the same output folder
            if (m.getName() != null && Files.isDirectory(p))
                throw new KilnException(Code.USAGE, Location.file(p.toString()), "<name> is given for a folder of models")
                        .withHint("name single model files: <model><file>folder/a.onnx</file><name>a</name></model>");
            for (Path f : files) {
                String name = m.getName() != null ? m.getName() : GeneratedCode.defaultName(f);
                Path before = out.put(name, f);
                if (before != null && !before.equals(f))
                    throw new KilnException(Code.USAGE, Location.file(f.toString()), "two models are both named '" + name + "': "
                            + relative(before) + " and " + relative(f))
                            .withHint("give one of them a <name> in <models>");
            }
        }
        if (out.isEmpty()) getLog().info("kiln: no .onnx or .kiln models in the configured <models>");
        return out;
    }

    /** The name this execution signs its output folders with. */
    private String owner() { return executionId == null || executionId.isBlank() ? "default" : executionId; }

    /**
     * Removes the output folders this execution generated in an earlier build for models that are no longer
     * configured: only folders whose {@value Stamp#FILE} names this execution, and of those only the files the
     * stamp lists (the folder itself goes when nothing else is in it). A folder without a stamp is a user's and
     * is never touched.
     */
    void removeStale(java.util.Set<String> current) {
        Path root = outputDirectory.toPath();
        if (!Files.isDirectory(root)) return;
        List<Path> dirs;
        try (Stream<Path> s = Files.list(root)) {
            dirs = s.filter(d -> Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            getLog().warn("kiln: cannot list " + root + " for stale output folders: " + e.getMessage());
            return;
        }
        for (Path d : dirs) {
            String name = d.getFileName().toString();
            // why: dot folders are writeFolderAtomically's temporary ones; a configured name is compiled, not stale
            if (name.startsWith(".") || current.contains(name)) continue;
            Stamp.Owned st = Stamp.read(d);
            if (st == null || !owner().equals(st.owner())) continue;
            try {
                java.util.Set<Path> ours = new java.util.HashSet<>();
                ours.add(d.resolve(Stamp.FILE).normalize());
                for (String f : st.files()) {
                    Path p = d.resolve(f).normalize();
                    if (p.startsWith(d)) ours.add(p); // why: a tampered stamp must not reach outside the folder
                }
                boolean others;
                try (Stream<Path> s = Files.walk(d)) {
                    others = s.anyMatch(f -> !Files.isDirectory(f, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !ours.contains(f.normalize()));
                }
                if (!others) {
                    GeneratedCode.deleteTree(d);
                    getLog().info("kiln: removed " + relative(d) + " (" + name + " is no longer in <models>)");
                } else {
                    for (Path p : ours) Files.deleteIfExists(p);
                    getLog().warn("kiln: " + name + " is no longer in <models>: removed its generated files from " + relative(d)
                            + ", which stays because it holds other files");
                }
            } catch (IOException | UncheckedIOException e) {
                getLog().warn("kiln: cannot remove the stale output folder " + relative(d) + ": " + e.getMessage());
            }
        }
    }

    /** Every .onnx and .kiln file under {@code dir}, sorted. */
    static List<Path> modelFiles(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .filter(f -> f.getFileName().toString().endsWith(".onnx") || f.getFileName().toString().endsWith(".kiln"))
                    .sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            throw new KilnException(Code.IO_ERROR, Location.file(dir.toString()), "cannot list " + dir + ": " + e.getMessage());
        }
    }

    /** The fingerprint of compiling {@code model} as {@code name} with this configuration. */
    String stamp(Path model, String name) {
        Stamp s = new Stamp().setting("kiln", Kiln.version()).setting("name", name).setting("backend", backend);
        stampSettings(s);
        Path kilnCode = kilnCode();
        if (kilnCode != null && Files.isRegularFile(kilnCode)) s.file("kiln-jar", kilnCode);
        s.file("model", model);
        for (Path f : ModelInputs.referencedFiles(model)) s.file("input", f);
        return s.hash();
    }

    /** The jar (or class folder) Kiln runs from: a rebuilt Kiln of the same version still makes models stale. */
    private static Path kilnCode() {
        try {
            var src = Kiln.class.getProtectionDomain().getCodeSource();
            return src == null ? null : Path.of(src.getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    private String relative(Path p) {
        Path b = basedir.toPath().toAbsolutePath().normalize();
        Path a = p.toAbsolutePath().normalize();
        return a.startsWith(b) ? b.relativize(a).toString() : a.toString();
    }
}
