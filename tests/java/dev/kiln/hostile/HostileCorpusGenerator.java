package dev.kiln.hostile;

import static dev.kiln.frontend.onnx.OnnxModels.graph;
import static dev.kiln.frontend.onnx.OnnxModels.intAttr;
import static dev.kiln.frontend.onnx.OnnxModels.model;
import static dev.kiln.frontend.onnx.OnnxModels.node;
import static dev.kiln.frontend.onnx.OnnxModels.tensor;

import com.google.protobuf.ByteString;
import dev.kiln.TestFiles;
import dev.kiln.frontend.onnx.proto.Onnx.AttributeProto;
import dev.kiln.frontend.onnx.proto.Onnx.FunctionProto;
import dev.kiln.frontend.onnx.proto.Onnx.GraphProto;
import dev.kiln.frontend.onnx.proto.Onnx.ModelProto;
import dev.kiln.frontend.onnx.proto.Onnx.NodeProto;
import dev.kiln.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import dev.kiln.frontend.onnx.proto.Onnx.StringStringEntryProto;
import dev.kiln.frontend.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the hostile-input corpus under {@code tests/hostile/} (the ONNX models and the generated DSL files;
 * the {@code .expected} files are written by hand). The files are committed, so they are fixed inputs; run
 * this only to regenerate them after changing a case:
 * {@code java -cp target/classes:target/test-classes:$(cat cp.txt) dev.kiln.hostile.HostileCorpusGenerator}.
 * Also builds, at test time, the cases too large to commit (a million-node model).
 */
public final class HostileCorpusGenerator {
    private static final int FLOAT = 1, INT64 = 7, STRING = 8, FLOAT8E4M3FN = 17, INT4 = 22, UINT2 = 25;

    private HostileCorpusGenerator() {}

    /** Regenerates the corpus files under the repository's {@code tests/hostile}. */
    public static void main(String[] args) throws IOException {
        Path root = args.length > 0 ? Path.of(args[0]) : TestFiles.root().resolve("tests/hostile");
        for (Map.Entry<String, byte[]> e : onnxCases().entrySet()) write(root.resolve("onnx").resolve(e.getKey()), e.getValue());
        write(root.resolve("onnx/data/ext.bin"), new byte[16]);
        for (Map.Entry<String, byte[]> e : dslCases().entrySet()) write(root.resolve("dsl").resolve(e.getKey()), e.getValue());
        writeNamesCase(root.resolve("names"));
        writeFloat8NanCase(root.resolve("values/float8_nan_weight"));
        write(root.resolve("dsl/data/npz_bomb.npz"), npzBomb(25_000_000));
    }

