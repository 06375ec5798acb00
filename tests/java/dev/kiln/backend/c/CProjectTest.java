package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.cli.Main;
import dev.kiln.frontend.onnx.TensorProtos;
import dev.kiln.ir.NdArray;
import dev.kiln.toolchain.Exec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compiled C project drops into other builds: its CMakeLists.txt is an add_subdirectory() fragment naming exactly
 * the generated .c files, its README documents the header's own functions, and a CMake project builds and runs it.
 */
class CProjectTest {
    private static final Path LENET = TestFiles.models().resolve("digits_lenet5_op13");

    @TempDir
    Path tmp;

    private Path compile(String name, String... extra) {
        Path out = tmp.resolve(name);
        List<String> args = new ArrayList<>(List.of("compile", LENET.resolve("model.onnx").toString(), "-o", out.toString(), "--name", name));
        args.addAll(List.of(extra));
        StringWriter o = new StringWriter(), e = new StringWriter();
        int rc = Main.execute(new PrintWriter(o), new PrintWriter(e), args.toArray(String[]::new));
        assertEquals(0, rc, e.toString());
        return out;
    }

    private static Set<String> files(Path dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(suffix)).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static Set<String> all(Pattern p, String text, int group) {
        Set<String> r = new TreeSet<>();
        Matcher m = p.matcher(text);
        while (m.find()) r.add(m.group(group).replaceAll("\\s+", " "));
        return r;
    }

    @Test
    void theCMakeFragmentListsExactlyTheGeneratedSources() throws IOException {
        for (String[] variant : new String[][] {{}, {"--int8", "--calibrate", TestFiles.root().resolve("tests/data/digits_calib32_x.npy").toString(), "-t", "cortex-m4f"}}) {
            Path out = compile("lenet", variant);
            assertTrue(Files.exists(out.resolve("CMakeLists.txt")) && Files.exists(out.resolve("README.md")), "project files missing");
            String cmake = Files.readString(out.resolve("CMakeLists.txt"));
            assertEquals(files(out, ".c"), all(Pattern.compile("\\$\\{CMAKE_CURRENT_LIST_DIR\\}/([A-Za-z0-9_]+\\.c)"), cmake, 1));
            assertTrue(cmake.contains("add_library(lenet STATIC"), cmake);
            assertTrue(cmake.contains("target_include_directories(lenet PUBLIC ${CMAKE_CURRENT_LIST_DIR})"), cmake);
            assertTrue(cmake.contains("C_STANDARD 99"), cmake);
            assertTrue(!cmake.contains("CMAKE_C_FLAGS") && !cmake.contains("target_compile_options"), "the fragment forces no compiler flags");
        }
    }

    @Test
    void theReadmeDocumentsTheHeadersFunctionsAndNumbers() throws IOException {
        Path out = compile("kws8", "--int8", "--calibrate", TestFiles.root().resolve("tests/data/digits_calib32_x.npy").toString());
        String header = Files.readString(out.resolve("kws8.h")), readme = Files.readString(out.resolve("README.md"));
        Pattern decl = Pattern.compile("^int (kws8_\\w+)\\(([^)]*)\\);", Pattern.MULTILINE);
        Set<String> fromHeader = all(decl, header, 0), fromReadme = all(decl, readme, 0);
        assertEquals(2, fromHeader.size(), header);
        assertEquals(fromHeader, fromReadme, "README's signatures are the header's");
        Matcher arena = Pattern.compile("#define KWS8_ARENA_SIZE (\\d+)u").matcher(header);
        assertTrue(arena.find());
        assertTrue(readme.contains("**Arena (RAM):** " + arena.group(1) + " bytes"), readme);
        assertTrue(readme.contains("scale ") && readme.contains("zero point -128"), "int8 input's quantization:\n" + readme);
        assertTrue(readme.contains("zephyr_library_sources(") && readme.contains("STM32CubeIDE") && readme.contains("add_subdirectory("), readme);
        assertTrue(readme.contains("kws8_run(in_input, out_output, arena)"), "the example calls the API:\n" + readme);
    }

