package dev.kiln.frontend.dsl;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.frontend.dsl.layers.ParamInit;
import dev.kiln.io.Npy;
import dev.kiln.io.Npz;
import dev.kiln.io.SafeTensors;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.antlr.v4.runtime.Token;

/**
 * Where tensors come from: weight files ({@code .npy}, {@code .npz}, {@code .safetensors}, read once each,
 * relative to the model's folder), the model's {@code weights} declaration (an archive or a seed), and the
 * seeded generator.
 *
 * <p>The generator is defined here once: for seed N and name s, a {@link SplittableRandom} seeded with
 * {@code N * 0x9E3779B97F4A7C15 ^ fnv1a64(s)} draws {@code nextDouble() * 2 - 1} per element, scaled by
 * 1/sqrt(fan-in) when there is one. Each parameter has its own stream, so adding a layer changes no other.
 */
final class Weights {
    private final Problems problems;
    private final Path baseDir;
    private final long maxBytes;
    private final dev.kiln.frontend.onnx.ImportOptions options;
    private final Map<Path, Map<String, NdArray>> archives = new HashMap<>();
    private String archiveName;
    private Map<String, NdArray> archive;
    private Long seed;
    private boolean broken;
    private long constantBytes;

    Weights(Problems problems, Path baseDir, dev.kiln.frontend.onnx.ImportOptions options) {
        this.problems = problems;
        this.baseDir = baseDir;
        this.maxBytes = options.maxTensorBytes();
        this.options = options;
    }

    /** {@code weights "FILE"}: layer parameters are read from this archive. */
    void declareArchive(Token file) {
        String name = Names.string(file.getText());
        archiveName = name;
        if (name.endsWith(".npy")) {
            broken = true;
            problems.add(Code.DSL_WEIGHTS, file, "weights must be an .npz or .safetensors archive, not .npy (use const NAME: TYPE = file(\"" + name + "\") for one tensor)");
            return;
        }
        try {
            archive = open(file, name);
        } catch (Problems.StatementFailed e) {
            broken = true;
        }
    }

    /** {@code weights seed(N)}: layer parameters are drawn from the seeded generator. */
    void declareSeed(long n) { seed = n; }

    /**
     * Layer parameter {@code key} of type {@code t}, from the declared weights; an error at {@code at} when
     * there are none, the key is missing, or its shape or dtype differ.
     */
    NdArray parameter(String key, TensorType t, ParamInit init, long fanIn, Token at, String layer) {
        if (broken) throw new Problems.StatementFailed();
        String problem = options.shapeProblem(t.shape().dimsLong(), t.dtype().byteSize());
        if (problem != null) throw problems.fail(Code.BAD_SHAPE, at, "layer '" + layer + "' parameter '" + key + "' (" + t + ") is not acceptable: " + problem);
        if (seed != null) {
            charge(at, key, t);
            switch (init) {
                case ZEROS: return NdArray.zeros(t);
                case ONES: {
                    NdArray a = NdArray.zeros(t);
                    for (int i = 0; i < a.size(); i++) a.setDouble(i, 1);
                    return a;
                }
                default: return seeded(seed, key, t, fanIn);
            }
        }
        if (archive == null)
            throw problems.fail(Code.DSL_WEIGHTS, at, "layer '" + layer + "' needs parameter '" + key + "' (" + t
                    + ") but the model declares no weights; add a weights declaration (weights \"FILE.npz\" or weights seed(N))");
        NdArray a = archive.get(key);
        if (a == null) throw problems.fail(Code.DSL_WEIGHTS, at, "weights '" + key + "' (" + t + ") not found in " + archiveName);
        return check(a, t, "weights '" + key + "' in " + archiveName, at);
    }

    /** {@code file("w.npy")}, {@code file("w.npz", "key")} or {@code file("w.safetensors", "key")} for a constant of type t. */
    NdArray file(Token file, Token key, TensorType t) {
        String name = Names.string(file.getText());
        NdArray a;
        if (name.endsWith(".npy")) {
            if (key != null) throw problems.fail(Code.DSL_WEIGHTS, key, "a .npy file holds one array; give no key");
            charge(file, name, t);
            a = read(file, () -> Npy.read(resolve(file, name), maxBytes));
        } else {
            if (key == null) throw problems.fail(Code.DSL_WEIGHTS, file, "give the array's key: file(\"" + name + "\", \"KEY\")");
            String k = Names.string(key.getText());
            a = open(file, name).get(k);
            if (a == null) throw problems.fail(Code.DSL_WEIGHTS, key, "array '" + k + "' (" + t + ") not found in " + name);
        }
        return check(a, t, "array in " + name + (key == null ? "" : " under " + key.getText()), file);
    }

