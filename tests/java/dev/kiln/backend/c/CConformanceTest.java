package dev.kiln.backend.c;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.backend.Target;
import dev.kiln.check.BackendRefusals;
import dev.kiln.check.Checker;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.toolchain.CProgramRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The C backend against ONNX's conformance cases and Kiln's bundled models: every case the interpreter passes
 * is compiled with the host's gcc ({@code -std=c99 -Wall -Wextra -Werror -pedantic}), run, and compared with
 * the recorded outputs, under AddressSanitizer and UBSan without recovery (sanitizing the ONNX cases cost no
 * measurable time when it was introduced); the MLPerf Tiny float and digits models
 * also run on every Cortex-M target under qemu. Cases are built many to a program. The cases listed in
 * {@code tests/onnx-node/EXPECTED_REFUSALS.txt} must still be refused up front, for the reason listed.
 */
class CConformanceTest {
    /** The MLPerf Tiny float models and the digits models: the set every MCU target must run. */
    static final List<String> MCU_MODELS = List.of("digits_lenet5_op13", "digits_mlp_op13", "ds_cnn_kws_op13",
            "fc_autoencoder_ad_op13", "mobilenet_v1_025_vww_op13", "resnet8_cifar10_op13");

    private static Stream<DynamicTest> run(List<Path> dirs, String target, boolean sanitize, double atol, String label) {
        return run(dirs, target, sanitize, atol, label, r -> assertTrue(r.passed(), r.line()));
    }

    /** As above, each result judged by {@code verdict}. */
    private static Stream<DynamicTest> run(List<Path> dirs, String target, boolean sanitize, double atol, String label,
                                           java.util.function.Consumer<Checker.Result> verdict) {
        List<TestCase> cases = new ArrayList<>();
        for (Path d : dirs) cases.addAll(TestCase.find(List.of(d)));
        Checker checker = new Checker(new CProgramRunner(Target.load(target), sanitize, null), 1e-3, atol, ImportOptions::new, null);
        Map<String, Checker.Result> results = new LinkedHashMap<>();
        for (Checker.Result r : checker.checkAll(cases, cases.size(), r -> {})) results.put(r.name(), r);
        return results.values().stream().map(r -> DynamicTest.dynamicTest(label + " " + r.name(), () -> verdict.accept(r)));
    }

    /**
     * Every case the interpreter passes; a case may fail only by the backend refusing, up front, ops that declare
     * {@code @NoKernel(backend = "c")}, or as {@code EXPECTED_REFUSALS.txt} lists it.
     */
    @TestFactory
    Stream<DynamicTest> onnxNodeCasesOnHost() {
        Map<String, String> interpFailures = TestFiles.readList(TestFiles.onnxNode().resolve("EXPECTED_FAILURES.txt"));
        List<Path> dirs = TestFiles.caseDirs(TestFiles.onnxNode())
                .filter(d -> !interpFailures.containsKey(d.getFileName().toString())).toList();
        Map<String, List<String>> listed = BackendRefusals.expected("C");
        return run(dirs, "host", true, 1e-5, "c/host --sanitize", r -> BackendRefusals.assertPassedOrRefused(r, listed, "C"));
    }

    @TestFactory
    Stream<DynamicTest> modelsOnHostWithSanitizers() {
        List<Path> all = TestFiles.caseDirs(TestFiles.models()).toList();
        List<Path> quantized = all.stream().filter(dev.kiln.QuantTesting::quantized).toList();
        List<Path> plain = all.stream().filter(d -> !quantized.contains(d)).toList();
        // a quantized model runs in int8: one output step per rounding layer (QuantTesting), so one program each
        return Stream.concat(run(plain, "host", true, 1e-4, "c/host --sanitize"),
                quantized.stream().flatMap(d -> run(List.of(d), "host", true, dev.kiln.QuantTesting.tolerance(d), "c/host --sanitize")));
    }

    /**
     * Issue 18's logic, comparison, bit, math and scan ops (ArgMax/ArgMin, CumSum/CumProd, TopK, Hardmax, Det) on
     * Cortex-M4F under qemu: a sample of each family's ONNX node cases, batched into one program.
     */
    static final List<String> ISSUE18_M4F_SAMPLE = List.of("test_and_bcast4v3d", "test_or_bcast4v2d", "test_xor4d", "test_not_3d",
            "test_less_equal_bcast", "test_greater", "test_bitshift_right_uint16", "test_bitwise_xor_i16_3d", "test_sin", "test_acosh",
            "test_atanh", "test_tan", "test_round", "test_sign", "test_isinf", "test_isnan", "test_mod_mixed_sign_int32",
            "test_mod_mixed_sign_float32", "test_mod_broadcast", "test_shrink_soft", "test_thresholdedrelu_default",
            "test_argmax_negative_axis_keepdims_random_select_last_index", "test_argmin_no_keepdims_example", "test_cumsum_2d_axis_1",
            "test_cumprod_1d_reverse_exclusive", "test_top_k_smallest", "test_top_k_same_values_2d", "test_hardmax_axis_1", "test_det_nd",
            "test_adam_multiple", "test_nesterov_momentum", "test_adagrad", "test_optional_has_element_tensor_input");

