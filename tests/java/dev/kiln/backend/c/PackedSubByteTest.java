package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.toolchain.CProgramRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Sub-byte tensors (i4, u4, i2, u2, f4e2m1) are packed in the generated C: the header's byte counts of inputs and
 * outputs and the arena's bytes for a sub-byte activation are {@code ceil(n * bits / 8)}, and odd-length packed
 * inputs, outputs and activations round-trip through Cast and widened ops exactly as in the interpreter, with the
 * bits after the last element written zero (the C harness fills packed outputs with ones first and
 * {@link CProgramRunner#packedTailError} checks them), in one host program with sanitizers and one OpenCL program.
 */
class PackedSubByteTest {
    private static final DType[] SUB = {DType.I4, DType.U4, DType.I2, DType.U2, DType.F4E2M1};

    /** Seven elements of {@code t}: its extremes and a few values in between (f4e2m1: representable values). */
    private static NdArray seven(DType t) {
        NdArray a = NdArray.zeros(t, Shape.of(7));
        double[] f4 = {0, -0.5, 1.5, 6, -6, 3, -1};
        for (int i = 0; i < 7; i++) {
            if (t.isFloat()) a.setDouble(i, f4[i]);
            else a.setLong(i, new long[] {t.minValue(), t.maxValue(), 0, 1, t.isSigned() ? -1 : 2, t.maxValue() - 1, t.minValue() + 1}[i]);
        }
        return a;
    }

    /** A sub-byte type of the other width, to cast to. */
    private static DType other(DType t) {
        return t == DType.I4 ? DType.I2 : t == DType.U4 ? DType.U2 : t == DType.I2 ? DType.U4 : t == DType.U2 ? DType.I4 : DType.I4;
    }

    /**
     * x: t[7] -> cast wide -> cast back (round trip, output 0); add(x, x) -> s (a packed activation) -> add(s, x)
     * (output 1) and cast(s, f32) (output 2); cast(x) to the other width (output 3); x itself (output 4).
     */
    private static Graph chain(DType t) {
        Graph g = new Graph("packed_" + t.shortName());
        Value x = g.addInput("x", new TensorType(t, Shape.of(7)));
        DType wide = t.isFloat() ? DType.F32 : t.isSigned() ? DType.I8 : DType.U8;
        Value w = g.addNode(Ops.CAST, "widen", List.of(x), Attrs.of("to", wide.shortName()), 1).output(0);
        g.addOutput(g.addNode(Ops.CAST, "narrow", List.of(w), Attrs.of("to", t.shortName()), 1).output(0));
        Value s = g.addNode(Ops.ADD, "twice", List.of(x, x), Attrs.EMPTY, 1).output(0);
        g.addOutput(g.addNode(Ops.ADD, "thrice", List.of(s, x), Attrs.EMPTY, 1).output(0));
        g.addOutput(g.addNode(Ops.CAST, "s_f32", List.of(s), Attrs.of("to", "f32"), 1).output(0));
        g.addOutput(g.addNode(Ops.CAST, "other", List.of(x), Attrs.of("to", other(t).shortName()), 1).output(0));
        g.addOutput(x);
        return g;
    }

    /**
     * x: t[7] -> add(x, x) -> s (packed, in the arena) -> reshape [7, 1] -> unsqueeze [1, 7, 1] -> squeeze [1, 7] ->
     * flatten [1, 7] -> identity (output 0); reshape(x) [1, 7, 1] straight to output 1; cast(squeeze(reshape(s)), f32)
     * (output 2): the reshapes keep the packed bytes, and what reads them after sees the same elements.
     */
    private static Graph shaped(DType t) {
        Graph g = new Graph("shaped_" + t.shortName());
        Value x = g.addInput("x", new TensorType(t, Shape.of(7)));
        Value s = g.addNode(Ops.ADD, "twice", List.of(x, x), Attrs.EMPTY, 1).output(0);
        Value r = g.addNode(Ops.RESHAPE, "r", List.of(s), Attrs.of("shape", new long[] {7, 1}), 1).output(0);
        Value u = g.addNode(Ops.UNSQUEEZE, "u", List.of(r), Attrs.of("axes", new long[] {0}), 1).output(0);
        Value q = g.addNode(Ops.SQUEEZE, "q", List.of(u), Attrs.of("axes", new long[] {2}), 1).output(0);
        Value f = g.addNode(Ops.FLATTEN, "f", List.of(q), Attrs.of("axis", 0L), 1).output(0);
        g.addOutput(g.addNode(Ops.IDENTITY, "id", List.of(f), Attrs.EMPTY, 1).output(0));
        g.addOutput(g.addNode(Ops.RESHAPE, "rx", List.of(x), Attrs.of("shape", new long[] {1, 7, 1}), 1).output(0));
        Value r2 = g.addNode(Ops.SQUEEZE, "q2", List.of(r), Attrs.of("axes", new long[] {1}), 1).output(0);
        g.addOutput(g.addNode(Ops.CAST, "r_f32", List.of(r2), Attrs.of("to", "f32"), 1).output(0));
        return g;
    }

    /** The reshapes of packed values keep their type: ComputeInWideTypes adds no cast around them (only the add's). */
    @Test
    void reshapesOfPackedValuesAreNotWidened() {
        for (DType t : SUB) {
            Graph g = shaped(t);
            new dev.kiln.passes.ComputeInWideTypes().run(g, new dev.kiln.passes.PassContext(null, null));
            int casts = 0;
            for (dev.kiln.ir.Node n : g.nodes()) {
                if (n.op() == Ops.CAST) casts++;
                if (n.op() == Ops.RESHAPE || n.op() == Ops.SQUEEZE || n.op() == Ops.UNSQUEEZE || n.op() == Ops.FLATTEN || n.op() == Ops.IDENTITY) {
                    assertEquals(t, n.input(0).dtype(), n.toString());
                    assertEquals(t, n.output(0).dtype(), n.toString());
                }
            }
            // why: add(x, x) widens x once and narrows its sum; r_f32 is the graph's own cast
            assertEquals(3, casts, t + ": " + g.nodes());
        }
    }

    /** f: f32[n] -> cast(t) -> a packed activation -> cast(f32): the arena holds only the packed activation. */
    private static Graph through(DType t, int n) {
        Graph g = new Graph("through_" + t.shortName());
        Value f = g.addInput("f", new TensorType(DType.F32, Shape.of(n)));
        Value q = g.addNode(Ops.CAST, "q", List.of(f), Attrs.of("to", t.shortName()), 1).output(0);
        g.addOutput(g.addNode(Ops.CAST, "back", List.of(q), Attrs.of("to", "f32"), 1).output(0));
        return g;
    }

    private static long macro(GeneratedCode code, String name) {
        String h = code.files().get(code.name() + ".h");
        Matcher m = Pattern.compile("#define " + Pattern.quote(code.name().toUpperCase(java.util.Locale.ROOT) + "_" + name) + " (\\d+)u?\\n").matcher(h);
        assertTrue(m.find(), name + " is not in the header");
        return Long.parseLong(m.group(1));
    }

    @Test
    void ioAndArenaBytesArePacked() {
        for (DType t : SUB) {
            long packed7 = (7L * t.bits() + 7) / 8;
            GeneratedCode code = CBackendTest.generate(chain(t), "p", null);
            assertEquals(7, macro(code, "INPUT_0_SIZE"), t + ": elements");
            assertEquals(packed7, macro(code, "INPUT_0_BYTES"), t + ": input bytes");
            assertEquals(packed7, macro(code, "OUTPUT_0_BYTES"), t + ": round-trip output bytes");
            assertEquals(packed7, macro(code, "OUTPUT_1_BYTES"), t + ": add output bytes");
            assertEquals((7L * other(t).bits() + 7) / 8, macro(code, "OUTPUT_3_BYTES"), t + ": other width's bytes");
            assertTrue(code.files().get("p.h").contains("packed: " + 8 / t.bits() + " elements to a byte"), t + ": the header says packed");

            int n = 1001;
            long packed = ((long) n * t.bits() + 7) / 8;
            GeneratedCode th = CBackendTest.generate(through(t, n), "th", null);
            long arena = th.plan().arenaBytes();
            // why: the arena holds the one activation, aligned: packed it is under n bytes, one per element it was n
            assertTrue(arena >= packed && arena < packed + 64, t + ": arena " + arena + " bytes for " + n + " elements packed in " + packed);
        }
    }

    /**
     * One job per type and graph: the chain over 7 elements, 9 floats through a packed activation and the reshapes of
     * packed values (fresh graphs).
     */
    private static List<Checker.Job> jobs() {
        List<Checker.Job> jobs = new ArrayList<>();
        NdArray f = NdArray.zeros(DType.F32, Shape.of(9));
        double[] fs = {-9.5, -3, -1.25, -0.5, 0, 0.75, 2, 3.5, 100};
        for (int i = 0; i < fs.length; i++) f.setDouble(i, fs[i]);
        for (DType t : SUB) {
            jobs.add(new Checker.Job("chain_" + t, chain(t), List.of(seven(t))));
            jobs.add(new Checker.Job("through_" + t, through(t, 9), List.of(f)));
            jobs.add(new Checker.Job("shaped_" + t, shaped(t), List.of(seven(t))));
        }
        return jobs;
    }

    @Test
    void oddPackedTensorsRoundTripAsInTheInterpreter() {
        List<String> failures = new ArrayList<>();
        compare("c", new CProgramRunner(Target.load("host"), true, null).runAll(jobs()), failures);
        compare("opencl", dev.kiln.backend.opencl.runtime.OpenClRunner.create("jocl", null, null, null).runAll(jobs()), failures);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** Adds to {@code failures} each output of {@code outs} that differs from the interpreter's. */
    private static void compare(String backend, List<Checker.Outcome> outs, List<String> failures) {
        List<Checker.Job> jobs = jobs();
        for (int i = 0; i < jobs.size(); i++) {
            Checker.Outcome o = outs.get(i);
            if (o.error() != null) {
                failures.add(backend + " " + jobs.get(i).name() + ": " + o.error());
                continue;
            }
            List<NdArray> want = new Interpreter(jobs.get(i).graph()).run(jobs.get(i).inputs());
            for (int k = 0; k < want.size(); k++) {
                NdArray w = want.get(k), got = o.outputs().get(k);
                assertEquals(w.type(), got.type(), jobs.get(i).name() + " output " + k);
                for (int e = 0; e < w.size(); e++) {
                    boolean same = w.dtype().isFloat() ? Double.compare(w.getDouble(e), got.getDouble(e)) == 0 : w.getLong(e) == got.getLong(e);
                    if (!same) failures.add(backend + " " + jobs.get(i).name() + " output " + k + " element " + e + ": want " + w.getDouble(e) + ", got " + got.getDouble(e));
                }
            }
        }
    }

    /**
     * A kernel that leaves the bits after a packed output's last element as it found them (a quantize_linear to int4
     * over 7 elements that keeps the last byte's high nibble, given with --templates) is caught by both OpenCL
     * runners, the Java one and the standalone host C: they fill packed output buffers with ones before the run, so
     * the tail comes back 0xF, not the zero a fresh buffer may hold. The values themselves are right (the last one is
     * 0), so only the tail check can see it.
     */
    @Test
    void openClRunnersCatchAPackedTailLeftUnwritten(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        writeTemplate(dir.resolve("opencl/ops/tail.stg"),
                "quantize_linear(k, m, c) ::= <<",
                "const size_t ib = get_global_id(0);",
                "if (ib >= <c.items>u) return;",
                "uint8_t b = 2u * ib + 1u \\< <k.n>u ? 0u : (uint8_t)(<k.y.name>[ib] & 0xF0u);",
                "for (size_t jj = 0; jj \\< 2u && 2u * ib + jj \\< <k.n>u; ++jj) b = KILN_PACK4(b, jj, (int)rint(<k.x.name>[2u * ib + jj]));",
                "<k.y.name>[ib] = b;");
        List<Checker.Job> jobs = quantizeSeven("tail", DType.I4);
        String java = dev.kiln.backend.opencl.runtime.OpenClRunner.create("jocl", null, null, dir).runAll(jobs).get(0).error();
        assertTrue(java != null && java.contains("has bits 0xf") && java.contains("after its last element"), "Java runner: " + java);
        String host = new dev.kiln.toolchain.OpenClHostRunner(Target.load("opencl-cpu"), dir, -1).runAll(jobs).get(0).error();
        assertTrue(host != null && host.contains("after its last element"), "host C runner: " + host);
    }

    /**
     * Not only packed outputs: the C harness and both OpenCL runners fill every output buffer with ones before a run,
     * so an element no kernel writes comes back -1 (or NaN), not the zero a fresh buffer may hold. Here a
     * quantize_linear to int8 (given with --templates) leaves its last element unwritten, whose right value is 0.
     */
    @Test
    void runnersCatchAnElementLeftUnwritten(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        writeTemplate(dir.resolve("opencl/ops/skip.stg"),
                "quantize_linear(k, m, c) ::= <<",
                "const size_t i = get_global_id(0);",
                "if (i >= <c.items>u || i + 1u >= <k.n>u) return;",
                "<k.y.name>[i] = (char)(int)rint(<k.x.name>[i]);");
        writeTemplate(dir.resolve("c/ops/skip.stg"),
                "quantize_linear(k, m) ::= <<",
                "for (size_t i = 0; i + 1u \\< <k.n>u; ++i) <k.y.name>[i] = (int8_t)(int)rint(<k.x.name>[i]);");
        List<Checker.Job> jobs = quantizeSeven("skip", DType.I8);
        for (Checker.BatchRunner r : List.of(new dev.kiln.toolchain.CProgramRunner(Target.load("host"), true, dir),
                dev.kiln.backend.opencl.runtime.OpenClRunner.create("jocl", null, null, dir),
                new dev.kiln.toolchain.OpenClHostRunner(Target.load("opencl-cpu"), dir, -1))) {
            Checker.Outcome o = r.runAll(jobs).get(0);
            assertTrue(o.error() == null, r.getClass().getSimpleName() + ": " + o.error());
            NdArray y = o.outputs().get(0);
            for (int i = 0; i < 6; i++) assertTrue(y.getLong(i) == (long) SEVEN[i], r.getClass().getSimpleName() + " element " + i + ": " + y.getLong(i));
            assertTrue(y.getLong(6) == -1, r.getClass().getSimpleName() + ": the unwritten element reads " + y.getLong(6));
        }
    }

    /** Writes a template override file (its folders made), {@code lines} then the template's closing {@code >>}. */
    private static void writeTemplate(java.nio.file.Path file, String... lines) throws java.io.IOException {
        java.nio.file.Files.createDirectories(file.getParent());
        java.nio.file.Files.writeString(file, String.join("\n", lines) + "\n>>\n");
    }

    private static final double[] SEVEN = {-8, 7, 3, -1, 5, -4, 0};

    /** One job: quantize_linear of {@link #SEVEN} (scale 1, zero point 0) to {@code type}; the last value is 0. */
    private static List<Checker.Job> quantizeSeven(String name, DType type) {
        Graph g = new Graph(name);
        Value x = g.addInput("x", new TensorType(DType.F32, Shape.of(7)));
        NdArray one = NdArray.zeros(DType.F32, Shape.of()), zero = NdArray.zeros(type, Shape.of());
        one.setDouble(0, 1.0);
        g.addOutput(g.addNode(Ops.QUANTIZE_LINEAR, "q", List.of(x, g.addConstant("s", one), g.addConstant("z", zero)), Attrs.of()).output(0));
        NdArray xv = NdArray.zeros(DType.F32, Shape.of(7));
        for (int i = 0; i < SEVEN.length; i++) xv.setDouble(i, SEVEN[i]);
        return List.of(new Checker.Job(name, g, List.of(xv)));
    }
}