    /** Input {@code a} as a C initializer. */
    private static String initializer(NdArray a) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < a.size(); i++) b.append(i == 0 ? "" : ", ").append(Float.toString(a.getFloat(i))).append('f');
        return b.toString();
    }

    @Test
    void aCMakeProjectBuildsAndRunsTheModelThroughAddSubdirectory() throws IOException {
        // why: CI installs cmake (.ci/run); a machine without it must say so rather than pass silently
        Exec.require("cmake", "apt-get install cmake");
        Path out = compile("lenet");
        Path app = Files.createDirectories(tmp.resolve("app"));
        NdArray x = TensorProtos.readPb(LENET.resolve("test_data_set_0/input_0.pb"), 1 << 20);
        NdArray y = TensorProtos.readPb(LENET.resolve("test_data_set_0/output_0.pb"), 1 << 20);
        Files.writeString(app.resolve("CMakeLists.txt"), String.join("\n",
                "cmake_minimum_required(VERSION 3.13)",
                "project(consumer C)",
                "add_subdirectory(" + out.toString().replace('\\', '/') + " lenet)",
                "add_executable(consumer main.c)",
                "target_link_libraries(consumer PRIVATE lenet)", ""));
        Files.writeString(app.resolve("main.c"), String.join("\n",
                "#include <stdint.h>",
                "#include <stdio.h>",
                "#include \"lenet.h\"",
                "static uint64_t arena[LENET_ARENA_WORDS];",
                "static const float in[LENET_INPUT_0_SIZE] = {" + initializer(x) + "};",
                "static float out[LENET_OUTPUT_0_SIZE];",
                "int main(void)",
                "{",
                "    int i;",
                "    if (lenet_run(in, out, arena) != 0) return 1;",
                "    for (i = 0; i < LENET_OUTPUT_0_SIZE; i++) printf(\"%.9g\\n\", (double)out[i]);",
                "    return 0;",
                "}", ""));
        Path build = tmp.resolve("build");
        Exec.Result conf = Exec.run(List.of("cmake", "-S", app.toString(), "-B", build.toString()), tmp, 120);
        assertEquals(0, conf.exit(), conf.out() + conf.err());
        Exec.Result make = Exec.run(List.of("cmake", "--build", build.toString()), tmp, 300);
        assertEquals(0, make.exit(), make.out() + make.err());
        Exec.Result run = Exec.run(List.of(build.resolve("consumer").toString()), tmp, 60);
        assertEquals(0, run.exit(), run.err());
        String[] lines = run.out().trim().split("\\s+");
        assertEquals(y.size(), lines.length, run.out());
        for (int i = 0; i < y.size(); i++) {
            double got = Double.parseDouble(lines[i]), want = y.getFloat(i);
            assertTrue(Math.abs(got - want) <= 1e-4 + 1e-3 * Math.abs(want), "output " + i + ": " + got + " vs " + want);
        }
    }

    @Test
    void anOpenClProjectBuildsAndRunsThroughAddSubdirectory() throws IOException {
        // why: CI installs cmake, the OpenCL headers and loader and pocl (.ci/run); a machine without them must say so
        Exec.require("cmake", "apt-get install cmake");
        Path relu = TestFiles.onnxNode().resolve("test_relu");
        Path out = tmp.resolve("relu_cl");
        StringWriter o = new StringWriter(), e = new StringWriter();
        assertEquals(0, Main.execute(new PrintWriter(o), new PrintWriter(e), "compile", relu.resolve("model.onnx").toString(), "--backend", "opencl",
                "-o", out.toString(), "--name", "r"), e.toString());
        String cmake = Files.readString(out.resolve("CMakeLists.txt"));
        assertEquals(files(out, ".c"), all(Pattern.compile("\\$\\{CMAKE_CURRENT_LIST_DIR\\}/([A-Za-z0-9_]+\\.c)"), cmake, 1));
        NdArray x = TensorProtos.readPb(relu.resolve("test_data_set_0/input_0.pb"), 1 << 20);
        NdArray y = TensorProtos.readPb(relu.resolve("test_data_set_0/output_0.pb"), 1 << 20);
        Path app = Files.createDirectories(tmp.resolve("clapp"));
        Files.writeString(app.resolve("CMakeLists.txt"), String.join("\n",
                "cmake_minimum_required(VERSION 3.13)",
                "project(clconsumer C)",
                "add_subdirectory(" + out.toString().replace('\\', '/') + " r)",
                "add_executable(clconsumer main.c)",
                "target_link_libraries(clconsumer PRIVATE r)", ""));
        Files.writeString(app.resolve("main.c"), String.join("\n",
                "#include <stdio.h>",
                "#include \"r_cl.h\"",
                "static const float in[" + x.size() + "] = {" + initializer(x) + "};",
                "static float out[" + y.size() + "];",
                "int main(void)",
                "{",
                "    r_cl m;",
                "    int i;",
                "    if (r_cl_init(&m, -1) != 0) return 1;",
                "    if (r_cl_run(&m, in, out) != 0) return 2;",
                "    r_cl_release(&m);",
                "    for (i = 0; i < " + y.size() + "; i++) printf(\"%.9g\\n\", (double)out[i]);",
                "    return 0;",
                "}", ""));
        Path build = tmp.resolve("clbuild");
        Exec.Result conf = Exec.run(List.of("cmake", "-S", app.toString(), "-B", build.toString()), tmp, 120);
        assertEquals(0, conf.exit(), "cmake found no OpenCL (apt-get install ocl-icd-opencl-dev opencl-headers)?\n" + conf.out() + conf.err());
        Exec.Result make = Exec.run(List.of("cmake", "--build", build.toString()), tmp, 300);
        assertEquals(0, make.exit(), make.out() + make.err());
        Exec.Result run = Exec.run(List.of(build.resolve("clconsumer").toString()), tmp, 120);
        assertEquals(0, run.exit(), "no OpenCL device (apt-get install pocl-opencl-icd)?\n" + run.err());
        String[] lines = run.out().trim().split("\\s+");
        assertEquals(y.size(), lines.length, run.out());
        for (int i = 0; i < y.size(); i++) assertEquals(y.getFloat(i), Float.parseFloat(lines[i]), 1e-6f, "output " + i);
    }
}
