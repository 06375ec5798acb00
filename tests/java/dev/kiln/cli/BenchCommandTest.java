package dev.kiln.cli;

import static dev.kiln.KilnCli.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnCli.Run;
import dev.kiln.TestFiles;
import dev.kiln.toolchain.OrtLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln bench}: argument errors, the JSON it writes, and the message when ONNX Runtime is missing. */
class BenchCommandTest {
    @TempDir
    Path tmp;


    private static String mlp() { return TestFiles.models().resolve("digits_mlp_op13/model.onnx").toString(); }

    private static void assertUsage(Run r, String message) {
        assertEquals(2, r.rc(), r.err());
        assertTrue(r.err().contains(message), "expected '" + message + "' in\n" + r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "stack trace printed:\n" + r.err());
    }

    @Test
    void badArgumentsExitTwoWithAMessage() {
        assertUsage(kiln("bench", mlp(), "--runs", "0"), "--runs must be positive");
        assertUsage(kiln("bench", mlp(), "--warmup", "-1"), "--warmup not negative");
        assertUsage(kiln("bench", mlp(), "--runs", "5", "--rounds", "6"), "--rounds must be between 1 and --runs (5)");
        assertUsage(kiln("bench", mlp(), "--against", "tflite"), "--against tflite is not a runtime");
        assertUsage(kiln("bench", mlp(), "--clock", "sundial"), "--clock sundial is neither cpu nor wall");
        assertUsage(kiln("bench", mlp(), "--against", "onnxruntime", "-t", "cortex-m4f"), "needs a host target, not cortex-m4f");
        assertUsage(kiln("bench", mlp(), "-t", "cortex-z9"), "unknown target 'cortex-z9'");
        assertUsage(kiln("bench", tmp.resolve("none.onnx").toString()), "no such file");
    }

    @Test
    void againstNeedsAnOnnxModel() throws IOException {
        Path dsl = tmp.resolve("m.kiln");
        Run d = kiln("dsl", mlp(), "-o", dsl.toString());
        assertEquals(0, d.rc(), d.err());
        assertUsage(kiln("bench", dsl.toString(), "--against", "onnxruntime"), "needs an .onnx model");
    }

    /** A number field of flat JSON, or null for {@code null}; fails when the key is absent. */
    private static Double field(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (null|[-0-9.eE+]+)[,\\n]").matcher(json);
        assertTrue(m.find(), key + " missing in\n" + json);
        return m.group(1).equals("null") ? null : Double.valueOf(m.group(1));
    }

