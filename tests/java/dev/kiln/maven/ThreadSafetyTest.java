package dev.kiln.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Maven goals declare {@code threadSafe = true} ({@code mvn -T N} runs them in several modules at once, in
 * one JVM, sharing Kiln's classes): Kiln's static state is immutable or guarded, and goals run concurrently give
 * the same bytes as goals run one after another.
 */
class ThreadSafetyTest {
    @TempDir
    Path dir;

    /**
     * Static fields that may change after class initialisation, or that hold a mutable object, each with the reason
     * it is safe when threads share it. A new one must be made immutable, or guarded and listed here.
     */
    private static final Map<String, String> GUARDED = Map.ofEntries(
            Map.entry("dev.kiln.toolchain.OrtLoader.factory", "read and written only in the synchronized factory()"),
            Map.entry("dev.kiln.backend.HostIsa.detected", "volatile, set once to an immutable list read from /proc/cpuinfo; two "
                    + "threads racing both compute the same list"),
            Map.entry("dev.kiln.ops.Extents.WALKED", "a WeakHashMap read and written only inside synchronized (WALKED); each "
                    + "graph's walk state is used under its own lock, and a graph belongs to one build"),
            Map.entry("dev.kiln.ops.Ops.BY_NAME", "filled by class initialisation only; read through get() and an unmodifiable view"),
            Map.entry("dev.kiln.frontend.dsl.layers.Layers.BY_NAME", "filled by class initialisation only; read through get() and an unmodifiable view"));

    @Test
    void kilnsStaticStateIsImmutableOrGuarded() throws Exception {
        Path classes = Path.of(dev.kiln.Kiln.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> offenders = new ArrayList<>();
        int fields = 0;
        List<Path> files;
        try (Stream<Path> s = Files.walk(classes.resolve("dev/kiln"))) {
            files = s.filter(p -> p.toString().endsWith(".class")).sorted().toList();
        }
        for (Path f : files) {
            String name = classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
            // why: ANTLR's parser tables and protobuf's messages are generated code, thread-safe by their runtimes' design
            if (name.startsWith("dev.kiln.frontend.dsl.parser.") || name.startsWith("dev.kiln.frontend.onnx.proto.")) continue;
            Class<?> c = Class.forName(name, false, getClass().getClassLoader());
            for (Field fd : c.getDeclaredFields()) {
                int m = fd.getModifiers();
                if (!Modifier.isStatic(m) || fd.isSynthetic()) continue;
                fields++;
                String key = c.getName() + "." + fd.getName();
                if (GUARDED.containsKey(key)) continue;
                if (!Modifier.isFinal(m)) {
                    offenders.add(key + " is static and not final");
                } else if (Map.class.isAssignableFrom(fd.getType()) || Collection.class.isAssignableFrom(fd.getType())) {
                    fd.setAccessible(true);
                    Object v = fd.get(null);
                    if (v != null && !immutable(v)) offenders.add(key + " holds a mutable " + v.getClass().getName());
                }
            }
        }
        assertTrue(fields > 50, "only " + fields + " static fields seen");
        assertTrue(offenders.isEmpty(), "static state shared by parallel builds:\n" + String.join("\n", offenders));
    }

    /** Whether a collection is one of the JDK's unmodifiable ones (List.of, Map.copyOf, Collections.unmodifiable*). */
    private static boolean immutable(Object v) {
        String n = v.getClass().getName();
        return n.startsWith("java.util.ImmutableCollections$") || n.startsWith("java.util.Collections$Unmodifiable")
                || n.startsWith("java.util.Collections$Empty") || n.startsWith("java.util.Collections$Singleton");
    }

    @Test
    void theGoalsDeclareThemselvesThreadSafe() {
        // why: @Mojo is not kept at run time (CLASS retention); the plugin descriptor generated from it is what Maven reads
        String descriptor = resource("META-INF/maven/plugin.xml");
        int goals = 0;
        for (String mojo : descriptor.split("<mojo>")) {
            if (!mojo.contains("<goal>")) continue;
            goals++;
            assertTrue(mojo.contains("<threadSafe>true</threadSafe>"), "goal not thread-safe in plugin.xml: " + mojo.substring(0, Math.min(200, mojo.length())));
        }
        assertTrue(goals >= 2, "plugin.xml lists " + goals + " goals");
    }

    private static String resource(String name) {
        try (var in = ThreadSafetyTest.class.getClassLoader().getResourceAsStream(name)) {
            assertTrue(in != null, name + " is not on the class path (built by maven-plugin-plugin)");
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private CompileMojo mojo(Path base, String backend, String target, Path model, String name) {
        CompileMojo m = new CompileMojo();
        m.basedir = base.toFile();
        m.target = target;
        m.optimization = 3;
        m.calibrationMethod = "minmax";
        m.percentile = 99.99;
        m.backend = backend;
        m.outputDirectory = base.resolve("out").toFile();
        m.models = new ArrayList<>(List.of(new ModelEntry(model.toString(), name)));
        return m;
    }

    /** Every file under {@code root} by relative path, with its bytes as text. */
    private static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> r = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList())
                r.put(root.relativize(p).toString(), java.util.HexFormat.of().formatHex(Files.readAllBytes(p)));
        }
        return r;
    }

    @Test
    void compileGoalsRunConcurrentlyWriteWhatTheyWriteOneAfterAnother() throws Exception {
        Path models = TestFiles.root().resolve("tests/models");
        // different models, backends and targets, so every template group, registry and lowering is in use at once
        String[][] jobs = {
            {"c", "host", "digits_lenet5_op13", "lenet"},
            {"c", "cortex-m4f", "ds_cnn_kws_op13", "kws"},
            {"opencl", "opencl-gpu", "digits_mlp_op13", "mlp"},
            {"c", "cortex-m0plus", "digits_mlp_op13", "mlp"},
            {"c", "host", "resnet8_cifar10_op13", "resnet"},
            {"opencl", "opencl-cpu", "digits_lenet5_op13", "lenet"},
        };
        for (String[] j : jobs) assertTrue(Files.isRegularFile(models.resolve(j[2]).resolve("model.onnx")), j[2]);
        // why: round 0 runs before the serial build, so in a fresh JVM the threads are the first to render (the
        // invoker's parallel build caught a race that only first use showed: StringTemplate groups shared by threads)
        for (int round = 0; round < 2; round++) {
            if (round == 1) {
                for (int i = 0; i < jobs.length; i++) {
                    String[] j = jobs[i];
                    mojo(dir.resolve("serial/" + i), j[0], j[1], models.resolve(j[2]).resolve("model.onnx"), j[3]).execute();
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(jobs.length);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int i = 0; i < jobs.length; i++) {
                    String[] j = jobs[i];
                    CompileMojo m = mojo(dir.resolve("parallel" + round + "/" + i), j[0], j[1], models.resolve(j[2]).resolve("model.onnx"), j[3]);
                    fs.add(pool.submit(() -> {
                        m.execute();
                        return null;
                    }));
                }
                for (Future<?> f : fs) f.get();
            } finally {
                pool.shutdown();
            }
        }
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < jobs.length; i++) {
                Map<String, String> serial = tree(dir.resolve("serial/" + i + "/out"));
                assertTrue(serial.size() >= 4, "serial build " + i + " wrote " + serial.keySet());
                assertEquals(serial, tree(dir.resolve("parallel" + round + "/" + i + "/out")),
                        "job " + String.join(" ", jobs[i]) + " differs when run concurrently");
            }
        }
    }
}
