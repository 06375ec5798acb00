package dev.kiln.maven;

import dev.kiln.CompileOptions;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.passes.PassOptions;
import dev.kiln.quant.Calibration;
import dev.kiln.quant.Calibrator;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * What the {@code compile} and {@code check} goals share: the compilation settings (target, level, int8,
 * templates, input shapes) turned into Kiln's own option objects, and Kiln's errors turned into build failures
 * that carry Kiln's message (file, line:col or node, hint) and no stack trace.
 *
 * <p>Both goals declare {@code threadSafe = true}: {@code mvn -T N} runs them for several modules at once in one
 * JVM. Each execution keeps its state in its own mojo object and writes only its module's folders; what Kiln shares
 * between threads is immutable after class initialisation (op, layer, ONNX-mapping and lowering registries), made
 * per call (template groups, import options, memory planners, runners), or guarded (the ONNX Runtime loader, the
 * qemu plugin cache); temporary build folders have unique names. {@code ThreadSafetyTest} checks the static state
 * and compares concurrent and serial output; {@code tests/maven-plugin/parallel} builds with {@code mvn -T 2}.
 */
public abstract class KilnMojo extends AbstractMojo {
    /** The project's folder; relative paths in the configuration are resolved against it. */
    @Parameter(defaultValue = "${project.basedir}", readonly = true, required = true)
    protected File basedir;

    /** Target name ({@code kiln targets} lists them) or a target descriptor file. */
    @Parameter(property = "kiln.target", defaultValue = "host")
    protected String target;

    /** Optimisation level, 0 to 3. */
    @Parameter(property = "kiln.optimization", defaultValue = "3")
    protected int optimization;

    /** Lower the model to int8; a float model also needs {@code calibration}. */
    @Parameter(property = "kiln.int8", defaultValue = "false")
    protected boolean int8;

    /** Form of the conv and gemm/matmul weights {@code int8} quantizes: int8 (the default) or int4 (packed in flash). */
    @Parameter(property = "kiln.weights")
    protected String weights;

    /** Calibration data for {@code int8}: a .npy file whose first axis counts samples, or a folder of inputs. */
    @Parameter(property = "kiln.calibration")
    protected File calibration;

    /** Calibration method: minmax, percentile or entropy. */
    @Parameter(property = "kiln.calibrationMethod", defaultValue = "minmax")
    protected String calibrationMethod;

    /** Percentile of the percentile calibration method. */
    @Parameter(property = "kiln.percentile", defaultValue = "99.99")
    protected double percentile;

    /** Folder of templates overriding the built-in ones ({@code DIR/c/*.stg}, {@code DIR/c/ops/*.stg}). */
    @Parameter(property = "kiln.templates")
    protected File templates;

    /** Input shapes to bind, each {@code NAME=DIMS} (e.g. {@code x=1x3x224x224}). */
    @Parameter
    protected List<String> inputShapes;

    /** Iteration bounds of Loop nodes whose trip count is known only at run time, each {@code NODE=N}. */
    @Parameter
    protected List<String> maxTripCounts;

    /** Bounds of data-dependent output sizes, {@code NODE=N} each (as {@code --bound}). */
    @Parameter
    protected List<String> bounds;

    /** Skips the goal. */
    @Parameter(property = "kiln.skip", defaultValue = "false")
    protected boolean skip;

    /** A path from the configuration, resolved against the project's folder. */
    protected Path resolve(String p) {
        Path q = Path.of(p.trim());
        return q.isAbsolute() ? q : basedir.toPath().resolve(q).normalize();
    }

    /** Fresh import options from {@code inputShapes}; a malformed shape is a usage error. */
    protected ImportOptions importOptions() {
        ImportOptions o = new ImportOptions();
        if (inputShapes != null) {
            for (String s : inputShapes) {
                if (!o.parseInputShape(s))
                    throw new KilnException(Code.USAGE, Location.NONE, "<inputShape>" + s + "</inputShape> is not NAME=DIMS")
                            .withHint("for example <inputShape>input=1x3x224x224</inputShape>");
            }
        }
        if (maxTripCounts != null) {
            for (String s : maxTripCounts) {
                if (!o.parseMaxTripCount(s))
                    throw new KilnException(Code.USAGE, Location.NONE, "<maxTripCount>" + s + "</maxTripCount> is not NODE=N (N a positive count)")
                            .withHint("for example <maxTripCount>loop_over_time=100</maxTripCount>");
            }
        }
        if (bounds != null) {
            for (String s : bounds) {
                if (!o.parseBound(s))
                    throw new KilnException(Code.USAGE, Location.NONE, "<bound>" + s + "</bound> is not NODE=N (N a count from 1 to "
                            + dev.kiln.ops.Extents.MAX_BOUND + ")").withHint("for example <bound>nms=100</bound>");
            }
        }
        return o;
    }

    /** The pipeline level and pass options of the configuration; bad values are usage errors. */
    protected CompileOptions compileOptions() {
        // why: Pipelines would reject the level too, but without naming the Maven parameter
        if (optimization < 0 || optimization > 3)
            throw new KilnException(Code.USAGE, Location.NONE, "<optimization>" + optimization + "</optimization> must be 0 to 3");
        PassOptions po = new PassOptions();
        Calibrator.Method m = Calibrator.method(calibrationMethod);
        if (calibration != null) {
            if (!int8) throw new KilnException(Code.USAGE, Location.NONE, "<calibration> needs <int8>true</int8>")
                    .withHint("add <int8>true</int8> to quantize the model, or remove <calibration>");
            if (!Files.exists(calibration.toPath()))
                throw new KilnException(Code.FILE_NOT_FOUND, Location.file(calibration.toString()), calibration + " (no such file or folder)");
            po.int8 = new Calibration(calibration.toPath(), m, percentile, null, false);
        } else if (int8) {
            getLog().warn("kiln: <int8> without <calibration>: only models that are already quantized become int8");
        }
        po.weights(weights, "<weights>");
        return new CompileOptions(optimization, po, null);
    }

    /** Records every setting this class holds into {@code s}. */
    protected void stampSettings(Stamp s) {
        s.setting("target", target).setting("optimization", optimization).setting("int8", int8).setting("weights", weights)
                .setting("calibrationMethod", calibrationMethod).setting("percentile", percentile)
                .setting("inputShapes", inputShapes == null ? null : String.join(";", inputShapes))
                .setting("maxTripCounts", maxTripCounts == null ? null : String.join(";", maxTripCounts))
                .setting("bounds", bounds == null ? null : String.join(";", bounds));
        if (calibration != null) s.file("calibration", calibration.toPath());
        if (templates != null) s.file("templates", templates.toPath());
        Path t = resolve(target);
        // why: a target given as a descriptor file is an input whose content matters; a built-in name is covered by Kiln's version
        if (Files.isRegularFile(t)) s.file("target", t);
    }

    /** A build failure carrying Kiln's rendered diagnostics (no stack trace), prefixed by {@code what}. */
    protected static MojoFailureException failure(String what, KilnException e) {
        return new MojoFailureException(what + "\n" + e.getMessage(), e);
    }

    /** An internal error of Kiln (a bug): a build error that keeps the cause for {@code mvn -e}. */
    protected static MojoExecutionException internal(String what, RuntimeException e) {
        return new MojoExecutionException(what + ": internal error in Kiln: " + e
                + "\n  this is a bug in Kiln; please report it with the model and the plugin configuration (mvn -e shows the stack trace)", e);
    }
}
