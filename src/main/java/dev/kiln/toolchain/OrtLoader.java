package dev.kiln.toolchain;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.NdArray;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * Finds ONNX Runtime's Java API at run time, so that {@code kiln.jar} need not carry its 54 MB: the classes on the
 * class path when they are there (tests, the Maven plugin), else the jar in the local Maven repository, loaded
 * through a class loader of its own together with {@link OrtBench}. Links no ONNX Runtime class itself.
 */
public final class OrtLoader {
    private OrtLoader() {}

    /** The ONNX Runtime version Kiln compiles against (the pom's {@code onnxruntime.version}). */
    public static final String VERSION = "1.29.0";

    /** The one command that puts ONNX Runtime into the local Maven repository. */
    public static final String FETCH_COMMAND = "mvn dependency:get -Dartifact=com.microsoft.onnxruntime:onnxruntime:" + VERSION;

    /** System property: {@code off} makes Kiln behave as if ONNX Runtime were nowhere to be found. */
    public static final String LOOKUP_PROPERTY = "kiln.ort.lookup";

    private static final String PROBE = "ai.onnxruntime.OrtEnvironment";
    private static final String BENCH = "dev.kiln.toolchain.OrtBench";
    private static OrtTimer.Factory factory;

    /** Opens {@code model} on ONNX Runtime with {@code inputs} (name to data), after {@code warmup} untimed runs. */
    public static OrtTimer open(Path model, Map<String, NdArray> inputs, int warmup) {
        return factory().open(model, inputs, warmup);
    }

    /** The jar {@link #open} falls back to: {@code <local repository>/com/microsoft/onnxruntime/onnxruntime/V/onnxruntime-V.jar}. */
    public static Path localJar() {
        String repo = System.getProperty("maven.repo.local");
        Path root = repo != null && !repo.isBlank() ? Paths.get(repo)
                : Paths.get(System.getProperty("user.home"), ".m2", "repository");
        return root.resolve(Paths.get("com", "microsoft", "onnxruntime", "onnxruntime", VERSION, "onnxruntime-" + VERSION + ".jar"));
    }

    private static synchronized OrtTimer.Factory factory() {
        Path jar = localJar();
        // why: lets tests (and users) check the message a machine without ONNX Runtime gets
        if ("off".equals(System.getProperty(LOOKUP_PROPERTY))) throw missing(jar);
        if (factory != null) return factory;
        requireTmpDir();
        ClassLoader own = OrtLoader.class.getClassLoader();
        try {
            Class.forName(PROBE, false, own);
            factory = (OrtTimer.Factory) Class.forName(BENCH, true, own).getConstructor().newInstance();
            return factory;
        } catch (ClassNotFoundException absent) {
            // not on the class path: look in the local Maven repository below
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new KilnException(Code.TOOL_MISSING, Location.NONE, "ONNX Runtime does not load: " + e);
        }
        if (!Files.isRegularFile(jar)) throw missing(jar);
        try {
            URL kiln = OrtLoader.class.getProtectionDomain().getCodeSource().getLocation();
            ClassLoader cl = new BenchFirstLoader(new URL[] {kiln, jar.toUri().toURL()}, own);
            factory = (OrtTimer.Factory) Class.forName(BENCH, true, cl).getConstructor().newInstance();
            return factory;
        } catch (MalformedURLException | ReflectiveOperationException | LinkageError | SecurityException e) {
            throw new KilnException(Code.TOOL_MISSING, Location.file(jar.toString()), "ONNX Runtime in " + jar + " does not load: " + e)
                    .withHint("fetch it again with: " + FETCH_COMMAND);
        }
    }

    private static KilnException missing(Path jar) {
        return new KilnException(Code.TOOL_MISSING, Location.NONE, "ONNX Runtime " + VERSION
                + " is neither on the class path nor in the local Maven repository (" + jar + ")")
                .withHint("fetch it once with: " + FETCH_COMMAND);
    }

    /** ONNX Runtime unpacks its native library into {@code java.io.tmpdir}, which must exist. */
    private static void requireTmpDir() {
        Path tmp = Paths.get(System.getProperty("java.io.tmpdir"));
        try {
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new KilnException(Code.IO_ERROR, Location.file(tmp.toString()), "ONNX Runtime needs java.io.tmpdir " + tmp
                    + ", which cannot be created: " + e.getMessage()).withHint("run java with -Djava.io.tmpdir=DIR");
        }
    }

    /**
     * Defines {@link OrtBench} itself (so that it links the ONNX Runtime classes of this loader) and leaves every
     * other Kiln class, {@link OrtTimer} included, to the parent, so both sides share one {@code OrtTimer}.
     */
    private static final class BenchFirstLoader extends URLClassLoader {
        BenchFirstLoader(URL[] urls, ClassLoader parent) { super(urls, parent); }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.equals(BENCH) && !name.startsWith(BENCH + "$")) return super.loadClass(name, resolve);
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) c = findClass(name);
                if (resolve) resolveClass(c);
                return c;
            }
        }
    }
}