    @Test
    void jsonAgainstOnnxRuntimeHasEveryNumber() throws IOException {
        Path f = tmp.resolve("bench.json");
        Run r = kiln("bench", mlp(), "--against", "onnxruntime", "--runs", "6", "--rounds", "3", "--warmup", "1", "--json", f.toString());
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("Kiln/ORT:"), r.out());
        String j = Files.readString(f);
        assertTrue(j.contains("\"model\": \"" + mlp() + "\""), j);
        assertTrue(j.contains("\"target\": \"host\""), j);
        assertTrue(j.contains("\"ort_model\": \"float model\""), j);
        assertTrue(j.contains("\"clock\": \"cpu\""), j);
        assertEquals(17024, field(j, "macs"));
        assertEquals(17226, field(j, "params"));
        for (String k : new String[] {"arena_bytes", "weights_bytes", "code_bytes", "kiln_ms", "ort_ms", "ratio", "kiln_cpu_ms",
                "kiln_wall_ms", "ort_cpu_ms", "ort_wall_ms", "kiln_gmacs", "ort_gmacs"})
            assertTrue(field(j, k) > 0, k + " not positive in\n" + j);
        assertEquals(6, field(j, "runs"));
        assertEquals(3, field(j, "rounds"));
        assertEquals(field(j, "kiln_ms") / field(j, "ort_ms"), field(j, "ratio"), 1e-4 * field(j, "ratio"));
        assertEquals(field(j, "kiln_cpu_ms"), field(j, "kiln_ms"));
        assertEquals(17024 / (field(j, "kiln_ms") * 1e6), field(j, "kiln_gmacs"), 1e-4 * field(j, "kiln_gmacs"));
        // why: instruction counts exist only on qemu targets; on the host the keys are there and null
        assertEquals(null, field(j, "instructions"));
        assertEquals(null, field(j, "instructions_per_mac"));
    }

    @Test
    void int8AgainstAQuantizedModelSaysWhatOrtRuns() {
        String qdq = TestFiles.models().resolve("digits_mlp_int8_qdq/model.onnx").toString();
        Run r = kiln("bench", qdq, "--int8", "--against", "onnxruntime", "--runs", "2", "--rounds", "2", "--warmup", "0",
                "--clock", "wall", "--json", "-");
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("\"int8\": true"), r.out());
        assertTrue(r.out().contains("\"ort_model\": \"quantized model as given\""), r.out());
        assertTrue(r.out().contains("\"clock\": \"wall\""), r.out());
        assertEquals(field(r.out(), "kiln_wall_ms"), field(r.out(), "kiln_ms"));
    }

    @Test
    void hostWithoutAgainstTimesKilnOnly() {
        Run r = kiln("bench", mlp(), "--runs", "3", "--rounds", "1", "--warmup", "0", "--json", "-");
        assertEquals(0, r.rc(), r.err());
        assertTrue(field(r.out(), "kiln_ms") > 0, r.out());
        assertEquals(null, field(r.out(), "ort_ms"));
        assertEquals(null, field(r.out(), "ratio"));
    }

    @Test
    void crossTargetReportsSizesAndAnInstructionsField() {
        Run r = kiln("bench", mlp(), "-t", "cortex-m4f", "--json", "-");
        assertEquals(0, r.rc(), r.err());
        assertTrue(field(r.out(), "arena_bytes") > 0, r.out());
        assertEquals(null, field(r.out(), "kiln_ms"));
        // the qemu plugin counts one inference: at least one instruction per MAC on a core without vector units
        assertTrue(field(r.out(), "instructions") >= field(r.out(), "macs"), r.out());
        assertEquals(field(r.out(), "instructions") / field(r.out(), "macs"), field(r.out(), "instructions_per_mac"), 1e-3, r.out());
    }

    /** Per layer of int8 DS-CNN on cortex-m4f (index: layer), the most instructions per MAC its kernel may take. */
    private static final java.util.Map<Integer, Double> DS_CNN_BUDGETS = java.util.Map.of(
            0, 1.6, // the 10x4 stride-2 stem
            1, 2.7, 3, 2.7, 5, 2.7, 7, 2.7, // depthwise 3x3
            2, 1.35, 4, 1.35, 6, 1.35, 8, 1.35, // pointwise
            11, 3.9); // the final FC

    /**
     * {@code --per-layer} on int8 DS-CNN: each conv layer and the FC get their own count, the layers add up to the
     * total but for the run function's few instructions, and each stays within its budget of instructions per MAC.
     */
    @Test
    void perLayerCountsEveryKernelOfDsCnnOnCortexM4f() {
        String ds = TestFiles.models().resolve("ds_cnn_kws_int8_qdq/model.onnx").toString();
        Run r = kiln("bench", ds, "-t", "cortex-m4f", "--per-layer", "--json", "-");
        assertEquals(0, r.rc(), r.err());
        Matcher m = Pattern.compile("\\{\"function\": \"[^\"]*\"(?:, \"index\": (\\d+), \"op\": \"([^\"]*)\", \"name\": \"[^\"]*\", \"macs\": (\\d+))?"
                + ", \"instructions\": (\\d+), \"instructions_per_mac\": ([^}]*)\\}").matcher(r.out());
        long sum = 0;
        java.util.Map<Integer, Double> perMac = new java.util.TreeMap<>();
        while (m.find()) {
            sum += Long.parseLong(m.group(4));
            if (m.group(1) != null && !m.group(5).equals("null")) perMac.put(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(5)));
        }
        assertEquals(DS_CNN_BUDGETS.keySet(), perMac.keySet(), r.out());
        double total = field(r.out(), "instructions");
        assertTrue(sum <= total && sum >= total - 200, sum + " of " + total);
        for (java.util.Map.Entry<Integer, Double> e : DS_CNN_BUDGETS.entrySet())
            assertTrue(perMac.get(e.getKey()) <= e.getValue(), "layer " + e.getKey() + ": " + perMac.get(e.getKey()) + " instructions/MAC, budget " + e.getValue());
    }

    /**
     * {@code --per-layer} on the host: every kernel function of the generated C (and nothing else) gets a time, in
     * schedule order, each with the layer's MACs; the shares are parts of the instrumented build's total.
     */
    @Test
    void perLayerTimesEveryKernelOnTheHost() throws IOException {
        String lenet = TestFiles.models().resolve("digits_lenet5_op13/model.onnx").toString();
        Run c = kiln("compile", lenet, "-t", "host", "-o", tmp.resolve("c").toString());
        assertEquals(0, c.rc(), c.err());
        java.util.List<Integer> kernels = new java.util.ArrayList<>();
        Matcher k = Pattern.compile("static void digits_lenet5_op13_k(\\d+)_\\w+\\(").matcher(Files.readString(tmp.resolve("c/digits_lenet5_op13.c")));
        while (k.find()) kernels.add(Integer.parseInt(k.group(1)));
        assertTrue(kernels.size() >= 5, kernels.toString());

        Run r = kiln("bench", lenet, "--per-layer", "--runs", "20", "--rounds", "2", "--json", "-");
        assertEquals(0, r.rc(), r.err());
        Matcher m = Pattern.compile("\\{\"function\": \"([^\"]*)\"(?:, \"index\": (\\d+), \"op\": \"[^\"]*\", \"name\": \"[^\"]*\", \"macs\": (\\d+))?"
                + ", \"us\": ([-0-9.eE+]+), \"share\": ([-0-9.eE+]+), \"gmacs\": ([^}]*)\\}").matcher(r.out());
        java.util.List<Integer> timed = new java.util.ArrayList<>();
        double shares = 0;
        long macs = 0;
        while (m.find()) {
            assertNotNull(m.group(2), "a function that is no kernel was timed: " + m.group(1));
            timed.add(Integer.parseInt(m.group(2)));
            assertTrue(Double.parseDouble(m.group(4)) >= 0, m.group());
            shares += Double.parseDouble(m.group(5));
            macs += Long.parseLong(m.group(3));
            assertEquals(Long.parseLong(m.group(3)) == 0, m.group(6).equals("null"), m.group());
        }
        assertEquals(kernels, timed, r.out());
        assertEquals(field(r.out(), "macs"), (double) macs, r.out());
        assertTrue(field(r.out(), "layers_total_us") > 0, r.out());
        assertTrue(shares > 0 && shares < 1.2, "layer medians add up to " + shares + " of the total");
    }

    @Test
    void missingOnnxRuntimeExitsTwoWithTheFetchCommand() {
        System.setProperty(OrtLoader.LOOKUP_PROPERTY, "off");
        try {
            Run r = kiln("bench", mlp(), "--against", "onnxruntime", "--runs", "1", "--rounds", "1");
            assertUsage(r, "ONNX Runtime " + OrtLoader.VERSION + " is neither on the class path nor in the local Maven repository");
            assertTrue(r.err().contains("mvn dependency:get -Dartifact=com.microsoft.onnxruntime:onnxruntime:" + OrtLoader.VERSION), r.err());
            assertEquals("", r.out());
        } finally {
            System.clearProperty(OrtLoader.LOOKUP_PROPERTY);
        }
    }

    @Test
    void loaderVersionIsThePomVersion() throws IOException {
        String pom = Files.readString(TestFiles.root().resolve("pom.xml"));
        Matcher m = Pattern.compile("<onnxruntime.version>([^<]+)</onnxruntime.version>").matcher(pom);
        assertTrue(m.find(), "pom.xml has no onnxruntime.version");
        assertEquals(m.group(1), OrtLoader.VERSION, "OrtLoader.VERSION must follow the pom's onnxruntime.version");
        assertNotNull(OrtLoader.localJar().getFileName());
        assertTrue(OrtLoader.localJar().toString().endsWith("onnxruntime-" + OrtLoader.VERSION + ".jar"));
    }
}
