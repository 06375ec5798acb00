package dev.kiln.frontend.onnx;

import dev.kiln.diag.Code;
import dev.kiln.diag.Diagnostic;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.frontend.onnx.proto.Onnx.AttributeProto;
import dev.kiln.frontend.onnx.proto.Onnx.FunctionProto;
import dev.kiln.frontend.onnx.proto.Onnx.ModelProto;
import dev.kiln.frontend.onnx.proto.Onnx.NodeProto;
import dev.kiln.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import dev.kiln.frontend.onnx.proto.Onnx.TensorProto;
import dev.kiln.frontend.onnx.proto.Onnx.TensorShapeProto;
import dev.kiln.frontend.onnx.proto.Onnx.TypeProto;
import dev.kiln.frontend.onnx.proto.Onnx.ValueInfoProto;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.GraphVerifier;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Trait;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an ONNX model into a Kiln {@link Graph}. Each ONNX op is mapped by one public static method named
 * like the op ({@code Conv(OnnxNode n)}) in one of the {@link #MAPPING_CLASSES}; an op with no method is
 * unsupported. Constant subexpressions (shape computations) are folded while importing, model-local
 * functions are inlined, and all unsupported nodes are reported together.
 */
public final class OnnxImporter {
    private static final String DEFAULT_DOMAIN = "";
    /** The classes holding the mapping methods of the default domain, one per family of ops. */
    static final List<Class<?>> MAPPING_CLASSES = List.of(
            ElementwiseMappings.class, NnMappings.class, ShapeMappings.class, QuantMappings.class,
            LogicMappings.class, MathMappings.class, ReduceMappings.class, LossMappings.class,
            SignalMappings.class, // i18-ops-a mapping classes
            IndexMappings.class, NormMappings.class, TextMappings.class,
            RecurrentMappings.class, ControlFlowMappings.class, // issue 17
            BoundedMappings.class); // issue 19

    /** Mapping classes of other domains, by domain; their ops are keyed {@code domain::Op}. */
    static final Map<String, List<Class<?>>> DOMAIN_MAPPING_CLASSES = Map.of(MlMappings.DOMAIN, List.of(MlMappings.class),
            TrainingMappings.DOMAIN, List.of(TrainingMappings.class),
            PreviewMappings.DOMAIN, List.of(PreviewMappings.class));

    private static final Map<String, Method> MAPPINGS = findMappings();
    private static final int MAX_FUNCTION_DEPTH = 32;
    /** The deepest nesting of regions (If branches, Loop and Scan bodies) accepted. */
    static final int MAX_REGION_DEPTH = 16;
    /** The largest .onnx file read: a protobuf message cannot exceed 2 GiB. */
    private static final long MAX_MODEL_FILE_BYTES = Integer.MAX_VALUE;
    /** Opset versions above this are not plausible (ONNX adds a few a year; tests/onnx-node reaches 28). */
    static final int MAX_PLAUSIBLE_OPSET = 1000;

    private final ModelProto model;
    private final Path baseDir;
    private final String where;
    private final ImportOptions options;
    /** The graph being imported now: the model's, or a region's while its node is mapped. */
    private Graph graph;
    /** ONNX names visible in {@link #graph} (outer graphs' names are reached through {@link #frames}). */
    private Map<String, Value> scope = new HashMap<>();
    /** The graphs being imported, outermost first; the last is {@link #graph}. */
    private final List<Frame> frames = new ArrayList<>();
    private final Map<String, Integer> opsets = new HashMap<>();
    private final Map<String, FunctionProto> functions = new HashMap<>();
    private final Set<String> poisoned = new HashSet<>();
    private final List<String> unsupported = new ArrayList<>();
    private final Deque<String> functionStack = new ArrayDeque<>();
    private int anonymous;
    private int nodesSeen;
    private long constantBytes;

    private OnnxImporter(ModelProto model, Path baseDir, String where, ImportOptions options) {
        this.model = model;
        this.baseDir = baseDir;
        this.where = where;
        this.options = options;
        String gname = model.getGraph().getName();
        this.graph = new Graph(gname.isEmpty() ? "model" : gname);
        frames.add(new Frame(graph, scope));
    }

    /** One graph being imported: its values by ONNX name, and the outer values a region captured (its inputs after the formal ones). */
    private static final class Frame {
        final Graph graph;
        final Map<String, Value> scope;
        final List<Value> captured = new ArrayList<>();

        Frame(Graph graph, Map<String, Value> scope) {
            this.graph = graph;
            this.scope = scope;
        }
    }

    /** A region imported for a node: its graph and the outer values (of the node's graph) its trailing inputs stand for. */
    record Region(Graph graph, List<Value> captured) {}

    /** Thrown out of a region whose import found unsupported ops: the node owning it is dropped, the ops are reported together. */
    private static final class UnsupportedInRegion extends RuntimeException {
        UnsupportedInRegion() { super(null, null, false, false); }
    }

    private static Map<String, Method> findMappings() {
        Map<String, Method> m = new HashMap<>();
        Map<String, List<Class<?>>> all = new HashMap<>(DOMAIN_MAPPING_CLASSES);
        all.put(DEFAULT_DOMAIN, MAPPING_CLASSES);
        for (Map.Entry<String, List<Class<?>>> d : all.entrySet()) {
            for (Class<?> c : d.getValue()) {
                for (Method meth : c.getDeclaredMethods()) {
                    if (!Modifier.isStatic(meth.getModifiers()) || !Modifier.isPublic(meth.getModifiers())) continue;
                    if (meth.getParameterCount() != 1 || meth.getParameterTypes()[0] != OnnxNode.class) continue;
                    String key = d.getKey().isEmpty() ? meth.getName() : d.getKey() + "::" + meth.getName();
                    if (m.put(key, meth) != null) throw new IllegalStateException("ONNX op mapped twice: " + key);
                }
            }
        }
        return Map.copyOf(m); // why: read by every thread of a parallel build, so it must never change
    }

    /** The ONNX op types Kiln imports, sorted. */
    public static List<String> supportedOps() {
        List<String> r = new ArrayList<>(MAPPINGS.keySet());
        r.sort(null);
        return r;
    }

    /** The options of this import. */
    ImportOptions options() { return options; }

    /** Reads and imports an ONNX file. */
    public static Graph importFile(Path file, ImportOptions options) {
        ModelProto m = parse(file, options.maxNodes());
        Path dir = file.toAbsolutePath().getParent();
        return importModel(m, dir, file.toString(), options);
    }

    private static ModelProto parse(Path file, int maxNodes) {
        String where = file.toString();
        byte[] bytes;
        try {
            long size = Files.size(file);
            // why: protobuf messages end at 2 GiB; a larger file is not a model, and reading it would exhaust memory
            if (size > MAX_MODEL_FILE_BYTES)
                throw new KilnException(Code.ONNX_PARSE, Location.file(where), "the file has " + size + " bytes, more than the 2 GiB a protobuf message can hold")
                        .withHint("ONNX models over 2 GiB keep their weights in external data files (onnx.save_model(..., save_as_external_data=True))");
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new KilnException(Code.FILE_NOT_FOUND, Location.file(where), where + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
        ModelProto m;
        try {
            long nodes = countGraphNodes(bytes);
            // why: parsing builds every node object; a million-node file must be refused before that
            if (nodes > maxNodes)
                throw new KilnException(Code.TOO_MANY_NODES, Location.file(where), maxNodes)
                        .withHint("its graph lists " + nodes + " nodes; raise the limit with --max-nodes if the model is genuine");
            m = ModelProto.parseFrom(bytes);
        } catch (IOException e) {
            throw new KilnException(Code.ONNX_PARSE, Location.file(where), e.getMessage())
                    .withHint("check that the file is a complete .onnx model (e.g. not a Git LFS pointer or a partial download)");
        }
        if (!m.hasGraph() || (m.getGraph().getNodeCount() == 0 && m.getGraph().getOutputCount() == 0))
            throw new KilnException(Code.ONNX_NO_GRAPH, Location.file(where))
                    .withHint(bytes.length == 0 ? "the file is empty" : "the file parsed as protobuf but holds no ONNX graph; is it an ONNX model?");
        return m;
    }

    /**
     * Counts the nodes of the main graph without building them: walks the top-level fields of the ModelProto
     * and the GraphProto's field tags, skipping every value. Malformed bytes throw, as parsing would.
     */
    static long countGraphNodes(byte[] bytes) throws IOException {
        final int GRAPH_TAG = 7 << 3 | com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED;
        final int NODE_TAG = 1 << 3 | com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED;
        com.google.protobuf.CodedInputStream in = com.google.protobuf.CodedInputStream.newInstance(bytes);
        long nodes = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            // why: field 7 of ModelProto is the graph, and field 1 of GraphProto its nodes (onnx.proto)
            if (tag != GRAPH_TAG) {
                if (!in.skipField(tag)) break;
                continue;
            }
            int limit = in.pushLimit(in.readRawVarint32());
            for (int g = in.readTag(); g != 0; g = in.readTag()) {
                if (g == NODE_TAG) nodes++;
                if (!in.skipField(g)) break;
            }
            in.popLimit(limit);
        }
        return nodes;
    }

    /** The names of the model's graph inputs that are not initializers, in order. */
    public static List<String> declaredInputs(Path file) {
        ModelProto m = parse(file, ImportOptions.DEFAULT_MAX_NODES);
        Set<String> inits = new HashSet<>();
        for (TensorProto t : m.getGraph().getInitializerList()) inits.add(t.getName());
        List<String> r = new ArrayList<>();
        for (ValueInfoProto vi : m.getGraph().getInputList()) if (!inits.contains(vi.getName())) r.add(vi.getName());
        return r;
    }

    /**
     * Whether the model's non-initializer input ({@code output} false) or graph output ({@code output} true) at
     * {@code index} is an optional tensor, whose test data ONNX stores as an OptionalProto.
     */
    public static boolean isOptionalTensor(Path file, boolean output, int index) {
        ModelProto m = parse(file, ImportOptions.DEFAULT_MAX_NODES);
        List<ValueInfoProto> slots = new ArrayList<>();
        if (output) slots.addAll(m.getGraph().getOutputList());
        else {
            Set<String> inits = new HashSet<>();
            for (TensorProto t : m.getGraph().getInitializerList()) inits.add(t.getName());
            for (ValueInfoProto vi : m.getGraph().getInputList()) if (!inits.contains(vi.getName())) slots.add(vi);
        }
        if (index >= slots.size()) return false;
        TypeProto t = slots.get(index).getType();
        return t.hasOptionalType() && t.getOptionalType().getElemType().hasTensorType();
    }

    /** Imports a parsed model; {@code baseDir} is where external data may live (null: none allowed). */
    public static Graph importModel(ModelProto m, Path baseDir, String where, ImportOptions options) {
        OnnxImporter imp = new OnnxImporter(m, baseDir, where, options);
        try {
            return imp.run();
        } catch (KilnException e) {
            throw e.inFile(where);
        } finally {
            options.flushNotes();
        }
    }

    Graph graph() { return graph; }

    private Graph run() {
        // why: a million-node model must fail before importing (and folding) any of it
        if (model.getGraph().getNodeCount() > options.maxNodes())
            throw new KilnException(Code.TOO_MANY_NODES, Location.NONE, options.maxNodes())
                    .withHint("its graph lists " + model.getGraph().getNodeCount() + " nodes; raise the limit with --max-nodes if the model is genuine");
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            String domain = normalizeDomain(o.getDomain());
            long v = o.getVersion();
            if (v < 1 || v > MAX_PLAUSIBLE_OPSET)
                throw new KilnException(Code.BAD_ATTRIBUTE, Location.NONE, "opset_import of domain '" + domain + "' has version " + v
                        + ", which is not a plausible opset version (1 to " + MAX_PLAUSIBLE_OPSET + ")")
                        .withHint("the model's opset_import list is damaged; re-export the model");
            opsets.put(domain, (int) v);
        }
        // why: a node's meaning depends on its domain's opset; a model importing none cannot be read (an ai.onnx.ml-only model is fine)
        if (opsets.isEmpty())
            throw new KilnException(Code.BAD_ATTRIBUTE, Location.NONE, "the model imports no opset")
                    .withHint("re-export the model with an opset_import entry for domain \"\"");
        for (FunctionProto f : model.getFunctionsList()) functions.put(normalizeDomain(f.getDomain()) + "::" + f.getName(), f);

        Set<String> initNames = new HashSet<>();
        for (TensorProto t : model.getGraph().getInitializerList()) {
            if (scope.containsKey(t.getName())) throw new KilnException(Code.DUPLICATE_VALUE, Location.NONE, t.getName());
            NdArray data = decodeTensor(t);
            chargeConstant(t.getName(), data.type().byteSize());
            scope.put(t.getName(), graph.addConstant(t.getName(), data));
            initNames.add(t.getName());
        }
        for (ValueInfoProto vi : model.getGraph().getInputList()) {
            if (initNames.contains(vi.getName())) continue;
            if (scope.containsKey(vi.getName())) throw new KilnException(Code.DUPLICATE_VALUE, Location.NONE, vi.getName());
            scope.put(vi.getName(), graph.addInput(vi.getName(), inputType(vi)));
        }
        Set<String> outer = new HashSet<>(scope.keySet());
        for (NodeProto n : sortNodes(model.getGraph().getNodeList(), outer::contains)) importNode(n, opsets);
        if (!unsupported.isEmpty()) {
            StringBuilder b = new StringBuilder();
            for (String u : unsupported) b.append("\n  ").append(u);
            throw new KilnException(new Diagnostic(Code.UNSUPPORTED_OPS, Location.NONE, Code.UNSUPPORTED_OPS.format(unsupported.size(), b),
                    "run 'kiln ops' for the supported ops; an unsupported op can often be rewritten with supported ones before export"));
        }
        for (ValueInfoProto vi : model.getGraph().getOutputList()) {
            Value v = scope.get(vi.getName());
            if (v == null) throw new KilnException(Code.UNDEFINED_VALUE, Location.NONE, "(graph output)", vi.getName());
            graph.addOutput(v);
        }
        graph.removeUnusedConstants();
        GraphVerifier.verify(graph);
        // why: a value whose size is known only at run time must reach only nodes that can read it, on every backend
        dev.kiln.ops.Extents.of(graph);
        for (String b : options.bounds().keySet()) {
            dev.kiln.ir.Node n = graph.node(b);
            if (n == null || !dev.kiln.ops.Extents.producesBounded(n))
                throw new KilnException(Code.USAGE, Location.NONE, "--bound names '" + b + "', which is no node with an output size known only at run time"
                        + " (NonZero, Unique, Compress, NonMaxSuppression, TopK with a run-time K, Range with run-time operands)");
        }
        return graph;
    }

    /** Counts a constant's bytes against the total limit before it is built; fails when the limit is passed. */
    private void chargeConstant(String name, long bytes) {
        constantBytes = bytes > Long.MAX_VALUE - constantBytes ? Long.MAX_VALUE : constantBytes + bytes;
        if (constantBytes > options.maxConstantBytes())
            throw new KilnException(Code.CONSTANTS_TOO_LARGE, Location.NONE, options.maxConstantBytes(), name)
                    .withHint("raise the limit with --max-constant-bytes if this model is genuine");
    }

    private static String normalizeDomain(String d) { return d.equals("ai.onnx") ? DEFAULT_DOMAIN : d; }

    private TensorType inputType(ValueInfoProto vi) {
        String name = vi.getName();
        TypeProto t = vi.getType();
        if (t.hasOptionalType() && t.getOptionalType().getElemType().hasTensorType()) {
            // why: an optional tensor that the caller always passes is a tensor; Kiln has no "absent" input
            options.note("input '" + name + "' is an optional tensor: Kiln compiles it as a tensor the caller always passes "
                    + "(OptionalHasElement on it is true)");
            t = t.getOptionalType().getElemType();
        }
        if (!t.hasTensorType())
            throw new KilnException(Code.UNKNOWN_DTYPE, Location.NONE, name, "a non-tensor type (sequence, map or optional)");
        int code = t.getTensorType().getElemType();
        DType dt = DType.fromOnnx(code);
        if (dt == null) throw new KilnException(Code.UNKNOWN_DTYPE, Location.NONE, name, TensorProtos.onnxTypeName(code));
        long[] bound = options.inputShapes().get(name);
        TensorShapeProto sp = t.getTensorType().getShape();
        if (sp.getDimCount() > ImportOptions.MAX_RANK)
            throw new KilnException(Code.BAD_SHAPE, Location.NONE, "input '" + name + "' has rank " + sp.getDimCount() + ", more than Kiln's limit of " + ImportOptions.MAX_RANK);
        boolean hasShape = t.getTensorType().hasShape();
        if (bound != null) {
            if (hasShape && sp.getDimCount() != bound.length)
                throw new KilnException(Code.BAD_INPUT_SHAPE_OPTION, Location.NONE,
                        "--input-shape gives " + bound.length + " dimensions for '" + name + "', the model says it has " + sp.getDimCount());
            for (int i = 0; hasShape && i < bound.length; i++) {
                TensorShapeProto.Dimension d = sp.getDim(i);
                if (d.hasDimValue() && d.getDimValue() > 0 && d.getDimValue() != bound[i])
                    throw new KilnException(Code.BAD_INPUT_SHAPE_OPTION, Location.NONE, "--input-shape sets dimension " + i + " of '" + name
                            + "' to " + bound[i] + " but the model fixes it to " + d.getDimValue());
            }
            return checkedInputType(name, dt, bound);
        }
        if (!hasShape)
            throw new KilnException(Code.UNBOUND_DIM, Location.NONE, name, 0, "the model gives no shape at all")
                    .withHint("give it with --input-shape " + name + "=1x3x224x224 (your dimensions)");
        long[] dims = new long[sp.getDimCount()];
        for (int i = 0; i < dims.length; i++) {
            TensorShapeProto.Dimension d = sp.getDim(i);
            if (d.hasDimValue() && d.getDimValue() < 0) {
                throw new KilnException(Code.BAD_SHAPE, Location.NONE, "input '" + name + "' has dimension " + i + " = " + d.getDimValue() + ", which is negative")
                        .withHint("fix the model's input shape, or bind it with --input-shape " + name + "=" + shapeExample(sp));
            } else if (d.hasDimValue()) {
                dims[i] = d.getDimValue();
            } else if (i == 0) {
                dims[i] = 1; // why: an unbound leading (batch) dimension means one sample at a time on a device
            } else {
                String what = d.hasDimParam() ? "symbolic '" + d.getDimParam() + "'" : "no value";
                throw new KilnException(Code.UNBOUND_DIM, Location.NONE, name, i, what)
                        .withHint("bind it with --input-shape " + name + "=" + shapeExample(sp));
            }
        }
        return checkedInputType(name, dt, dims);
    }

    /** The input's type, after checking its shape against the limits (no negative or oversized dimensions). */
    private TensorType checkedInputType(String name, DType dt, long[] dims) {
        String problem = options.shapeProblem(dims, dt.byteSize());
        if (problem != null)
            throw new KilnException(Code.BAD_SHAPE, Location.NONE, "input '" + name + "' of shape " + Arrays.toString(dims) + " is not acceptable: " + problem)
                    .withHint("bind a smaller shape with --input-shape " + name + "=DIMS, or raise --max-tensor-bytes if the model is genuine");
        return new TensorType(dt, Shape.of(dims));
    }

    private static String shapeExample(TensorShapeProto sp) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < sp.getDimCount(); i++) {
            TensorShapeProto.Dimension d = sp.getDim(i);
            b.append(i == 0 ? "" : "x").append(d.hasDimValue() && d.getDimValue() > 0 ? Long.toString(d.getDimValue()) : i == 0 ? "1" : "N");
        }
        return b.toString();
    }

    /** Orders nodes so each comes after the producers of its inputs; reports undefined names and cycles. */
    private List<NodeProto> sortNodes(List<NodeProto> nodes, java.util.function.Predicate<String> defined) {
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String o : nodes.get(i).getOutputList()) {
                if (o.isEmpty()) continue;
                if (producer.put(o, i) != null || defined.test(o))
                    throw new KilnException(Code.DUPLICATE_VALUE, Location.node(null, nodeLabel(nodes.get(i), i)), o);
            }
        }
        int[] pending = new int[nodes.size()];
        List<List<Integer>> consumers = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) consumers.add(new ArrayList<>());
        for (int i = 0; i < nodes.size(); i++) {
            List<String> reads = new ArrayList<>(nodes.get(i).getInputList());
            if (nodes.get(i).getAttributeCount() > 0) {
                // why: a region reads outer values by name; its node must come after their producers
                for (String in : implicitInputs(nodes.get(i))) if (producer.containsKey(in) || defined.test(in)) reads.add(in);
            }
            for (String in : reads) {
                if (in.isEmpty() || defined.test(in)) continue;
                Integer p = producer.get(in);
                if (p == null) throw new KilnException(Code.UNDEFINED_VALUE, Location.node(null, nodeLabel(nodes.get(i), i)), nodeLabel(nodes.get(i), i), in);
                pending[i]++;
                consumers.get(p).add(i);
            }
        }
        List<NodeProto> order = new ArrayList<>();
        Deque<Integer> ready = new ArrayDeque<>();
        for (int i = 0; i < nodes.size(); i++) if (pending[i] == 0) ready.add(i);
        while (!ready.isEmpty()) {
            int i = ready.poll();
            order.add(nodes.get(i));
            for (int c : consumers.get(i)) if (--pending[c] == 0) ready.add(c);
        }
        if (order.size() != nodes.size()) {
            for (int i = 0; i < nodes.size(); i++)
                if (pending[i] > 0) throw new KilnException(Code.GRAPH_CYCLE, Location.node(null, nodeLabel(nodes.get(i), i)), nodeLabel(nodes.get(i), i));
        }
        return order;
    }

    private static String nodeLabel(NodeProto n, int index) {
        return n.getName().isEmpty() ? n.getOpType() + "_" + index : n.getName();
    }

    private void importNode(NodeProto n, Map<String, Integer> nodeOpsets) {
        // why: functions calling functions can multiply a small file into billions of nodes
        if (++nodesSeen > options.maxNodes())
            throw new KilnException(Code.TOO_MANY_NODES, Location.node(null, n.getName()), options.maxNodes())
                    .withHint("model-local functions expand it past the limit; raise it with --max-nodes if the model is genuine");
        String domain = normalizeDomain(n.getDomain());
        String name = n.getName().isEmpty() ? n.getOpType() + "_" + (anonymous++) : n.getName();
        FunctionProto fn = functions.get(domain + "::" + n.getOpType());
        if (fn != null) {
            inlineFunction(n, fn, name);
            return;
        }
        Integer opset = nodeOpsets.get(domain);
        Method mapping = MAPPINGS.get(domain.isEmpty() ? n.getOpType() : domain + "::" + n.getOpType());
        if (mapping == null || opset == null) {
            unsupported.add(n.getOpType() + (domain.isEmpty() ? "" : " (domain " + domain + ")") + ", opset "
                    + (opset == null ? "not imported" : opset) + ", node '" + name + "'");
            poisoned.addAll(n.getOutputList());
            return;
        }
        for (String in : n.getInputList()) {
            if (poisoned.contains(in)) {
                poisoned.addAll(n.getOutputList());
                return;
            }
        }
        if (!unsupported.isEmpty()) {
            // why: once a node is unsupported the import fails; keep looking only for more unsupported ops
            poisoned.addAll(n.getOutputList());
            return;
        }
        OnnxNode on = new OnnxNode(this, n, name, opset);
        try {
            mapping.invoke(null, on);
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            if (c instanceof UnsupportedInRegion) {
                poisoned.addAll(n.getOutputList());
                return;
            }
            if (c instanceof KilnException) throw (KilnException) c;
            if (c instanceof NullPointerException && on.readAbsentInput())
                // why: mappings take their required inputs as given; a node that lacks one is malformed, not a Kiln bug
                throw new KilnException(new Diagnostic(Code.BAD_OP_INPUT, Location.node(null, name), n.getOpType() + " node '" + name
                        + "' lacks an input it needs (it gives " + n.getInputCount() + ": " + n.getInputList() + ")", null), c);
            if (c instanceof IllegalArgumentException || c instanceof ArithmeticException || c instanceof IndexOutOfBoundsException
                    || c instanceof ClassCastException)
                throw new KilnException(new Diagnostic(Code.BAD_ATTRIBUTE, Location.node(null, name), n.getOpType() + ": " + c.getMessage(), null), c);
            if (c instanceof RuntimeException) throw (RuntimeException) c;
            throw new IllegalStateException(c);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        for (String o : n.getOutputList()) {
            if (!o.isEmpty() && !scope.containsKey(o) && !poisoned.contains(o))
                throw new IllegalStateException("mapping of " + n.getOpType() + " did not bind output " + o);
        }
    }

    /** Inlines a call of a model-local function: body nodes renamed into this node's namespace. */
    private void inlineFunction(NodeProto call, FunctionProto fn, String callName) {
        String key = normalizeDomain(fn.getDomain()) + "::" + fn.getName();
        if (functionStack.contains(key) || functionStack.size() >= MAX_FUNCTION_DEPTH)
            throw new KilnException(Code.FUNCTION_RECURSION, Location.node(null, callName), fn.getName());
        functionStack.push(key);
        try {
            Map<String, String> rename = new HashMap<>();
            for (int i = 0; i < fn.getInputCount(); i++) rename.put(fn.getInput(i), i < call.getInputCount() ? call.getInput(i) : "");
            for (int i = 0; i < fn.getOutputCount(); i++) rename.put(fn.getOutput(i), i < call.getOutputCount() ? call.getOutput(i) : "");
            Map<String, AttributeProto> callAttrs = new HashMap<>();
            for (AttributeProto a : fn.getAttributeProtoList()) callAttrs.put(a.getName(), a);
            for (AttributeProto a : call.getAttributeList()) callAttrs.put(a.getName(), a);
            String prefix = callName + "/";
            List<NodeProto> body = new ArrayList<>();
            for (NodeProto b : fn.getNodeList()) {
                NodeProto.Builder nb = b.toBuilder().clearInput().clearOutput().clearAttribute();
                nb.setName(prefix + (b.getName().isEmpty() ? b.getOpType() + "_" + body.size() : b.getName()));
                for (String in : b.getInputList()) nb.addInput(in.isEmpty() ? "" : rename.getOrDefault(in, prefix + in));
                for (String out : b.getOutputList()) nb.addOutput(out.isEmpty() ? "" : rename.getOrDefault(out, prefix + out));
                for (AttributeProto a : b.getAttributeList()) {
                    if (a.hasG()) {
                        // why: a region reads the function's names; they are renamed into this call's namespace too
                        nb.addAttribute(a.toBuilder().setG(renameFree(a.getG(), in -> rename.getOrDefault(in, prefix + in))));
                    } else if (a.getRefAttrName().isEmpty()) {
                        nb.addAttribute(a);
                    } else {
                        AttributeProto actual = callAttrs.get(a.getRefAttrName());
                        if (actual != null) nb.addAttribute(actual.toBuilder().setName(a.getName()).build());
                    }
                }
                body.add(nb.build());
            }
            Map<String, Integer> fnOpsets = new HashMap<>(opsets);
            for (OperatorSetIdProto o : fn.getOpsetImportList()) fnOpsets.put(normalizeDomain(o.getDomain()), (int) o.getVersion());
            // why: look names up live; copying the scope for every call made nested calls quadratic
            for (NodeProto b : sortNodes(body, this::visibleOrPoisoned)) importNode(b, fnOpsets);
        } finally {
            functionStack.pop();
        }
    }

    /** {@code g} with the names it reads from enclosing graphs (not defined inside it) renamed by {@code fn}. */
    private static dev.kiln.frontend.onnx.proto.Onnx.GraphProto renameFree(dev.kiln.frontend.onnx.proto.Onnx.GraphProto g,
            java.util.function.UnaryOperator<String> fn) {
        Set<String> defined = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) defined.add(t.getName());
        for (ValueInfoProto vi : g.getInputList()) defined.add(vi.getName());
        for (NodeProto n : g.getNodeList()) defined.addAll(n.getOutputList());
        java.util.function.UnaryOperator<String> inner = s -> s.isEmpty() || defined.contains(s) ? s : fn.apply(s);
        dev.kiln.frontend.onnx.proto.Onnx.GraphProto.Builder b = g.toBuilder().clearNode().clearOutput();
        for (NodeProto n : g.getNodeList()) {
            NodeProto.Builder nb = n.toBuilder().clearInput().clearAttribute();
            for (String in : n.getInputList()) nb.addInput(inner.apply(in));
            for (AttributeProto a : n.getAttributeList()) nb.addAttribute(a.hasG() ? a.toBuilder().setG(renameFree(a.getG(), inner)).build() : a);
            b.addNode(nb);
        }
        for (ValueInfoProto vi : g.getOutputList()) b.addOutput(vi.toBuilder().setName(inner.apply(vi.getName())));
        return b.build();
    }

    /** The value an ONNX name refers to. */
    Value lookup(String onnxName, String nodeName) {
        Value v = scope.get(onnxName);
        if (v == null) v = capture(onnxName, frames.size() - 1);
        if (v == null) throw new KilnException(Code.UNDEFINED_VALUE, Location.node(null, nodeName), nodeName, onnxName);
        return v;
    }

    void bind(String onnxName, Value v) { scope.put(onnxName, v); }

    /**
     * The value {@code onnxName} names in an enclosing graph, made visible in frame {@code level}: a constant
     * is copied into the region (so folding inside it sees it); any other value becomes a new region input,
     * recorded as captured (the node feeds it). Null when no enclosing graph defines the name.
     */
    private Value capture(String onnxName, int level) {
        if (level == 0) return null;
        Frame f = frames.get(level), up = frames.get(level - 1);
        Value outer = up.scope.get(onnxName);
        if (outer == null) outer = capture(onnxName, level - 1);
        if (outer == null) return null;
        Value v;
        if (outer.isConstant()) {
            v = f.graph.addConstant(onnxName, outer.constant());
        } else {
            v = f.graph.addInput(f.graph.uniqueValueName(onnxName), outer.type());
            f.captured.add(outer);
        }
        f.scope.put(onnxName, v);
        return v;
    }

    /** True when some graph being imported (this one or an enclosing one) defines {@code onnxName}. */
    private boolean visible(String onnxName) {
        for (Frame f : frames) if (f.scope.containsKey(onnxName)) return true;
        return false;
    }

    /**
     * Imports region {@code gp} (attribute {@code attr} of node {@code nodeName}) as a closed graph: its formal
     * inputs get {@code formal} types (a null entry: the type the region declares), names of enclosing graphs
     * it reads become extra inputs (see {@link Region#captured}).
     */
    Region importRegion(dev.kiln.frontend.onnx.proto.Onnx.GraphProto gp, List<TensorType> formal, String nodeName, String attr) {
        // why: each level costs Java stack in the importer, verifier and passes; real models nest two or three deep
        if (frames.size() > MAX_REGION_DEPTH)
            throw new KilnException(Code.BAD_ATTRIBUTE, Location.node(null, nodeName), "regions are nested more than " + MAX_REGION_DEPTH
                    + " deep (attribute '" + attr + "')").withHint("no real model nests control flow this deep; the model is damaged or hostile");
        if (gp.getInputCount() != formal.size())
            throw new KilnException(Code.BAD_ATTRIBUTE, Location.node(null, nodeName), "region '" + attr + "' declares " + gp.getInputCount()
                    + " inputs, the node gives it " + formal.size());
        Graph g = new Graph(gp.getName().isEmpty() ? nodeName + "_" + attr : gp.getName());
        Frame f = new Frame(g, new HashMap<>());
        Graph savedGraph = graph;
        Map<String, Value> savedScope = scope;
        int unsupportedBefore = unsupported.size();
        frames.add(f);
        graph = g;
        scope = f.scope;
        try {
            for (TensorProto t : gp.getInitializerList()) {
                NdArray data = decodeTensor(t);
                chargeConstant(t.getName(), data.type().byteSize());
                scope.put(t.getName(), g.addConstant(t.getName(), data));
            }
            for (int i = 0; i < gp.getInputCount(); i++) {
                ValueInfoProto vi = gp.getInput(i);
                if (scope.containsKey(vi.getName())) throw new KilnException(Code.DUPLICATE_VALUE, Location.node(null, nodeName), vi.getName());
                TensorType t = formal.get(i) != null ? formal.get(i) : inputType(vi);
                scope.put(vi.getName(), g.addInput(g.uniqueValueName(vi.getName()), t));
            }
            for (NodeProto n : sortNodes(gp.getNodeList(), this::visibleOrPoisoned)) importNode(n, opsets);
            if (unsupported.size() > unsupportedBefore) throw new UnsupportedInRegion();
            for (ValueInfoProto vi : gp.getOutputList()) g.addOutput(lookup(vi.getName(), nodeName));
            g.removeUnusedConstants();
            return new Region(g, f.captured);
        } finally {
            frames.remove(frames.size() - 1);
            graph = savedGraph;
            scope = savedScope;
        }
    }

    /**
     * Imports the nodes of region {@code gp} (attribute {@code attr} of node {@code nodeName}, which takes no formal
     * inputs) into the current graph, as if they stood in the node's place, and returns the values of its outputs.
     * For an If whose condition is known: the taken branch is imported in the open, so its shapes may follow
     * values known now, and the other branch is never imported.
     */
    List<Value> importInline(dev.kiln.frontend.onnx.proto.Onnx.GraphProto gp, String nodeName, String attr) {
        if (gp.getInputCount() != 0)
            throw new KilnException(Code.BAD_ATTRIBUTE, Location.node(null, nodeName), "region '" + attr + "' declares "
                    + gp.getInputCount() + " inputs, the node gives it 0");
        for (TensorProto t : gp.getInitializerList()) {
            NdArray data = decodeTensor(t);
            chargeConstant(t.getName(), data.type().byteSize());
            scope.put(t.getName(), graph.addConstant(graph.uniqueValueName(t.getName()), data));
        }
        for (NodeProto n : sortNodes(gp.getNodeList(), this::visibleOrPoisoned)) importNode(n, opsets);
        List<Value> outs = new ArrayList<>();
        for (ValueInfoProto vi : gp.getOutputList()) outs.add(lookup(vi.getName(), nodeName));
        return outs;
    }

    /**
     * Imports region {@code gp} (attribute {@code attr} of node {@code nodeName}) into the current graph as a call
     * with {@code args} bound to its formal inputs, and returns the values of its outputs. The names it defines are
     * renamed into the node's namespace, so they shadow nothing outside; the names it reads from enclosing graphs
     * keep their meaning. Used by ops whose graph attribute is a function of tensors the mapping computes
     * (FlexAttention's score_mod), so that the region's nodes become ordinary nodes every backend runs.
     */
    List<Value> importCall(dev.kiln.frontend.onnx.proto.Onnx.GraphProto gp, String nodeName, String attr, List<Value> args) {
        if (gp.getInputCount() != args.size())
            throw new KilnException(Code.BAD_ATTRIBUTE, Location.node(null, nodeName), "region '" + attr + "' declares "
                    + gp.getInputCount() + " inputs, the node gives it " + args.size());
        String prefix = nodeName + "/" + attr + "/";
        Set<String> defined = new HashSet<>();
        for (TensorProto t : gp.getInitializerList()) defined.add(t.getName());
        for (ValueInfoProto vi : gp.getInputList()) defined.add(vi.getName());
        for (NodeProto n : gp.getNodeList()) defined.addAll(n.getOutputList());
        java.util.function.UnaryOperator<String> local = s -> s.isEmpty() || !defined.contains(s) ? s : prefix + s;
        for (int i = 0; i < args.size(); i++) scope.put(local.apply(gp.getInput(i).getName()), args.get(i));
        for (TensorProto t : gp.getInitializerList()) {
            NdArray data = decodeTensor(t);
            chargeConstant(t.getName(), data.type().byteSize());
            scope.put(local.apply(t.getName()), graph.addConstant(graph.uniqueValueName(prefix + t.getName()), data));
        }
        List<NodeProto> body = new ArrayList<>();
        for (NodeProto b : gp.getNodeList()) {
            NodeProto.Builder nb = b.toBuilder().clearInput().clearOutput().clearAttribute();
            nb.setName(prefix + (b.getName().isEmpty() ? b.getOpType() + "_" + body.size() : b.getName()));
            for (String in : b.getInputList()) nb.addInput(local.apply(in));
            for (String out : b.getOutputList()) nb.addOutput(local.apply(out));
            // why: a region nested in this one reads this one's names, which are renamed too
            for (AttributeProto a : b.getAttributeList()) nb.addAttribute(a.hasG() ? a.toBuilder().setG(renameFree(a.getG(), local)).build() : a);
            body.add(nb.build());
        }
        int unsupportedBefore = unsupported.size();
        for (NodeProto b : sortNodes(body, this::visibleOrPoisoned)) importNode(b, opsets);
        // why: the region's unsupported ops are reported with the model's; the calling node is poisoned, as a region's is
        if (unsupported.size() > unsupportedBefore) throw new UnsupportedInRegion();
        List<Value> outs = new ArrayList<>();
        for (ValueInfoProto vi : gp.getOutputList()) outs.add(lookup(local.apply(vi.getName()), nodeName));
        return outs;
    }

    private boolean visibleOrPoisoned(String name) { return visible(name) || poisoned.contains(name); }

    /**
     * The names the regions of {@code n} read from enclosing graphs (not defined inside them), so that the node
     * is ordered after their producers.
     */
    private static Set<String> implicitInputs(NodeProto n) {
        Set<String> r = new java.util.LinkedHashSet<>();
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) freeNames(a.getG(), r);
            for (dev.kiln.frontend.onnx.proto.Onnx.GraphProto g : a.getGraphsList()) freeNames(g, r);
        }
        return r;
    }

    private static void freeNames(dev.kiln.frontend.onnx.proto.Onnx.GraphProto g, Set<String> into) {
        Set<String> defined = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) defined.add(t.getName());
        for (ValueInfoProto vi : g.getInputList()) defined.add(vi.getName());
        for (NodeProto n : g.getNodeList()) defined.addAll(n.getOutputList());
        Set<String> used = new java.util.LinkedHashSet<>();
        for (NodeProto n : g.getNodeList()) {
            used.addAll(n.getInputList());
            used.addAll(implicitInputs(n));
        }
        for (ValueInfoProto vi : g.getOutputList()) used.add(vi.getName());
        for (String u : used) if (!u.isEmpty() && !defined.contains(u)) into.add(u);
    }

    /**
     * The data of {@code v} if it is known at compile time: a constant; a graph input with a declared value
     * (frozen into a constant); or the output of a node whose inputs are all known that way (the node is
     * then folded into constants, as when its inputs were constant from the start). Null otherwise.
     */
    NdArray constantOrFreeze(Value v) { return fold(v, this::knownValue); }

    /**
     * The data of {@code v} if it follows from constants alone (graph inputs are not frozen): a constant, or the
     * output of nodes whose inputs are all such, which are folded into constants. Null otherwise.
     */
    NdArray constantFolded(Value v) { return fold(v, x -> x.isConstant() ? x.constant() : null); }

    private NdArray fold(Value v, java.util.function.Function<Value, NdArray> known) {
        NdArray direct = known.apply(v);
        if (direct != null || v.producer() == null) return direct;
        // why: an explicit stack, not recursion: a shape computed through 50000 nodes must not overflow the Java
        // stack, and shared producers (diamonds) are visited once instead of once per path
        List<Node> order = new ArrayList<>();
        Set<Node> seen = new HashSet<>(), done = new HashSet<>();
        Deque<Node> stack = new ArrayDeque<>();
        stack.push(v.producer());
        while (!stack.isEmpty()) {
            Node n = stack.peek();
            if (seen.add(n)) {
                if (n.op().has(Trait.QUANT_BOUNDARY) || dev.kiln.ops.Extents.producesBounded(n)) return null;
                for (Value in : n.inputs()) {
                    if (in == null || known.apply(in) != null) continue;
                    Node q = in.producer();
                    if (q == null) return null;
                    if (!done.contains(q)) stack.push(q);
                }
            } else {
                stack.pop();
                if (done.add(n)) order.add(n);
            }
        }
        for (Node n : order) {
            List<NdArray> ins = new ArrayList<>();
            for (Value in : n.inputs()) ins.add(in == null ? null : in.constant());
            for (Value o : n.outputs()) chargeConstant(o.name(), o.type().byteSize());
            graph.foldToConstants(n, Interpreter.evaluate(n, ins));
        }
        return v.constant();
    }

    /** The data of {@code v} if it is a constant or a graph input with a declared value (frozen now); else null. */
    private NdArray knownValue(Value v) {
        if (v.isConstant()) return v.constant();
        NdArray known = options.knownInputValues().get(v.name());
        if (known != null && frames.size() == 1 && graph.inputs().contains(v)) {
            if (!known.type().equals(v.type()))
                throw new KilnException(Code.USAGE, Location.NONE, "value given for input '" + v.name() + "' is " + known.type() + ", the model declares " + v.type());
            graph.freezeInput(v, known);
            return known;
        }
        return null;
    }

    NdArray decodeTensor(TensorProto t) { return TensorProtos.decode(t, baseDir, where, options.maxTensorBytes()); }

    /** Decodes a tensor held in an attribute (a Constant's value), counting it against the constants' limit. */
    NdArray decodeAttributeTensor(TensorProto t) {
        NdArray a = decodeTensor(t);
        chargeConstant(t.getName().isEmpty() ? "(attribute tensor)" : t.getName(), a.type().byteSize());
        return a;
    }

    Object attributeValue(AttributeProto a, String nodeName) {
        switch (a.getType()) {
            case FLOAT: return (double) a.getF();
            case INT: return a.getI();
            case STRING: return a.getS().toStringUtf8();
            case TENSOR: return decodeAttributeTensor(a.getT());
            case FLOATS: {
                double[] r = new double[a.getFloatsCount()];
                for (int i = 0; i < r.length; i++) r[i] = a.getFloats(i);
                return r;
            }
            case INTS: {
                long[] r = new long[a.getIntsCount()];
                for (int i = 0; i < r.length; i++) r[i] = a.getInts(i);
                return r;
            }
            case STRINGS: {
                String[] r = new String[a.getStringsCount()];
                for (int i = 0; i < r.length; i++) r[i] = a.getStrings(i).toStringUtf8();
                return r;
            }
            default:
                throw new KilnException(Code.BAD_ATTRIBUTE, Location.node(null, nodeName),
                        "attribute '" + a.getName() + "' has type " + a.getType() + ", which Kiln does not import"
                        + (a.getType() == AttributeProto.AttributeType.GRAPH ? " for this op" : ""));
        }
    }

    /**
     * Adds a Kiln node; when every input is a constant the node is evaluated at once and replaced by constants
     * (this folds the shape computations exporters emit).
     */
    List<Value> addNode(OpDef op, String nodeName, List<Value> ins, dev.kiln.ir.Attrs attrs, List<String> preferredNames) {
        List<String> names = new ArrayList<>();
        for (String p : preferredNames) {
            String u = graph.uniqueValueName(p);
            while (names.contains(u)) u = graph.uniqueValueName(u + "_");
            names.add(u);
        }
        Node node = graph.addNode(op, nodeName, ins, attrs, names);
        for (Value o : node.outputs()) {
            if (o.type().byteSize() > options.maxTensorBytes())
                throw new KilnException(Code.TENSOR_TOO_LARGE, Location.node(null, node.name()), o.name(), o.type().byteSize(), options.maxTensorBytes())
                        .withHint("raise the limit with --max-tensor-bytes if this model is genuine");
            String problem = options.shapeProblem(o.type().shape().dimsLong(), o.type().dtype().byteSize());
            if (problem != null)
                throw new KilnException(Code.BAD_SHAPE, Location.node(null, node.name()), "output '" + o.name() + "' of shape " + o.type().shape() + ": " + problem);
        }
        boolean allConstant = true;
        for (Value v : ins) if (v != null && !v.isConstant()) allConstant = false;
        // why: folding DequantizeLinear of int8 weights would hide the quantized weights from integer lowering
        if (!allConstant || op.has(Trait.QUANT_BOUNDARY)) return node.outputs();
        for (Value o : node.outputs()) chargeConstant(o.name(), o.type().byteSize());
        List<NdArray> ds = new ArrayList<>();
        for (Value v : ins) ds.add(v == null ? null : v.constant());
        List<NdArray> outs = Interpreter.evaluate(node, ds);
        List<Value> consts = new ArrayList<>();
        List<String> outNames = new ArrayList<>();
        for (Value o : node.outputs()) outNames.add(o.name());
        graph.removeNode(node);
        for (int i = 0; i < outs.size(); i++) consts.add(graph.addConstant(outNames.get(i), outs.get(i)));
        return consts;
    }

    @Override
    public String toString() { return "OnnxImporter[" + where + ", opsets " + opsets + ", functions " + Arrays.toString(functions.keySet().toArray()) + "]"; }
}