    /** A .npz whose one member, {@code w.npy}, holds {@code n} float zeros: 100 MB that deflate to about 100 KB. */
    static byte[] npzBomb(int n) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(bytes)) {
            java.util.zip.ZipEntry e = new java.util.zip.ZipEntry("w.npy");
            e.setTime(315532800000L);
            zip.putNextEntry(e);
            StringBuilder h = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': (" + n + ",), }");
            while ((10 + h.length() + 1) % 64 != 0) h.append(' ');
            h.append('\n');
            ByteBuffer head = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
            head.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) h.length());
            zip.write(head.array());
            zip.write(h.toString().getBytes(StandardCharsets.US_ASCII));
            byte[] zeros = new byte[1 << 20];
            for (long left = 4L * n; left > 0; left -= zeros.length) zip.write(zeros, 0, (int) Math.min(zeros.length, left));
            zip.closeEntry();
        }
        return bytes.toByteArray();
    }

    /** Names that could break generated C or OpenCL: quotes, comment ends, newlines, trigraphs, keywords, non-ASCII. */
    static final String IN = "x\"*/\n??/", OUT = "y\\n*/??=\"", C1 = "a_b", C2 = "na\u00efve \u00b5 \u2014 \ud83d\ude00";

    /**
     * A valid model whose value and node names are hostile to code generators, with its expected output
     * computed here by hand ((relu(x) + c1) * c2), so {@code kiln check} can run it on every backend.
     */
    static void writeNamesCase(Path dir) throws IOException {
        float[] x = {-1f, 0.5f, 2f, -3f}, c1 = {1f, 2f, 3f, 4f}, c2 = {0.5f, -1f, 2f, 0.25f};
        float[] y = new float[4];
        for (int i = 0; i < 4; i++) y[i] = (Math.max(x[i], 0f) + c1[i]) * c2[i];
        ModelProto m = model(graph("g\"*/ name").addInput(tensor(IN, FLOAT, 1, 4)).addOutput(tensor(OUT, FLOAT, 1, 4))
                .addInitializer(floats(C1, new long[] {4}, c1)).addInitializer(floats(C2, new long[] {4}, c2))
                .addNode(node("Relu", List.of(IN), List.of("a.b"), "int"))
                .addNode(node("Add", List.of("a.b", C1), List.of("9lives"), "*/ #error hostile\n/* \"return\" \\"))
                .addNode(node("Mul", List.of("9lives", C2), List.of(OUT), "return")), 13);
        write(dir.resolve("model.onnx"), m.toByteArray());
        write(dir.resolve("test_data_set_0/input_0.pb"), floats(IN, new long[] {1, 4}, x).toByteArray());
        write(dir.resolve("test_data_set_0/output_0.pb"), floats(OUT, new long[] {1, 4}, y).toByteArray());
    }

    private static void write(Path p, byte[] data) throws IOException {
        Files.createDirectories(p.getParent());
        Files.write(p, data);
    }

    /** A model of {@code n} chained Relu nodes, too large to commit: the node limit must stop it early. */
    public static ModelProto chain(int n) {
        GraphProto.Builder g = graph("chain").addInput(tensor("x", FLOAT, 1, 4)).addOutput(tensor("v" + n, FLOAT, 1, 4));
        for (int i = 0; i < n; i++) g.addNode(node("Relu", List.of(i == 0 ? "x" : "v" + i), List.of("v" + (i + 1)), null));
        return model(g, 13);
    }

    static Map<String, byte[]> onnxCases() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        byte[] good = relu().toByteArray();
        m.put("empty.onnx", new byte[0]);
        m.put("text.onnx", "this is a README, not a model\n".getBytes(StandardCharsets.UTF_8));
        m.put("png_bytes.onnx", new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'});
        m.put("git_lfs_pointer.onnx", ("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 4981\n").getBytes(StandardCharsets.UTF_8));
        m.put("truncated.onnx", Arrays.copyOf(good, good.length / 2));
        // ir_version = 8, then field 7 (graph) written as a varint instead of a message
        m.put("graph_wrong_wire_type.onnx", new byte[] {0x08, 0x08, 0x38, 0x05});
        m.put("no_graph.onnx", ModelProto.newBuilder().setIrVersion(8).build().toByteArray());
        // a length prefix that claims 2^31 bytes
        m.put("length_past_end.onnx", new byte[] {0x08, 0x08, 0x3a, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08, 0x0a});

        m.put("cycle.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 4)).addOutput(tensor("d", FLOAT, 1, 4))
                .addNode(node("Add", List.of("x", "d"), List.of("c"), "add"))
                .addNode(node("Relu", List.of("c"), List.of("d"), "relu")), 13).toByteArray());
        m.put("dangling_input.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 4)).addOutput(tensor("y", FLOAT, 1, 4))
                .addNode(node("Add", List.of("x", "nowhere"), List.of("y"), "add")), 13).toByteArray());
        m.put("dangling_output.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 4)).addOutput(tensor("missing", FLOAT, 1, 4))
                .addNode(node("Relu", List.of("x"), List.of("y"), "relu")), 13).toByteArray());
        m.put("duplicate_node_output.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 4)).addOutput(tensor("y", FLOAT, 1, 4))
                .addNode(node("Relu", List.of("x"), List.of("y"), "relu1"))
                .addNode(node("Sigmoid", List.of("x"), List.of("y"), "sigmoid2")), 13).toByteArray());
        m.put("duplicate_initializer.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 2)).addOutput(tensor("y", FLOAT, 1, 2))
                .addInitializer(floats("w", new long[] {2}, 1, 2)).addInitializer(floats("w", new long[] {2}, 3, 4))
                .addNode(node("Add", List.of("x", "w"), List.of("y"), "add")), 13).toByteArray());
        m.put("duplicate_input.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 2)).addInput(tensor("x", FLOAT, 1, 3))
                .addOutput(tensor("y", FLOAT, 1, 2)).addNode(node("Relu", List.of("x"), List.of("y"), "relu")), 13).toByteArray());
        m.put("missing_initializer.onnx", model(graph("g").addInput(tensor("x", FLOAT, 2, 3)).addOutput(tensor("y", FLOAT, 6))
                .addNode(node("Reshape", List.of("x", "shape"), List.of("y"), "reshape")), 13).toByteArray());

        // a data-dependent size (NonZero) asked to reserve 2^40 elements (--bound in the .expected), and its
        // bounded output read by a node that cannot take one
        m.put("bound_huge.onnx", model(graph("g").addInput(tensor("x", FLOAT, 4)).addOutput(tensor("y", INT64, 1, 4))
                .addNode(node("NonZero", List.of("x"), List.of("y"), "nz")), 13).toByteArray());
        m.put("bounded_unreadable.onnx", model(graph("g").addInput(tensor("x", FLOAT, 4)).addOutput(tensor("s", INT64, 1, 1))
                .addNode(node("NonZero", List.of("x"), List.of("y"), "nz"))
                .addNode(node("ReduceSum", List.of("y"), List.of("s"), "total")), 13).toByteArray());
        // a Range whose limit is a graph input and that has no --bound; the size of NonZero's bounded axis read by Shape
        m.put("range_unbounded.onnx", model(graph("g").addInput(tensor("n", INT64)).addOutput(tensor("r", INT64, 4))
                .addInitializer(longs("zero", new long[] {}, 0)).addInitializer(longs("one", new long[] {}, 1))
                .addNode(node("Range", List.of("zero", "n", "one"), List.of("r"), "steps")), 13).toByteArray());
        // a Range over the square of NonZero's run-time count: Kiln derives bounds through sums and products with
        // constants, not through the product of two run-time values; NonZero's bounded output concatenated with a
        // fixed-size value along another axis (their slices would not line up)
        m.put("range_bound_underived.onnx", model(graph("g").addInput(tensor("x", FLOAT, 4)).addOutput(tensor("r", INT64, 8))
                .addInitializer(longs("zero", new long[] {}, 0)).addInitializer(longs("one", new long[] {}, 1))
                .addInitializer(longs("two", new long[] {}, 2)).addInitializer(longs("last", new long[] {}, 1))
                .addNode(node("NonZero", List.of("x"), List.of("y"), "nz"))
                .addNode(node("Shape", List.of("y"), List.of("s"), "size"))
                .addNode(node("Gather", List.of("s", "last"), List.of("n"), "count", intAttr("axis", 0)))
                .addNode(node("Mul", List.of("n", "n"), List.of("n2"), "square"))
                .addNode(node("Range", List.of("zero", "n2", "one"), List.of("r"), "steps")), 13).toByteArray());
        // a Reshape of NonZero's [2, N] output (x is 2-D) to [2N]: it would mix the padding of row 0 into the result
        m.put("reshape_bounded_gather.onnx", model(graph("g").addInput(tensor("x", FLOAT, 2, 3)).addOutput(tensor("y", INT64, 12))
                .addInitializer(longs("flat", new long[] {1}, -1))
                .addNode(node("NonZero", List.of("x"), List.of("nzo"), "nz"))
                .addNode(node("Reshape", List.of("nzo", "flat"), List.of("y"), "flatten")), 13).toByteArray());
        // Expand to the run-time Shape of NonZero's output: Expand's shape must be known at compile time
        m.put("shape_bounded_constant.onnx", model(graph("g").addInput(tensor("x", FLOAT, 4)).addOutput(tensor("y", FLOAT, 1, 4))
                .addInitializer(floats("v", new long[] {}, 1f))
                .addNode(node("NonZero", List.of("x"), List.of("nzo"), "nz"))
                .addNode(node("Shape", List.of("nzo"), List.of("s"), "size"))
                .addNode(node("Expand", List.of("v", "s"), List.of("y"), "fill")), 13).toByteArray());
        // NonZero of a 4- and of a 6-element input stacked along axis 0: run-time sizes from different nodes with
        // different bounds (equal ones are checked equal at run time)
        m.put("concat_bounded_apart.onnx", model(graph("g").addInput(tensor("x", FLOAT, 4)).addInput(tensor("z", FLOAT, 6))
                .addOutput(tensor("y", INT64, 2, 4))
                .addNode(node("NonZero", List.of("x"), List.of("nx"), "nzx"))
                .addNode(node("NonZero", List.of("z"), List.of("nz"), "nzz"))
                .addNode(node("Concat", List.of("nx", "nz"), List.of("y"), "stack", intAttr("axis", 0))), 13).toByteArray());
        m.put("concat_bounded_fixed.onnx", model(graph("g").addInput(tensor("x", FLOAT, 4)).addOutput(tensor("y", INT64, 3, 4))
                .addInitializer(longs("c", new long[] {2, 4}, 0, 1, 2, 3, 4, 5, 6, 7))
                .addNode(node("NonZero", List.of("x"), List.of("nzo"), "nz"))
                .addNode(node("Concat", List.of("nzo", "c"), List.of("y"), "join", intAttr("axis", 0))), 13).toByteArray());
        m.put("add_shape_mismatch.onnx", model(graph("g").addInput(tensor("a", FLOAT, 2, 3)).addInput(tensor("b", FLOAT, 4, 5))
                .addOutput(tensor("y", FLOAT, 2, 3)).addNode(node("Add", List.of("a", "b"), List.of("y"), "add")), 13).toByteArray());
        // a per-axis scale of 3 values and a zero point of 2: ONNX Runtime refuses it too (no single meaning)
        m.put("dequantize_zero_point_mismatch.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 3)).addOutput(tensor("y", FLOAT, 1, 3))
                .addInitializer(int8s("q", new long[] {3}, 1, 2, 3)).addInitializer(floats("s", new long[] {3}, 0.5f, 0.25f, 0.125f))
                .addInitializer(int8s("z", new long[] {2}, 0, 1))
                .addNode(node("DequantizeLinear", List.of("q", "s", "z"), List.of("w"), "dq", intAttr("axis", 0)))
                .addNode(node("Add", List.of("x", "w"), List.of("y"), "add")), 13).toByteArray());
        m.put("matmul_shape_mismatch.onnx", model(graph("g").addInput(tensor("a", FLOAT, 2, 3)).addInput(tensor("b", FLOAT, 4, 5))
                .addOutput(tensor("y", FLOAT, 2, 5)).addNode(node("MatMul", List.of("a", "b"), List.of("y"), "matmul")), 13).toByteArray());
        m.put("conv_channel_mismatch.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 3, 8, 8)).addOutput(tensor("y", FLOAT, 1, 4, 6, 6))
                .addInitializer(floats("w", new long[] {4, 5, 3, 3}, new float[180]))
                .addNode(node("Conv", List.of("x", "w"), List.of("y"), "conv")), 13).toByteArray());
        m.put("conv_stride_zero.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 1, 4, 4)).addOutput(tensor("y", FLOAT, 1, 1, 4, 4))
                .addInitializer(floats("w", new long[] {1, 1, 1, 1}, 1))
                .addNode(node("Conv", List.of("x", "w"), List.of("y"), "conv", ints("strides", 0, 0))), 13).toByteArray());
        m.put("transpose_bad_perm.onnx", model(graph("g").addInput(tensor("x", FLOAT, 2, 3)).addOutput(tensor("y", FLOAT, 3, 2))
                .addNode(node("Transpose", List.of("x"), List.of("y"), "transpose", ints("perm", 0, 0))), 13).toByteArray());
        m.put("reshape_count_mismatch.onnx", model(graph("g").addInput(tensor("x", FLOAT, 2, 3)).addOutput(tensor("y", FLOAT, 7))
                .addInitializer(longs("shape", new long[] {1}, 7))
                .addNode(node("Reshape", List.of("x", "shape"), List.of("y"), "reshape")), 13).toByteArray());
        m.put("concat_bad_axis.onnx", model(graph("g").addInput(tensor("x", FLOAT, 2, 3)).addOutput(tensor("y", FLOAT, 4, 3))
                .addNode(node("Concat", List.of("x", "x"), List.of("y"), "concat", intAttr("axis", 99))), 13).toByteArray());
        m.put("gather_index_out_of_range.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 3)).addOutput(tensor("y", FLOAT, 1, 3))
                .addInitializer(floats("data", new long[] {3}, 1, 2, 3)).addInitializer(longs("idx", new long[] {1}, 100))
                .addNode(node("Gather", List.of("data", "idx"), List.of("g"), "gather"))
                .addNode(node("Add", List.of("x", "g"), List.of("y"), "add")), 13).toByteArray());
        m.put("attribute_wrong_type.onnx", model(graph("g").addInput(tensor("x", FLOAT, 2, 3)).addOutput(tensor("y", FLOAT, 3, 2))
                .addNode(node("Transpose", List.of("x"), List.of("y"), "transpose",
                        AttributeProto.newBuilder().setName("perm").setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8("1,0")).build())), 13).toByteArray());

        m.put("input_negative_dim.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, -5)).addOutput(tensor("y", FLOAT, 1, 5))
                .addNode(node("Relu", List.of("x"), List.of("y"), "relu")), 13).toByteArray());
        m.put("maxpool_kernel_zero.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 1, 4, 4)).addOutput(tensor("y", FLOAT, 1, 1, 4, 4))
                .addNode(node("MaxPool", List.of("x"), List.of("y"), "pool", ints("kernel_shape", 0, 0))), 13).toByteArray());
        m.put("conv_weight_zero_dim.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 1, 4, 4)).addOutput(tensor("y", FLOAT, 1, 1, 4, 4))
                .addInitializer(floats("w", new long[] {1, 1, 0, 3}))
                .addNode(node("Conv", List.of("x", "w"), List.of("y"), "conv")), 13).toByteArray());
        m.put("input_dim_over_int.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 1L << 40)).addOutput(tensor("y", FLOAT, 1, 1L << 40))
                .addNode(node("Relu", List.of("x"), List.of("y"), "relu")), 13).toByteArray());
        m.put("input_too_large.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 3, 100000, 100000)).addOutput(tensor("y", FLOAT, 1, 3, 100000, 100000))
                .addNode(node("Relu", List.of("x"), List.of("y"), "relu")), 13).toByteArray());
        m.put("input_huge_rank.onnx", model(graph("g").addInput(tensor("x", FLOAT, ones(5000))).addOutput(tensor("y", FLOAT, ones(5000)))
                .addNode(node("Relu", List.of("x"), List.of("y"), "relu")), 13).toByteArray());
        m.put("initializer_negative_dim.onnx", withInit(TensorProto.newBuilder().setName("w").setDataType(FLOAT).addDims(-1)
                .setRawData(ByteString.copyFrom(new byte[4])).build()));
        m.put("initializer_count_overflow.onnx", withInit(TensorProto.newBuilder().setName("w").setDataType(FLOAT)
                .addDims(1L << 32).addDims(1L << 32).addDims(8).build()));
        m.put("initializer_bytes_overflow.onnx", withInit(TensorProto.newBuilder().setName("w").setDataType(FLOAT)
                .addDims(1L << 31).addDims(1L << 31).build()));
        m.put("initializer_over_limit.onnx", withInit(floats("w", new long[] {1000}, new float[1000])));
        m.put("raw_data_short.onnx", withInit(TensorProto.newBuilder().setName("w").setDataType(FLOAT).addDims(4)
                .setRawData(ByteString.copyFrom(new byte[8])).build()));
        m.put("raw_data_long.onnx", withInit(TensorProto.newBuilder().setName("w").setDataType(FLOAT).addDims(2)
                .setRawData(ByteString.copyFrom(new byte[16])).build()));
        // issue 19: sub-byte tensors whose packed data is one byte (one int32_data entry) short
        m.put("int4_raw_data_short.onnx", dequantized(TensorProto.newBuilder().setName("w").setDataType(INT4).addDims(5)
                .setRawData(ByteString.copyFrom(new byte[2])).build()));
        m.put("uint2_typed_data_short.onnx", dequantized(TensorProto.newBuilder().setName("w").setDataType(UINT2).addDims(9)
                .addInt32Data(0x1B).addInt32Data(0xE4).build()));
        m.put("typed_data_short.onnx", withInit(TensorProto.newBuilder().setName("w").setDataType(FLOAT).addDims(4)
                .addFloatData(1).addFloatData(2).addFloatData(3).build()));
        m.put("unknown_dtype_initializer.onnx", withInit(TensorProto.newBuilder().setName("w").setDataType(99).addDims(2)
                .setRawData(ByteString.copyFrom(new byte[8])).build()));
        m.put("string_dtype_input.onnx", model(graph("g").addInput(tensor("x", STRING, 1, 4)).addOutput(tensor("y", STRING, 1, 4))
                .addNode(node("Identity", List.of("x"), List.of("y"), "identity")), 13).toByteArray());
        long[] many = new long[70000];
        for (int i = 0; i < many.length; i++) many[i] = i;
        m.put("huge_attribute_list.onnx", model(graph("g").addInput(tensor("x", FLOAT, 2, 3)).addOutput(tensor("y", FLOAT, 3, 2))
                .addNode(node("Transpose", List.of("x"), List.of("y"), "transpose", ints("perm", many))), 13).toByteArray());

        m.put("unknown_op.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 4)).addOutput(tensor("y", FLOAT, 1, 4))
                .addNode(node("FrobnicateTensor", List.of("x"), List.of("y"), "frob")), 13).toByteArray());
        m.put("unknown_domain.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 4)).addOutput(tensor("y", FLOAT, 1, 4))
                .addNode(node("Relu", List.of("x"), List.of("y"), "relu").toBuilder().setDomain("com.evil").build()), 13).toByteArray());
        m.put("opset_missing.onnx", relu().toBuilder().clearOpsetImport().build().toByteArray());
        m.put("opset_absurd.onnx", relu().toBuilder().clearOpsetImport()
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(1L << 40)).build().toByteArray());
        m.put("opset_negative.onnx", relu().toBuilder().clearOpsetImport()
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(-3)).build().toByteArray());

        m.put("function_recursive.onnx", withFunctions(function("f", node("f", List.of("a"), List.of("b"), "call_f"))));
        m.put("function_mutual_recursion.onnx", withFunctions(function("f", node("g", List.of("a"), List.of("b"), "call_g")),
                function("g", node("f", List.of("a"), List.of("b"), "call_f"))));
        FunctionProto[] fan = new FunctionProto[26];
        for (int i = 0; i < 25; i++) {
            String callee = "f" + (i + 1);
            fan[i] = function("f" + i, node(callee, List.of("a"), List.of("t"), "first"), node(callee, List.of("t"), List.of("b"), "second"));
        }
        fan[25] = function("f25", node("Relu", List.of("a"), List.of("b"), "relu"));
        m.put("function_exponential_fanout.onnx", withFunctions(fan));
        m.put("subgraph_nested_deep.onnx", model(graph("g").addInput(tensor("c", 9, 1)).addOutput(tensor("y", FLOAT, 1))
                .addNode(nestedIf(150)), 13).toByteArray());
        // issue 17: regions (If branches, Loop bodies)
        m.put("region_nested_10000.onnx", model(graph("g").addInput(tensor("c", 9, 1)).addOutput(tensor("y", FLOAT, 1))
                .addNode(nestedIf(10_000)), 13).toByteArray());
        m.put("region_nested_20.onnx", model(graph("g").addInput(tensor("c", 9, 1)).addOutput(tensor("y", FLOAT, 1))
                .addNode(nestedIf(20)), 13).toByteArray());
        m.put("region_function_recursion.onnx", withFunctions(FunctionProto.newBuilder().setName("f").setDomain("local").addInput("a").addOutput("b")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("local").setVersion(1))
                .addNode(node("Constant", List.of(), List.of("c"), "cond", AttributeProto.newBuilder().setName("value")
                        .setType(AttributeProto.AttributeType.TENSOR).setT(TensorProto.newBuilder().setName("c").setDataType(9).addInt32Data(1)).build()))
                .addNode(node("Relu", List.of("a"), List.of("a2"), "relu_in"))
                .addNode(node("If", List.of("c"), List.of("b"), "branch", graphAttr("then_branch", GraphProto.newBuilder().setName("then")
                                .addNode(node("f", List.of("a2"), List.of("r"), "call_f").toBuilder().setDomain("local").build())
                                .addOutput(tensor("r", FLOAT, 1, 4)).build()),
                        graphAttr("else_branch", GraphProto.newBuilder().setName("else")
                                .addNode(node("Relu", List.of("a2"), List.of("r"), "relu")).addOutput(tensor("r", FLOAT, 1, 4)).build())))
                .build()));
        m.put("loop_trip_count_huge.onnx", model(graph("g").addInput(tensor("x", FLOAT, 4)).addOutput(tensor("y", FLOAT, 4))
                .addInitializer(longs("m", new long[] {}, 1L << 62))
                .addNode(node("Loop", List.of("m", "", "x"), List.of("y"), "loop", graphAttr("body", GraphProto.newBuilder().setName("body")
                        .addInput(tensor("i", INT64)).addInput(tensor("c", 9)).addInput(tensor("v", FLOAT, 4))
                        .addNode(node("Identity", List.of("c"), List.of("c_out"), "keep"))
                        .addNode(node("Relu", List.of("v"), List.of("v_out"), "relu"))
                        .addOutput(tensor("c_out", 9)).addOutput(tensor("v_out", FLOAT, 4)).build()))), 13).toByteArray());
        // why: opset-8 Scan is expanded per batch entry at import, which needs sequence_lens at compile time
        m.put("scan8_sequence_lens_at_run_time.onnx", model(graph("g").addInput(tensor("lens", INT64, 1)).addInput(tensor("s", FLOAT, 1, 2))
                .addInput(tensor("x", FLOAT, 1, 3, 2)).addOutput(tensor("s_final", FLOAT, 1, 2)).addOutput(tensor("ys", FLOAT, 1, 3, 2))
                .addNode(node("Scan", List.of("lens", "s", "x"), List.of("s_final", "ys"), "scan", intAttr("num_scan_inputs", 1),
                        graphAttr("body", GraphProto.newBuilder().setName("body")
                        .addInput(tensor("s_in", FLOAT, 2)).addInput(tensor("x_in", FLOAT, 2))
                        .addNode(node("Add", List.of("s_in", "x_in"), List.of("s_out"), "add"))
                        .addNode(node("Identity", List.of("s_out"), List.of("y_out"), "copy"))
                        .addOutput(tensor("s_out", FLOAT, 2)).addOutput(tensor("y_out", FLOAT, 2)).build()))), 8).toByteArray());
        m.put("region_undefined_outer_name.onnx", model(graph("g").addInput(tensor("c", 9)).addInput(tensor("x", FLOAT, 4))
                .addOutput(tensor("y", FLOAT, 4))
                .addNode(node("If", List.of("c"), List.of("y"), "choose",
                        graphAttr("then_branch", GraphProto.newBuilder().setName("then").addNode(node("Relu", List.of("nowhere"), List.of("r"), "relu"))
                                .addOutput(tensor("r", FLOAT, 4)).build()),
                        graphAttr("else_branch", GraphProto.newBuilder().setName("else").addNode(node("Neg", List.of("x"), List.of("r"), "neg"))
                                .addOutput(tensor("r", FLOAT, 4)).build()))), 13).toByteArray());
        m.put("if_branch_types_differ.onnx", model(graph("g").addInput(tensor("c", 9)).addInput(tensor("x", FLOAT, 4))
                .addOutput(tensor("y", FLOAT, 4))
                .addNode(node("If", List.of("c"), List.of("y"), "choose",
                        graphAttr("then_branch", GraphProto.newBuilder().setName("then").addNode(node("Relu", List.of("x"), List.of("r"), "relu"))
                                .addOutput(tensor("r", FLOAT, 4)).build()),
                        graphAttr("else_branch", GraphProto.newBuilder().setName("else").addInitializer(longs("k", new long[] {4}, 1, 2, 3, 4))
                                .addNode(node("Identity", List.of("k"), List.of("r"), "ints"))
                                .addOutput(tensor("r", INT64, 4)).build()))), 13).toByteArray());

        m.put("external_absolute.onnx", external("/etc/passwd", 0, -1));
        m.put("external_dotdot.onnx", external("data/../../outside.bin", 0, -1));
        m.put("external_symlink.onnx", external("link.bin", 0, -1));
        m.put("external_offset_past_end.onnx", external("data/ext.bin", 1000, -1));
        m.put("external_length_past_end.onnx", external("data/ext.bin", 8, 16));
        m.put("external_missing_file.onnx", external("data/nothere.bin", 0, -1));
        m.put("external_bad_offset.onnx", external("data/ext.bin", -4, 16));
        m.put("external_nul_in_location.onnx", external("data/ext\0.bin", 0, -1));
        m.put("constants_over_total_limit.onnx", model(graph("g").addInput(tensor("x", FLOAT, 200)).addOutput(tensor("y", FLOAT, 200))
                .addInitializer(floats("a", new long[] {200}, new float[200])).addInitializer(floats("b", new long[] {200}, new float[200]))
                .addNode(node("Add", List.of("x", "a"), List.of("t"), "add1"))
                .addNode(node("Add", List.of("t", "b"), List.of("y"), "add2")), 13).toByteArray());
        m.put("conv_pads_huge.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 1, 4, 4)).addOutput(tensor("y", FLOAT, 1, 1, 4, 4))
                .addInitializer(floats("w", new long[] {1, 1, 1, 1}, 1))
                .addNode(node("Conv", List.of("x", "w"), List.of("y"), "conv", ints("pads", 1L << 40, 1L << 40, 1L << 40, 1L << 40))), 13).toByteArray());
        m.put("slice_step_zero.onnx", model(graph("g").addInput(tensor("x", FLOAT, 8)).addOutput(tensor("y", FLOAT, 8))
                .addInitializer(longs("starts", new long[] {1}, 0)).addInitializer(longs("ends", new long[] {1}, 8))
                .addInitializer(longs("axes", new long[] {1}, 0)).addInitializer(longs("steps", new long[] {1}, 0))
                .addNode(node("Slice", List.of("x", "starts", "ends", "axes", "steps"), List.of("y"), "slice")), 13).toByteArray());
        m.put("split_negative.onnx", model(graph("g").addInput(tensor("x", FLOAT, 8)).addOutput(tensor("a", FLOAT, 10)).addOutput(tensor("b", FLOAT, 1))
                .addInitializer(longs("split", new long[] {2}, 10, -2))
                .addNode(node("Split", List.of("x", "split"), List.of("a", "b"), "split")), 13).toByteArray());
        m.put("constant_of_shape_negative.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1)).addOutput(tensor("y", FLOAT, 1))
                .addInitializer(longs("shape", new long[] {2}, -1, 4))
                .addNode(node("ConstantOfShape", List.of("shape"), List.of("c"), "fill"))
                .addNode(node("Add", List.of("c", "x"), List.of("y"), "add")), 13).toByteArray());
        m.put("resize_nan_scale.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 1, 4, 4)).addOutput(tensor("y", FLOAT, 1, 1, 4, 4))
                .addInitializer(floats("roi", new long[] {0})).addInitializer(floats("scales", new long[] {4}, 1, 1, Float.NaN, Float.POSITIVE_INFINITY))
                .addNode(node("Resize", List.of("x", "roi", "scales"), List.of("y"), "resize")), 13).toByteArray());
        m.put("reshape_huge_dims.onnx", model(graph("g").addInput(tensor("x", FLOAT, 2, 3)).addOutput(tensor("y", FLOAT, 6))
                .addInitializer(longs("shape", new long[] {3}, 1L << 62, 1L << 62, 0))
                .addNode(node("Reshape", List.of("x", "shape"), List.of("y"), "reshape")), 13).toByteArray());
        m.put("gather_huge_negative_index.onnx", model(graph("g").addInput(tensor("x", FLOAT, 3)).addOutput(tensor("y", FLOAT, 1))
                .addInitializer(longs("idx", new long[] {1}, Long.MIN_VALUE))
                .addNode(node("Gather", List.of("x", "idx"), List.of("y"), "gather")), 13).toByteArray());
        m.put("transpose_perm_huge.onnx", model(graph("g").addInput(tensor("x", FLOAT, 2, 3)).addOutput(tensor("y", FLOAT, 3, 2))
                .addNode(node("Transpose", List.of("x"), List.of("y"), "transpose", ints("perm", 1L << 33, 0))), 13).toByteArray());
        m.put("maxpool_kernel_huge.onnx", model(graph("g").addInput(tensor("x", FLOAT, 1, 1, 4, 4)).addOutput(tensor("y", FLOAT, 1, 1, 4, 4))
                .addNode(node("MaxPool", List.of("x"), List.of("y"), "pool", ints("kernel_shape", 1L << 31, 1L << 31), ints("pads", 1L << 31, 1L << 31, 1L << 31, 1L << 31))), 13).toByteArray());
        GraphProto.Builder deep = graph("g").addInput(tensor("x", FLOAT, 2, 3)).addInput(tensor("s0", INT64, 2)).addOutput(tensor("y", FLOAT, 3, 2));
        for (int i = 0; i < 50000; i++) deep.addNode(node("Abs", List.of("s" + i), List.of("s" + (i + 1)), null));
        deep.addNode(node("Reshape", List.of("x", "s50000"), List.of("y"), "reshape"));
        m.put("shape_from_deep_chain.onnx", model(deep, 13).toByteArray());
        GraphProto.Builder diamond = graph("g").addInput(tensor("x", FLOAT, 2, 3)).addInput(tensor("s0", INT64, 2)).addOutput(tensor("y", FLOAT, 3, 2));
        for (int i = 0; i < 64; i++) diamond.addNode(node("Add", List.of("s" + i, "s" + i), List.of("s" + (i + 1)), null));
        diamond.addNode(node("Reshape", List.of("x", "s64"), List.of("y"), "reshape"));
        m.put("shape_from_diamond_chain.onnx", model(diamond, 13).toByteArray());
        return m;
    }

    static Map<String, byte[]> dslCases() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        StringBuilder deepList = new StringBuilder("input x: f32[1]\nconst w: f32[1] = ");
        for (int i = 0; i < 20000; i++) deepList.append('[');
        deepList.append('1');
        for (int i = 0; i < 20000; i++) deepList.append(']');
        deepList.append("\ny = add(x, w)\noutput y\n");
        m.put("nested_literal_deep.kiln", deepList.toString().getBytes(StandardCharsets.UTF_8));
        StringBuilder deepRepeat = new StringBuilder("input x: f32[4]\nh = x\n");
        for (int i = 0; i < 20000; i++) deepRepeat.append("repeat 1 {");
        deepRepeat.append(" h = h | relu ");
        for (int i = 0; i < 20000; i++) deepRepeat.append('}');
        deepRepeat.append("\noutput h\n");
        m.put("nested_repeat_deep.kiln", deepRepeat.toString().getBytes(StandardCharsets.UTF_8));
        StringBuilder deepCall = new StringBuilder("input x: f32[4]\ny = add(x, ");
        for (int i = 0; i < 20000; i++) deepCall.append("[");
        for (int i = 0; i < 20000; i++) deepCall.append("]");
        deepCall.append(")\noutput y\n");
        m.put("nested_argument_deep.kiln", deepCall.toString().getBytes(StandardCharsets.UTF_8));
        byte[] latin1 = "input x: f32[4]\n# caf\u00e9 written in Latin-1\ny = x | relu\noutput y\n".getBytes(StandardCharsets.ISO_8859_1);
        m.put("not_utf8.kiln", latin1);
        m.put("nul_bytes.kiln", "input x: f32[4]\ny = x |\0relu\noutput y\n".getBytes(StandardCharsets.UTF_8));
        return m;
    }

    private static ModelProto relu() {
        return model(graph("g").addInput(tensor("x", FLOAT, 1, 4)).addOutput(tensor("y", FLOAT, 1, 4))
                .addNode(node("Relu", List.of("x"), List.of("y"), "relu")), 13);
    }

    private static Object[] ones(int n) {
        Object[] r = new Object[n];
        Arrays.fill(r, 1L);
        return r;
    }

    /** The float8 NaN case as a check folder: the model, x = 1 and the spec's y = [1.5, NaN, NaN, 2]. */
    static void writeFloat8NanCase(Path dir) throws IOException {
        write(dir.resolve("model.onnx"), float8NanWeight());
        dev.kiln.ir.NdArray x = dev.kiln.ir.NdArray.ofFloats(dev.kiln.ir.Shape.of(4), 1, 1, 1, 1);
        dev.kiln.ir.NdArray y = dev.kiln.ir.NdArray.ofFloats(dev.kiln.ir.Shape.of(4), 1.5f, Float.NaN, Float.NaN, 2f);
        write(dir.resolve("test_data_set_0/input_0.pb"), dev.kiln.frontend.onnx.TensorProtos.encode(x, "x").toByteArray());
        write(dir.resolve("test_data_set_0/output_0.pb"), dev.kiln.frontend.onnx.TensorProtos.encode(y, "y").toByteArray());
    }

    /**
     * A valid model whose float8 E4M3FN weight holds 1, NaN (0x7F), -NaN (0xFF) and 2: the spec's value of a NaN
     * pattern is NaN, so {@code y = x + 0.5 * w} is NaN at [1] and [2].
     */
    static byte[] float8NanWeight() {
        return dequantized(TensorProto.newBuilder().setName("w").setDataType(FLOAT8E4M3FN).addDims(4)
                .setRawData(ByteString.copyFrom(new byte[] {0x38, 0x7F, (byte) 0xFF, 0x40})).build());
    }

    /** A model adding {@code DequantizeLinear(w, 0.5)} (opset 21) to its input, for weights of the narrow types. */
    static byte[] dequantized(TensorProto w) {
        Object[] dims = w.getDimsList().toArray();
        return model(graph("g").addInput(tensor("x", FLOAT, dims)).addOutput(tensor("y", FLOAT, dims))
                .addInitializer(w).addInitializer(floats("s", new long[0], 0.5f))
                .addNode(node("DequantizeLinear", List.of("w", "s"), List.of("wf"), "dequantize"))
                .addNode(node("Add", List.of("x", "wf"), List.of("y"), "add")), 21).toByteArray();
    }

    private static byte[] withInit(TensorProto init) {
        return model(graph("g").addInput(tensor("x", FLOAT, 1)).addOutput(tensor("y", FLOAT, 1))
                .addInitializer(init).addNode(node("Add", List.of("x", "w"), List.of("y"), "add")), 13).toByteArray();
    }

    private static byte[] external(String location, long offset, long length) {
        TensorProto.Builder t = TensorProto.newBuilder().setName("w").setDataType(FLOAT).addDims(4)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(offset)));
        if (length >= 0) t.addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(Long.toString(length)));
        return model(graph("g").addInput(tensor("x", FLOAT, 4)).addOutput(tensor("y", FLOAT, 4))
                .addInitializer(t).addNode(node("Add", List.of("x", "w"), List.of("y"), "add")), 13).toByteArray();
    }

    private static FunctionProto function(String name, NodeProto... body) {
        FunctionProto.Builder f = FunctionProto.newBuilder().setName(name).setDomain("local").addInput("a").addOutput("b")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("local").setVersion(1));
        for (NodeProto n : body) f.addNode(n.getOpType().equals("Relu") ? n : n.toBuilder().setDomain("local").build());
        return f.build();
    }

    private static byte[] withFunctions(FunctionProto... fs) {
        ModelProto.Builder mb = model(graph("g").addInput(tensor("x", FLOAT, 1, 4)).addOutput(tensor("y", FLOAT, 1, 4))
                .addNode(node(fs[0].getName(), List.of("x"), List.of("y"), "call").toBuilder().setDomain("local").build()), 13).toBuilder()
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("local").setVersion(1));
        for (FunctionProto f : fs) mb.addFunctions(f);
        return mb.build().toByteArray();
    }

    private static NodeProto nestedIf(int depth) {
        NodeProto leaf = node("Constant", List.of(), List.of("y"), "leaf",
                AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(floats("v", new long[] {1}, 1)).build());
        NodeProto n = leaf;
        for (int i = 0; i < depth; i++) {
            GraphProto body = GraphProto.newBuilder().setName("branch" + i).addNode(n).addOutput(tensor("y", FLOAT, 1)).build();
            n = node("If", List.of("c"), List.of("y"), "if" + i,
                    AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(body).build(),
                    AttributeProto.newBuilder().setName("else_branch").setType(AttributeProto.AttributeType.GRAPH)
                            .setG(GraphProto.newBuilder().setName("leaf" + i).addNode(leaf).addOutput(tensor("y", FLOAT, 1))).build());
        }
        return n;
    }

    private static AttributeProto graphAttr(String name, GraphProto g) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.GRAPH).setG(g).build();
    }

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    private static TensorProto floats(String name, long[] dims, float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(FLOAT).setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    private static TensorProto int8s(String name, long[] dims, int... v) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT8_VALUE);
        for (int x : v) t.addInt32Data(x);
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    private static TensorProto longs(String name, long[] dims, long... v) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(INT64);
        for (long x : v) t.addInt64Data(x);
        for (long d : dims) t.addDims(d);
        return t.build();
    }
}
