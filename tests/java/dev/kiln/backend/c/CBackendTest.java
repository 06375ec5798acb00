package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.toolchain.CProgramRunner;
import dev.kiln.toolchain.Exec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CBackendTest {
    @TempDir
    Path tmp;

    /** x[2,3] -> relu -> add(., bias[3]) -> relu -> out: one in-place kernel, a constant, broadcasting. */
    static Graph small() {
        Graph g = new Graph("small");
        Value x = g.addInput("x", TensorType.of(DType.F32, 2, 3));
        Value bias = g.addConstant("bias", NdArray.ofFloats(Shape.of(3), 0.5f, -1.0f, 2.0f));
        Value a = g.addNode(Ops.RELU, "relu1", List.of(x), Attrs.EMPTY).output(0);
        Value b = g.addNode(Ops.ADD, "add \"*/ weird", List.of(a, bias), Attrs.EMPTY).output(0);
        Value c = g.addNode(Ops.RELU, "relu2", List.of(b), Attrs.EMPTY).output(0);
        g.addOutput(c);
        return g;
    }

    static GeneratedCode generate(Graph g, String name, Path templates) {
        return new CBackend().generate(g, Target.load("host"), new Backend.Options(name, templates, "small.onnx"));
    }

    @Test
    void theSameModelGivesByteIdenticalFiles() {
        GeneratedCode a = generate(small(), "m", null), b = generate(small(), "m", null);
        assertEquals(List.of("CMakeLists.txt", "README.md", "kiln_runtime.h", "m.c", "m.h", "m_weights.c"), a.fileNames());
        assertEquals(a.files(), b.files());
        assertTrue(a.files().get("m.h").contains("#define M_ARENA_SIZE " + a.plan().arenaBytes() + "u"));
        assertTrue(a.files().get("m.h").contains("#define M_INPUT_0_SHAPE {2, 3}"));
        // why: weights are bytes in one string literal (quick to compile), read as floats through a union
        assertTrue(a.files().get("m_weights.c").contains("typedef union { unsigned char b["), a.files().get("m_weights.c"));
        assertTrue(a.files().get("m_weights.c").contains("; float v[3]; } m_w0_t;"), a.files().get("m_weights.c"));
        assertTrue(a.files().get("m_weights.c").contains("const m_w0_t m_w0 = {"), a.files().get("m_weights.c"));
        assertTrue(a.files().get("m.c").contains("extern const m_w0_t m_w0;"), a.files().get("m.c"));
        assertFalse(a.files().get("m.c").contains("\"*/"), "node names never end a comment early");
    }

    @Test
    void aHandWrittenProgramUsesTheApi() {
        GeneratedCode code = generate(small(), "kws", null);
        code.writeTo(tmp);
        String main = String.join("\n",
                "#include <stdint.h>",
                "#include <stdio.h>",
                "#include \"kws.h\"",
                "static uint64_t arena[KWS_ARENA_WORDS];",
                "int main(void)",
                "{",
                "    const float in[KWS_INPUT_0_SIZE] = {-1.0f, 2.0f, 3.0f, 4.0f, -5.0f, 6.0f};",
                "    float out[KWS_OUTPUT_0_SIZE];",
                "    int i;",
                "    if (kws_run(in, out, arena) != 0) return 1;",
                "    for (i = 0; i < KWS_OUTPUT_0_SIZE; i++) printf(\"%g \", (double)out[i]);",
                "    printf(\"| %d\\n\", kws_run(in, out, (unsigned char *)arena + 1));",
                "    return 0;",
                "}", "");
        dev.kiln.io.OutputFiles.writeAtomically(tmp.resolve("main.c"), main.getBytes());
        Exec.Result cc = Exec.run(List.of("gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsanitize=address,undefined",
                "-fno-sanitize-recover=all", "main.c", "kws.c", "kws_weights.c", "-o", "prog", "-lm"), tmp, 120);
        assertEquals(0, cc.exit(), cc.err());
        Exec.Result run = Exec.run(List.of("./prog"), tmp, 60);
        assertEquals(0, run.exit(), run.err());
        // relu(relu(x) + [0.5, -1, 2]) row by row; a misaligned arena is refused with -1
        assertEquals("0.5 1 5 4.5 0 8 | -1", run.out().strip());
    }

    @Test
    void everyUnsupportedNodeIsReportedAtOnce() {
        // casts to E8M0 with rounding modes the kernel does not know (up, down and nearest are generated)
        Graph g = new Graph("e8m0");
        Value x = g.addInput("x", TensorType.of(DType.F32, 4));
        for (String mode : List.of("sideways", "outward", "zero"))
            g.addOutput(g.addNode(Ops.CAST, "to_" + mode, List.of(x), Attrs.of("to", "f8e8m0", "round_mode", mode)).output(0));
        KilnException e = assertThrows(KilnException.class, () -> generate(g, "m", null));
        assertEquals(Code.UNSUPPORTED_BY_BACKEND, e.diagnostics().get(0).code());
        String msg = e.getMessage();
        assertTrue(msg.contains("3 node(s)") && msg.contains("to_sideways") && msg.contains("to_outward") && msg.contains("to_zero"), msg);
    }

    @Test
    void halfOpsComputeInFloatAndRoundAtEachOutput() {
        // f32 -> f16 -> exp (computed in f32, rounded to f16) -> f32: equals the interpreter bit for bit
        Graph g = new Graph("half");
        Value x = g.addInput("x", TensorType.of(DType.F32, 4));
        Value h = g.addNode(Ops.CAST, "to_half", List.of(x), Attrs.of("to", "f16")).output(0);
        Value r = g.addNode(Ops.get("exp"), "exp_half", List.of(h), Attrs.EMPTY).output(0);
        g.addOutput(g.addNode(Ops.CAST, "to_float", List.of(r), Attrs.of("to", "f32")).output(0));
        NdArray in = NdArray.ofFloats(Shape.of(4), 0.1f, -3.3f, 11.2f, 1e-3f);
        NdArray want = new dev.kiln.interp.Interpreter(g).run(List.of(in)).get(0);
        CProgramRunner runner = new CProgramRunner(Target.load("host"), true, null);
        List<Checker.Outcome> out = runner.runAll(List.of(new Checker.Job("half", g, List.of(in))));
        assertEquals(null, out.get(0).error());
        assertEquals(want, out.get(0).outputs().get(0));
        assertTrue(g.nodes().size() == 5, "exp ran between casts: " + g.nodes());
    }

    @Test
    void aTemplateFolderOverridesOneKernel() throws Exception {
        Path ops = Files.createDirectories(tmp.resolve("tpl/c/ops"));
        Files.writeString(ops.resolve("myrelu.stg"),
                "relu(k, m) ::= <<\nfor (size_t i = 0; i \\< <k.n>u; ++i) <k.y.name>[i] = 42.0f;\n>>\n");
        Graph g = new Graph("one");
        Value x = g.addInput("x", TensorType.of(DType.F32, 3));
        g.addOutput(g.addNode(Ops.RELU, "r", List.of(x), Attrs.EMPTY).output(0));
        CProgramRunner runner = new CProgramRunner(Target.load("host"), false, tmp.resolve("tpl"));
        List<Checker.Outcome> out = runner.runAll(List.of(new Checker.Job("one", g, List.of(NdArray.ofFloats(Shape.of(3), 1, -2, 3)))));
        assertEquals(null, out.get(0).error());
        assertEquals(42.0f, out.get(0).outputs().get(0).getFloat(1));
    }

    @Test
    void anOutputFolderIsReplacedAsAWhole() throws Exception {
        Path dir = tmp.resolve("out");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("stale.c"), "old");
        generate(small(), "m", null).writeFolderAtomically(dir);
        assertFalse(Files.exists(dir.resolve("stale.c")));
        assertTrue(Files.exists(dir.resolve("m.c")));
        try (var s = Files.list(tmp)) {
            assertEquals(1, s.count(), "no temporary folders are left beside the output");
        }
    }

    /**
     * Weights stored as bytes keep every bit: signed zero, a NaN payload, subnormals, infinities and the extremes
     * of each integer type, read back through the generated C (sanitizers on) as the model's constant outputs;
     * arrays ending in zero bytes (left out of the literal) and in a non-zero byte (one more byte for C's NUL).
     */
    @Test
    void weightsKeepEveryBit() {
        Graph g = new Graph("bits");
        Value x = g.addInput("x", TensorType.of(DType.F32, 1));
        g.addOutput(g.addNode(Ops.RELU, "r", List.of(x), Attrs.EMPTY).output(0));
        List<NdArray> consts = List.of(
                NdArray.ofFloats(Shape.of(8), -0.0f, Float.intBitsToFloat(0x7fc01234), Float.MIN_VALUE, Float.NEGATIVE_INFINITY,
                        Float.MAX_VALUE, 1.0f / 3, 0.0f, 0.0f),
                NdArray.ofFloats(Shape.of(3), 0.0f, 0.0f, 0.0f),
                NdArray.ofFloats(Shape.of(2), 0.0f, -1.5f),
                NdArray.ofDoubles(Shape.of(3), -0.0, Math.PI, Double.MIN_VALUE),
                NdArray.ofLongs(DType.I64, Shape.of(3), Long.MIN_VALUE, Long.MAX_VALUE, -1),
                NdArray.ofLongs(DType.U64, Shape.of(2), -1L, 0x8000000000000000L),
                NdArray.ofLongs(DType.I32, Shape.of(3), Integer.MIN_VALUE, '"', '\\'),
                NdArray.ofLongs(DType.U32, Shape.of(2), 0xFFFFFFFFL, '?' * 0x01010101L),
                NdArray.ofLongs(DType.I16, Shape.of(2), Short.MIN_VALUE, 0x3f3f),
                NdArray.ofLongs(DType.U16, Shape.of(2), 0xFFFF, 0x3030),
                NdArray.ofLongs(DType.I8, Shape.of(5), -128, 127, '?', '?', '/'),
                NdArray.ofLongs(DType.U8, Shape.of(4), 255, '7', '\n', 0),
                NdArray.ofLongs(DType.BOOL, Shape.of(3), 1, 0, 1));
        for (int i = 0; i < consts.size(); i++) g.addOutput(g.addConstant("c" + i, consts.get(i)));
        GeneratedCode code = generate(g, "bits", null);
        assertFalse(code.files().get("bits_weights.c").contains("??"), "'?' is escaped, so no trigraph can form");
        assertTrue(code.files().get("bits_weights.c").contains("\\077\\077/"), code.files().get("bits_weights.c"));
        NdArray in = NdArray.ofFloats(Shape.of(1), 2.0f);
        Checker.Outcome o = new CProgramRunner(Target.load("host"), true, null).runAll(List.of(new Checker.Job("bits", g, List.of(in)))).get(0);
        assertEquals(null, o.error());
        for (int i = 0; i < consts.size(); i++) {
            NdArray want = consts.get(i), got = o.outputs().get(i + 1);
            assertEquals(want.dtype(), got.dtype(), "c" + i);
            for (int k = 0; k < want.size(); k++) {
                long w = want.dtype() == DType.F32 ? Float.floatToRawIntBits(want.getFloat(k))
                        : want.dtype() == DType.F64 ? Double.doubleToRawLongBits(want.getDouble(k)) : want.getLong(k);
                long h = got.dtype() == DType.F32 ? Float.floatToRawIntBits(got.getFloat(k))
                        : got.dtype() == DType.F64 ? Double.doubleToRawLongBits(got.getDouble(k)) : got.getLong(k);
                assertEquals(w, h, "c" + i + "[" + k + "]");
            }
        }
    }
}
