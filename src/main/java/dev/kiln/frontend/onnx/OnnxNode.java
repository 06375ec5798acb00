package dev.kiln.frontend.onnx;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.frontend.onnx.proto.Onnx.AttributeProto;
import dev.kiln.frontend.onnx.proto.Onnx.NodeProto;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One ONNX node as a mapping method sees it: its opset, inputs as Kiln values, attributes, and the
 * {@code emit} calls that add Kiln nodes and bind the ONNX outputs to them.
 */
public final class OnnxNode {
    /** Set when {@link #input} returned null for a slot the node leaves empty. */
    private boolean readAbsentInput;

    private final OnnxImporter importer;
    private final NodeProto proto;
    private final String name;
    private final int opset;
    private final Map<String, AttributeProto> attributes = new LinkedHashMap<>();

    OnnxNode(OnnxImporter importer, NodeProto proto, String name, int opset) {
        this.importer = importer;
        this.proto = proto;
        this.name = name;
        this.opset = opset;
        for (AttributeProto a : proto.getAttributeList()) {
            int count = Math.max(a.getIntsCount(), Math.max(a.getFloatsCount(), a.getStringsCount()));
            // why: ops copy and print attribute lists; a list of millions is an attack, not a model
            if (count > ImportOptions.MAX_ATTRIBUTE_VALUES)
                throw new KilnException(Code.BAD_ATTRIBUTE, Location.node(null, name), proto.getOpType() + ": attribute '" + a.getName()
                        + "' holds " + count + " values, more than Kiln's limit of " + ImportOptions.MAX_ATTRIBUTE_VALUES)
                        .withHint("no ONNX op needs an attribute list this long; the model is damaged or hostile");
            attributes.put(a.getName(), a);
        }
    }

    /** The ONNX op type, e.g. {@code Conv}. */
    public String opType() { return proto.getOpType(); }

    /**
     * Records a note about this node for {@code -v} (what the importer accepted leniently and how it read it); notes
     * of the same kind (op type and {@code fmt}) on several nodes print as one line
     * ({@link ImportOptions#note(String, String, String, Object...)}), so {@code fmt} names what is lenient and
     * {@code args} (only {@code %s}/{@code %d}) carry what varies.
     */
    public void note(String fmt, Object... args) {
        importer.options().note(opType(), name, fmt, args);
    }

    /** The node's name (made up from op type and position when the model gives none). */
    public String name() { return name; }

    /** The opset version of the node's domain that the model imports. */
    public int opset() { return opset; }

    /** The Kiln graph being built. */
    public Graph graph() { return importer.graph(); }

    /** Number of input slots, counting empty (absent) ones. */
    public int numInputs() { return proto.getInputCount(); }

    /** Number of output slots, counting empty (unused) ones. */
    public int numOutputs() { return proto.getOutputCount(); }

    /** True if input {@code i} is given (present and not empty). */
    public boolean hasInput(int i) { return i < proto.getInputCount() && !proto.getInput(i).isEmpty(); }

    /** True if output {@code i} is requested. */
    public boolean hasOutput(int i) { return i < proto.getOutputCount() && !proto.getOutput(i).isEmpty(); }

    /** Input {@code i} as a Kiln value, or null when absent. */
    public Value input(int i) {
        if (hasInput(i)) return importer.lookup(proto.getInput(i), name);
        readAbsentInput = true;
        return null;
    }

    /** Whether the mapping asked for an input the node does not give (see {@link OnnxImporter}'s malformed-node check). */
    boolean readAbsentInput() { return readAbsentInput; }

    /** All input slots as values (null for absent ones), trailing absent ones dropped. */
    public List<Value> inputs() {
        List<Value> r = new ArrayList<>();
        for (int i = 0; i < proto.getInputCount(); i++) r.add(input(i));
        while (!r.isEmpty() && r.get(r.size() - 1) == null) r.remove(r.size() - 1);
        return r;
    }

    /** Inputs {@code from..to-1} (absent ones as null). */
    public List<Value> inputs(int from, int to) {
        List<Value> r = new ArrayList<>();
        for (int i = from; i < to; i++) r.add(input(i));
        return r;
    }

