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

    /** Java OpenCL binding of backend opencl: jocl or lwjgl. */
    @Parameter(property = "kiln.opencl.binding", defaultValue = "jocl")
    protected String openclBinding;

    /**
     * OpenCL device of backend opencl, numbered over all platforms as {@code clinfo -l} lists them (default: the
     * first GPU, else the first device).
     */
    @Parameter(property = "kiln.opencl.device")
    protected Integer openclDevice;

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
            Target t = backend.equals("interp") ? Target.load(target) : Target.load(Backend.find(backend).runTarget(target, runner));
            checker = new Checker(runner, rtol, atol, this::importOptions, model == null ? null : model.toPath(),
                    g -> Kiln.optimize(g, t, co));
            cases = TestCase.find(paths);
        } catch (KilnException e) {
            throw failure("kiln: bad configuration", e);
        }
        List<String> failures = new ArrayList<>();
        int[] passed = new int[1];
        // why: compiled backends build a batch of cases into one program; the interpreter reports case by case
        int batch = backend.equals("interp") ? 1 : 64;
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
        // why: OpenCL settings on another backend would be silently ignored
        if (!backend.equals("opencl") && (openclDevice != null || !(openclBinding == null || openclBinding.equals("jocl"))))
            throw new KilnException(Code.USAGE, Location.NONE, "<openclBinding> and <openclDevice> need <backend>opencl</backend>");
        if (backend.equals("interp")) {
            if (sanitize) throw new KilnException(Code.USAGE, Location.NONE, "<sanitize> needs <backend>c</backend>");
            return Checker.sequential((g, ins) -> new Interpreter(g).run(ins));
        }
        Backend b = Backend.find(backend);
        if (b == null) throw new KilnException(Code.USAGE, Location.NONE, "unknown check backend '" + backend + "'")
                .withHint("use <backend>interp</backend>, <backend>c</backend> or <backend>opencl</backend>");
        java.util.Map<String, String> settings = new java.util.TreeMap<>();
        settings.put("opencl.binding", openclBinding == null ? "jocl" : openclBinding);
        if (openclDevice != null) settings.put("opencl.device", Integer.toString(openclDevice));
        return b.runner(new Backend.RunOptions(target, sanitize, templates == null ? null : templates.toPath(), settings, null));
    }
}
