package dev.kiln.maven;

import dev.kiln.CompileOptions;
import dev.kiln.Kiln;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.check.TestCase;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.backend.Backend;
import dev.kiln.interp.Interpreter;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * {@code kiln:check}: runs ONNX-style test folders ({@code model.onnx} or {@code model.kiln} with
 * {@code test_data_set_*}) on the interpreter, the generated C or an OpenCL device and compares with their recorded
 * outputs, like {@code kiln check}; any failing case fails the build with the per-case report.
 */
@Mojo(name = "check", defaultPhase = LifecyclePhase.TEST, threadSafe = true)
public class CheckMojo extends KilnMojo {
    /** Test folders, or folders of them; default {@code src/test/kiln}. */
    @Parameter
    protected List<File> testFolders;

    /**
     * Backend to run on: interp, c (C is built with the target's toolchain; MCU targets run under qemu) or opencl
     * (an OpenCL device from Java; with target host the device's opencl-gpu or opencl-cpu descriptor).
     */
    @Parameter(property = "kiln.check.backend", defaultValue = "interp")
    protected String backend;

    /**
     * The chosen backend's own settings by name, as the backend declares them ({@link Backend#settings()}), e.g.
     * {@code <settings><opencl.device>1</opencl.device><opencl.binding>lwjgl</opencl.binding></settings>}; each
     * can also be given as the user property {@code kiln.<name>} ({@code -Dkiln.opencl.device=1}).
     */
    @Parameter
    protected java.util.Map<String, String> settings;

    /** Relative tolerance of the comparison. */
    @Parameter(property = "kiln.rtol", defaultValue = "1e-3")
    protected double rtol;

    /** Absolute tolerance of the comparison. */
    @Parameter(property = "kiln.atol", defaultValue = "1e-7")
    protected double atol;

    /** A model file (.onnx or .kiln) used instead of each folder's own. */
    @Parameter(property = "kiln.model")
    protected File model;

    /** Build host C with -fsanitize=address,undefined (backend c). */
    @Parameter(property = "kiln.sanitize", defaultValue = "false")
    protected boolean sanitize;

    /** Skips the goal, as for every test plugin. */
    @Parameter(property = "skipTests", defaultValue = "false")
    protected boolean skipTests;

    /** Skips the goal, as for every test plugin. */
    @Parameter(property = "maven.test.skip", defaultValue = "false")
    protected boolean mavenTestSkip;

    /** The folder checked when no {@code <testFolders>} are configured. */
    static final String DEFAULT_TESTS = "src/test/kiln";

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip || skipTests || mavenTestSkip) {
            getLog().info("kiln: check skipped");
            return;
        }
        List<Path> paths = new ArrayList<>();
        boolean defaulted = testFolders == null || testFolders.isEmpty();
        if (defaulted) {
            Path p = resolve(DEFAULT_TESTS);
            if (!Files.isDirectory(p)) {
                getLog().info("kiln: no test folders (" + DEFAULT_TESTS + " does not exist)");
                return;
            }
            paths.add(p);
        } else {
            for (File f : testFolders) paths.add(f.toPath());
        }
        Checker checker;
        List<TestCase> cases;
        try {
            for (Path p : paths)
                if (!Files.exists(p)) throw new KilnException(Code.FILE_NOT_FOUND, Location.file(p.toString()), p + " (no such folder)")
                        .withHint("check the <testFolders> of kiln-maven-plugin's check goal");
            importOptions();
            if (model != null) Kiln.declaredInputs(model.toPath()); // why: a broken <model> is bad configuration, not a failure of every case
            CompileOptions co = compileOptions();
            Checker.BatchRunner runner = runner();
            // why: OpenCL lowers for the device's descriptor (narrowed to its limits), so the passes see that target
            Target t = backend.equals(INTERP) ? Target.load(target) : Target.load(Backend.find(backend).runTarget(target, runner));
            checker = new Checker(runner, rtol, atol, this::importOptions, model == null ? null : model.toPath(),
                    g -> Kiln.optimize(g, t, co));
            cases = TestCase.find(paths);
        } catch (KilnException e) {
            throw failure("kiln: bad configuration", e);
        }
        List<String> failures = new ArrayList<>();
        int[] passed = new int[1];
        // why: compiled backends build a batch of cases into one program; the interpreter reports case by case
        int batch = backend.equals(INTERP) ? 1 : 64;
        try {
            checker.checkAll(cases, batch, r -> {
                if (r.passed()) {
                    passed[0]++;
                    getLog().info("kiln: " + r.line());
                } else {
                    failures.add(r.line());
                    getLog().error("kiln: " + r.line());
                }
            });
        } catch (RuntimeException e) {
            throw internal("kiln: check", e);
        }
        getLog().info("kiln: " + passed[0] + " passed, " + failures.size() + " failed");
        if (!failures.isEmpty())
            throw new MojoFailureException("kiln: " + failures.size() + " of " + cases.size() + " check(s) failed:\n" + String.join("\n", failures));
    }

    /**
     * The batch runner of {@code backend}: the interpreter, or the one the registered backend of that kind makes
     * (C built for the target; OpenCL on the chosen device, through the chosen binding).
     */
    private Checker.BatchRunner runner() {
        Backend b = backend.equals(INTERP) ? null : Backend.find(backend);
        if (b == null && !backend.equals(INTERP)) throw new KilnException(Code.USAGE, Location.NONE, "unknown check backend '" + backend + "'")
                .withHint("use one of <backend>" + INTERP + "</backend>, " + String.join(", ", Backend.kinds()));
        java.util.Map<String, String> given = givenSettings();
        // why: a backend's settings on another backend would be silently ignored
        for (String s : given.keySet()) {
            if (b != null && b.settings().stream().anyMatch(r -> r.name().equals(s))) continue;
            Backend owner = Backend.reading(s);
            throw new KilnException(Code.USAGE, Location.NONE, owner == null ? "unknown setting <" + s + ">"
                    : "<" + s + "> needs <backend>" + owner.kind() + "</backend>");
        }
        if (b == null) {
            if (sanitize) throw new KilnException(Code.USAGE, Location.NONE, "<sanitize> needs a compiled backend (<backend>"
                    + Backend.compiledDefault().kind() + "</backend>)");
            return Checker.sequential((g, ins) -> new Interpreter(g).run(ins));
        }
        return b.runner(new Backend.RunOptions(target, sanitize, templates == null ? null : templates.toPath(), given, null));
    }

    /** Kiln's reference interpreter on {@code <backend>}: it runs every graph and generates no code. */
    static final String INTERP = "interp";

    /** The settings of {@code <settings>} and of the user properties {@code kiln.<setting>} of every backend. */
    private java.util.Map<String, String> givenSettings() {
        java.util.Map<String, String> r = new java.util.TreeMap<>();
        if (settings != null) r.putAll(settings);
        for (Backend.Setting s : Backend.allSettings()) {
            String v = System.getProperty("kiln." + s.name());
            if (v != null && !r.containsKey(s.name())) r.put(s.name(), v);
        }
        return r;
    }
}