    /**
     * The data of input {@code i}, which must be known at compile time: a constant, a constant-foldable
     * expression, or a graph input whose value the caller declared (that input is then frozen).
     */
    public NdArray constInput(int i, String what) {
        Value v = input(i);
        if (v == null) return null;
        NdArray c = importer.constantOrFreeze(v);
        dev.kiln.ir.Node shape = c == null ? runTimeShape(v) : null;
        if (shape != null) {
            Value x = shape.input(0);
            int a = (int) shape.attrs().getInt("axis");
            throw new KilnException(Code.BOUNDED_SHAPE, Location.node(null, name), opType() + " '" + name + "' needs input " + i + " (" + what
                    + ") '" + v.name() + "' at compile time, but it is computed from the run-time Shape of '" + x.name() + "' (node '" + shape.name()
                    + "'), whose axis " + a + " has a size known only at run time (at most " + x.shape().dim(a) + ")")
                    .withHint("a --bound only caps that size; compute '" + v.name() + "' from constants (a Reshape takes 0 or -1 for the run-time"
                            + " sized dimension), or read the extent through ops that take it at run time (Slice, Range, Concat along that axis)");
        }
        if (c == null)
            throw new KilnException(Code.NOT_CONSTANT, Location.node(null, name),
                    opType() + " input " + i + " (" + what + ") '" + v.name() + "'")
                    .withHint("Kiln compiles static shapes; make this input an initializer, or give its value when checking");
        return c;
    }

    /**
     * The {@code bounded_shape} node (a run-time Shape of a bounded value) that {@code v} is computed from, found
     * within a few producers up, or null.
     */
    private static dev.kiln.ir.Node runTimeShape(Value v) {
        java.util.ArrayDeque<Value> todo = new java.util.ArrayDeque<>(List.of(v));
        java.util.Set<Value> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        while (!todo.isEmpty() && seen.size() < 64) {
            Value w = todo.poll();
            if (w == null || !seen.add(w) || w.producer() == null) continue;
            if (w.producer().op() == dev.kiln.ops.Ops.BOUNDED_SHAPE) return w.producer();
            todo.addAll(w.producer().inputs());
        }
        return null;
    }

    /** Input {@code i}'s data as longs (e.g. axes, pads), or null when absent. */
    public long[] constInts(int i, String what) {
        NdArray c = constInput(i, what);
        return c == null ? null : c.toLongArray();
    }

    public boolean hasAttr(String n) { return attributes.containsKey(n); }

    public long attrInt(String n, long dflt) {
        AttributeProto a = attributes.get(n);
        return a == null ? dflt : a.getI();
    }

    public double attrFloat(String n, double dflt) {
        AttributeProto a = attributes.get(n);
        return a == null ? dflt : a.getF();
    }

    public String attrString(String n, String dflt) {
        AttributeProto a = attributes.get(n);
        return a == null ? dflt : a.getS().toStringUtf8();
    }

    /** An INTS attribute, or null when absent. */
    public long[] attrInts(String n) {
        AttributeProto a = attributes.get(n);
        if (a == null) return null;
        long[] r = new long[a.getIntsCount()];
        for (int i = 0; i < r.length; i++) r[i] = a.getInts(i);
        return r;
    }

    /** A FLOATS attribute, or null when absent. */
    public double[] attrFloats(String n) {
        AttributeProto a = attributes.get(n);
        if (a == null) return null;
        double[] r = new double[a.getFloatsCount()];
        for (int i = 0; i < r.length; i++) r[i] = a.getFloats(i);
        return r;
    }

    /** A TENSOR attribute, or null when absent. */
    public NdArray attrTensor(String n) {
        AttributeProto a = attributes.get(n);
        return a == null ? null : importer.decodeAttributeTensor(a.getT());
    }

    /** Every attribute converted to Kiln form (names kept), for ops whose attributes match ONNX's one to one. */
    public Attrs attrs() {
        Attrs r = Attrs.EMPTY;
        for (AttributeProto a : attributes.values()) r = r.with(a.getName(), importer.attributeValue(a, name));
        return r;
    }

    /** Only the named attributes that are present, converted to Kiln form. */
    public Attrs attrs(String... names) {
        Attrs r = Attrs.EMPTY;
        for (String n : names) {
            AttributeProto a = attributes.get(n);
            if (a != null) r = r.with(n, importer.attributeValue(a, name));
        }
        return r;
    }

    /**
     * Imports the region held by GRAPH attribute {@code attr} as a closed graph whose formal inputs have
     * {@code formal} types (null entries: as the region declares); see {@link OnnxImporter#importRegion}.
     */
    OnnxImporter.Region region(String attr, List<dev.kiln.ir.TensorType> formal) {
        AttributeProto a = attributes.get(attr);
        if (a == null || !a.hasG()) throw error("attribute '%s' (a graph) is required", attr);
        return importer.importRegion(a.getG(), formal, name, attr);
    }