    @TestFactory
    Stream<DynamicTest> issue18OpsOnCortexM4f() {
        List<Path> dirs = ISSUE18_M4F_SAMPLE.stream().map(c -> TestFiles.onnxNode().resolve(c)).toList();
        return run(dirs, "cortex-m4f", false, 1e-5, "c/cortex-m4f");
    }

    /**
     * Every bundled Cortex-M target, each running the MCU model set under qemu (a few seconds per target). The float
     * models whose weights exceed cortex-m0plus's 256 KiB of flash (its flash.limit) are refused there, with the
     * bytes they are over, although the test program would run on the AN385 board.
     */
    @TestFactory
    Stream<DynamicTest> mcuModelsOnEveryCortexM() {
        List<Path> dirs = MCU_MODELS.stream().map(m -> TestFiles.models().resolve(m)).toList();
        return Stream.of("cortex-m0plus", "cortex-m3", "cortex-m4f", "cortex-m7", "cortex-m33", "cortex-m55")
                .flatMap(t -> run(dirs, t, false, 1e-4, "c/" + t, r -> {
                    if (t.equals("cortex-m0plus") && OVER_M0PLUS_FLASH.contains(r.name()))
                        assertTrue(!r.passed() && r.line().contains("does not fit the 262,144 bytes of flash of a cortex-m0plus part")
                                && r.line().contains("bytes over"), r.line());
                    else assertTrue(r.passed(), r.line());
                }));
    }

    /** The float MCU models whose code and weights are over cortex-m0plus's flash.limit (256 KiB). */
    static final java.util.Set<String> OVER_M0PLUS_FLASH = java.util.Set.of("fc_autoencoder_ad_op13", "mobilenet_v1_025_vww_op13", "resnet8_cifar10_op13");

    /**
     * A sample of each family of issue 18's index, signal, loss, ml and sampling kernels (templates/kernels/index.stg,
     * signal.stg, loss.stg, ml.stg, window.stg, sample.stg) and of the import-time decompositions FlexAttention and
     * TfIdfVectorizer on Cortex-M4F under qemu, in one program.
     */
    @TestFactory
    Stream<DynamicTest> indexSignalLossMlAndSamplingKernelsOnCortexM4f() {
        List<Path> dirs = Stream.of("test_gather_elements_negative_indices", "test_gathernd_example_int32_batch_dim1",
                "test_scatter_elements_with_reduction_max", "test_scatternd_add", "test_tensorscatter_circular", "test_onehot_with_axis",
                "test_reversesequence_batch", "test_dft_irfft", "test_stft_with_window", "test_nllloss_NCd1d2_with_weight_reduction_mean",
                "test_ai_onnx_ml_tree_ensemble_set_membership", "test_col2im_pads", "test_maxunpool_export_with_output_shape",
                "test_maxpool_with_argmax_2d_precomputed_pads", "test_gridsample_bicubic", "test_roialign_aligned_true",
                "test_deform_conv_with_mask_bias", "test_flexattention_causal_mask", "test_flexattention_gqa",
                "test_tfidfvectorizer_tf_batch_uniandbigrams_skip5").map(c -> TestFiles.onnxNode().resolve(c)).toList();
        return run(dirs, "cortex-m4f", false, 1e-4, "c/cortex-m4f");
    }

    /**
     * Control flow (issue 17) on Cortex-M4F under qemu, in one program: every If, Loop and Scan node case with tensor
     * inputs and outputs (opset 8's Scan and Kiln's own opset-8 cases among them), the expansions that use them
     * (linear attention's Scan, Range's Loop, affine_grid's folded If; the f16 one stays refused inside its Scan),
     * and every control-flow model.
     */
    @TestFactory
    Stream<DynamicTest> controlFlowOnCortexM4f() throws java.io.IOException {
        List<Path> cases;
        try (Stream<Path> all = java.nio.file.Files.list(TestFiles.onnxNode())) {
            cases = all.filter(d -> {
                String n = d.getFileName().toString();
                return n.matches("test_(if|loop11|scan9_.*|scan_sum|kiln_scan8_.*)")
                        || n.matches("test_(linear_attention|range|affine_grid)_.*_expanded") && !n.contains("fp16");
            }).sorted().toList();
        }
        assertTrue(cases.size() >= 29, "control-flow cases: " + cases);
        List<Path> models;
        try (Stream<Path> all = java.nio.file.Files.list(TestFiles.models().resolve("control_flow"))) {
            models = all.filter(java.nio.file.Files::isDirectory).sorted().toList();
        }
        assertTrue(models.size() >= 6, "control-flow models: " + models);
        return run(Stream.concat(cases.stream(), models.stream()).toList(), "cortex-m4f", false, 1e-4, "c/cortex-m4f");
    }

    /** The control-flow models on Cortex-M0+ (no FPU, software float) under qemu, in one program: all of them fit. */
    @TestFactory
    Stream<DynamicTest> controlFlowModelsOnCortexM0plus() throws java.io.IOException {
        List<Path> models;
        try (Stream<Path> all = java.nio.file.Files.list(TestFiles.models().resolve("control_flow"))) {
            models = all.filter(java.nio.file.Files::isDirectory).sorted().toList();
        }
        return run(models, "cortex-m0plus", false, 1e-4, "c/cortex-m0plus");
    }
}