    /**
     * The array as a constant of type t: as it is, or, for a sub-byte integer type (which .npy stores as int8/uint8,
     * see {@link Npy}), narrowed when every value fits; anything else is an error at {@code at}.
     */
    private NdArray check(NdArray a, TensorType t, String what, Token at) {
        if (a.shape().equals(t.shape()) && a.dtype() != t.dtype() && t.dtype().isSubByte() && t.dtype().isInteger() && a.dtype() == Npy.storedAs(t.dtype())) {
            for (int i = 0; i < a.size(); i++) {
                long v = a.getLong(i);
                if (v < t.dtype().minValue() || v > t.dtype().maxValue())
                    throw problems.fail(Code.DSL_WEIGHTS, at, what + " holds " + v + " at flat index " + i + ", outside " + t.dtype() + "'s range");
            }
            return a.cast(t.dtype());
        }
        if (!a.shape().equals(t.shape()) || a.dtype() != t.dtype())
            throw problems.fail(Code.DSL_WEIGHTS, at, what + " is " + a.type() + ", expected " + new TensorType(t.dtype(), t.shape()));
        return a;
    }

    private Map<String, NdArray> open(Token file, String name) {
        Path p = resolve(file, name);
        Map<String, NdArray> m = archives.get(p);
        if (m != null) return m;
        if (name.endsWith(".npz")) m = read(file, () -> Npz.read(p, maxBytes, options.maxConstantBytes()));
        else if (name.endsWith(".safetensors")) m = read(file, () -> SafeTensors.read(p, maxBytes));
        else throw problems.fail(Code.DSL_WEIGHTS, file, "unknown weights format '" + name + "' (use .npy, .npz or .safetensors)");
        archives.put(p, m);
        return m;
    }

    private <T> T read(Token at, java.util.function.Supplier<T> reader) {
        String name = Names.string(at.getText());
        Path p = resolve(at, name);
        if (!java.nio.file.Files.isRegularFile(p)) throw problems.fail(Code.DSL_WEIGHTS, at, "cannot read weights file '" + name + "': no such file");
        contained(at, name, p);
        try {
            return reader.get();
        } catch (KilnException e) {
            // why: messages name the file as the model wrote it, not the resolved absolute path
            throw problems.fail(Code.DSL_WEIGHTS, at, e.diagnostics().get(0).message().replace(p.toString(), name));
        }
    }

    /**
     * The weight file {@code name} resolved against the model's folder; an error at {@code at} when it is
     * absolute or leaves the folder ({@code ..}): a model may read only files beside it or below.
     */
    private Path resolve(Token at, String name) {
        Path base = base();
        Path p;
        try {
            p = Path.of(name);
        } catch (java.nio.file.InvalidPathException e) {
            throw problems.fail(Code.DSL_WEIGHTS, at, "weights file '" + name.replace("\0", "\\0") + "' is not a valid path: " + e.getReason());
        }
        if (p.isAbsolute() || name.startsWith("/") || name.startsWith("\\"))
            throw problems.fail(Code.DSL_WEIGHTS, at, "weights file '" + name + "' is an absolute path; give a path relative to the model's folder");
        Path r = base.resolve(p).normalize();
        if (!r.startsWith(base))
            throw problems.fail(Code.DSL_WEIGHTS, at, "weights file '" + name + "' is outside the model's folder; move it next to the model");
        return r;
    }

    /** Fails at {@code at} when the existing file {@code p} is reached through a link that leads outside the model's folder. */
    private void contained(Token at, String name, Path p) {
        try {
            Path realBase = base().toRealPath();
            if (!p.toRealPath().startsWith(realBase))
                throw problems.fail(Code.DSL_WEIGHTS, at, "weights file '" + name + "' is a link that leads outside the model's folder");
        } catch (java.io.IOException e) {
            throw problems.fail(Code.DSL_WEIGHTS, at, "cannot read weights file '" + name + "': " + e.getMessage());
        }
    }

    private Path base() {
        return (baseDir == null ? Path.of("") : baseDir).toAbsolutePath().normalize();
    }

    /**
     * Counts a constant of type {@code t} made at {@code at} against the limit on all constants' bytes, before it
     * is built; an error there once the limit is passed.
     */
    void charge(Token at, String name, TensorType t) {
        long b = t.byteSize();
        constantBytes = b > Long.MAX_VALUE - constantBytes ? Long.MAX_VALUE : constantBytes + b;
        if (constantBytes > options.maxConstantBytes())
            throw problems.fail(Code.CONSTANTS_TOO_LARGE, at, Code.CONSTANTS_TOO_LARGE.format(options.maxConstantBytes(), name)
                    + "; raise the limit with --max-constant-bytes if the model is genuine");
    }

    /** Values of the seeded generator for {@code name}: uniform in [-1, 1), scaled by 1/sqrt(fanIn) if fanIn > 0. */
    static NdArray seeded(long seed, String name, TensorType t, long fanIn) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ h);
        double scale = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 1;
        NdArray a = NdArray.zeros(t.dtype(), t.shape());
        for (int i = 0; i < a.size(); i++) a.setDouble(i, (r.nextDouble() * 2 - 1) * scale);
        return a;
    }
}