    /** Imports region attribute {@code attr} in this node's place (see {@link OnnxImporter#importInline}); its output values. */
    List<Value> inline(String attr) {
        AttributeProto a = attributes.get(attr);
        if (a == null || !a.hasG()) throw error("attribute '%s' (a graph) is required", attr);
        return importer.importInline(a.getG(), name, attr);
    }

    /** True when graph attribute {@code attr} is present. */
    boolean hasGraph(String attr) {
        AttributeProto a = attributes.get(attr);
        return a != null && a.hasG();
    }

    /**
     * Imports graph attribute {@code attr} in this node's place as a call with {@code args} bound to its inputs
     * (see {@link OnnxImporter#importCall}); its output values.
     */
    List<Value> call(String attr, List<Value> args) {
        if (!hasGraph(attr)) throw error("attribute '%s' (a graph) is required", attr);
        return importer.importCall(attributes.get(attr).getG(), name, attr, args);
    }

    /** The options of this import. */
    ImportOptions options() { return importer.options(); }

    /** The value {@code v} is known to have at compile time (a constant, or an input frozen to its declared value), or null. */
    NdArray knownValue(Value v) { return v == null ? null : importer.constantOrFreeze(v); }

    /** The value {@code v} has from constants alone (nothing frozen), or null. */
    NdArray foldedValue(Value v) { return v == null ? null : importer.constantFolded(v); }

    /** An error about this node. */
    public KilnException error(String fmt, Object... args) {
        return new KilnException(Code.BAD_ATTRIBUTE, Location.node(null, name), opType() + ": " + String.format(fmt, args));
    }

    /**
     * Adds a Kiln node for this ONNX node with {@code ins} and {@code attrs}, as many outputs as the ONNX node
     * has up to its last non-empty one (at least the op's minimum), and binds them to the ONNX output names.
     * Returns the output values.
     */
    public List<Value> emit(OpDef op, List<Value> ins, Attrs attrs) { return emit(op, ins, attrs, op.signature().minOutputs()); }

    /** {@link #emit} with at least {@code minOutputs} outputs (ops whose output count their attributes fix, e.g. a Loop's body). */
    public List<Value> emit(OpDef op, List<Value> ins, Attrs attrs, int minOutputs) {
        int used = proto.getOutputCount();
        while (used > 0 && !hasOutput(used - 1)) used--; // why: trailing empty names are unused optional outputs
        int n = Math.max(used, minOutputs);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) names.add(hasOutput(i) ? proto.getOutput(i) : name + ":" + i);
        List<Value> outs = importer.addNode(op, name, ins, attrs, names);
        for (int i = 0; i < Math.min(n, used); i++) bindOutput(i, outs.get(i));
        return outs;
    }

    /** {@link #emit} with all of the node's inputs and attributes as they are. */
    public List<Value> emit(OpDef op) { return emit(op, inputs(), attrs()); }

    /** {@link #emit} with all inputs and the given attributes. */
    public List<Value> emit(OpDef op, Attrs attrs) { return emit(op, inputs(), attrs); }

    /**
     * Adds a helper Kiln node (not bound to any ONNX output) with {@code numOutputs} outputs; used by mappings
     * that lower one ONNX node into several Kiln nodes. Constant inputs are folded right away.
     */
    public List<Value> emitNode(OpDef op, List<Value> ins, Attrs attrs, int numOutputs, String nodeName) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < numOutputs; i++) names.add(numOutputs == 1 ? nodeName : nodeName + ":" + i);
        return importer.addNode(op, nodeName, ins, attrs, names);
    }

    /** Binds ONNX output {@code i} to an existing value (for ops that become a constant or alias). */
    public void bindOutput(int i, Value v) {
        if (hasOutput(i)) importer.bind(proto.getOutput(i), v);
    }

    /** Binds ONNX output {@code i} to a new constant. */
    public void bindConstant(int i, NdArray data) {
        if (hasOutput(i)) importer.bind(proto.getOutput(i), graph().addConstant(proto.getOutput(i), data));
    }

    /** A new constant value (for mappings that need extra operands). */
    public Value constant(String suffix, NdArray data) { return graph().addConstant(name + "_" + suffix, data); }

    /** The ONNX output names (empty strings for unused outputs). */
    public List<String> outputNames() { return Collections.unmodifiableList(proto.getOutputList()); }

    @Override
    public String toString() { return opType() + " '" + name + "' (opset " + opset + ") inputs=" + Arrays.toString(proto.getInputList().toArray()); }
}
