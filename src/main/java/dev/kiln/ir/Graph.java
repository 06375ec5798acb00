package dev.kiln.ir;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ops.InferContext;
import dev.kiln.ops.OpDef;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model: named inputs, constants, nodes in execution order, and outputs. Every value has a static
 * type, inferred by the op when its node is added. Names of values and nodes are unique.
 */
public final class Graph {
    private String name;
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Value> values = new LinkedHashMap<>();
    private final Map<String, Node> nodesByName = new LinkedHashMap<>();

    public Graph(String name) { this.name = name; }

    public String name() { return name; }
    public void setName(String n) { this.name = n; }

    public List<Value> inputs() { return Collections.unmodifiableList(inputs); }
    public List<Value> outputs() { return Collections.unmodifiableList(outputs); }
    /** Nodes in execution order. */
    public List<Node> nodes() { return Collections.unmodifiableList(nodes); }
    /** Every value (inputs, constants, node outputs) in creation order. */
    public Iterable<Value> values() { return Collections.unmodifiableCollection(values.values()); }

    /** The value named {@code n}, or null. */
    public Value value(String n) { return values.get(n); }

    /** The node named {@code n}, or null. */
    public Node node(String n) { return nodesByName.get(n); }

    /** The constants (values with data and no producer), in creation order. */
    public List<Value> constants() {
        List<Value> r = new ArrayList<>();
        for (Value v : values.values()) if (v.isConstant()) r.add(v);
        return r;
    }

    /** A value name not yet used, based on {@code base}. */
    public String uniqueValueName(String base) {
        if (base == null || base.isEmpty()) base = "v";
        if (!values.containsKey(base)) return base;
        for (int i = 1; ; i++) if (!values.containsKey(base + "_" + i)) return base + "_" + i;
    }

    /** A node name not yet used, based on {@code base}. */
    public String uniqueNodeName(String base) {
        if (base == null || base.isEmpty()) base = "node";
        if (!nodesByName.containsKey(base)) return base;
        for (int i = 1; ; i++) if (!nodesByName.containsKey(base + "_" + i)) return base + "_" + i;
    }

    private Value newValue(String n, TensorType t) {
        if (values.containsKey(n)) throw new KilnException(Code.DUPLICATE_VALUE, Location.NONE, n);
        Value v = new Value(n, t);
        values.put(n, v);
        return v;
    }

    /** Adds a graph input. */
    public Value addInput(String n, TensorType t) {
        Value v = newValue(n, t);
        inputs.add(v);
        return v;
    }

    /** Adds a constant under a unique name derived from {@code n}. */
    public Value addConstant(String n, NdArray data) {
        Value v = newValue(uniqueValueName(n), data.type());
        v.setConstant(data);
        return v;
    }

    /** Appends {@code v} to the graph outputs. */
    public void addOutput(Value v) { outputs.add(v); }

    /** Replaces graph output {@code i}. */
    public void setOutput(int i, Value v) { outputs.set(i, v); }

    /** Puts the graph inputs in the order of {@code order}, which must hold exactly the current inputs. */
    public void reorderInputs(List<Value> order) {
        if (order.size() != inputs.size() || !order.containsAll(inputs)) throw new IllegalArgumentException("not a permutation of the inputs of " + name);
        inputs.clear();
        inputs.addAll(order);
    }

    /** Removes a graph input that nothing uses any more (e.g. one frozen to a constant). */
    public void removeInput(Value v) {
        if (!v.uses().isEmpty() || outputs.contains(v)) throw new IllegalStateException("input " + v.name() + " is still used");
        inputs.remove(v);
        values.remove(v.name());
    }

    /** Turns graph input {@code v} into a constant holding {@code data}; its uses stay. */
    public void freezeInput(Value v, NdArray data) {
        if (!inputs.remove(v)) throw new IllegalArgumentException(v.name() + " is not a graph input");
        v.setConstant(data);
        v.setType(data.type());
    }

    /**
     * Appends a node computing {@code op} on {@code ins} with {@code attrs} (validated against the op's signature,
     * defaults filled), infers its output types, and names its outputs {@code outNames} (or after the node).
     */
    public Node addNode(OpDef op, String nodeName, List<Value> ins, Attrs attrs, List<String> outNames) {
        return insertNode(nodes.size(), op, nodeName, ins, attrs, outNames);
    }

    /** Like {@link #addNode} with {@code numOutputs} outputs named after the node. */
    public Node addNode(OpDef op, String nodeName, List<Value> ins, Attrs attrs, int numOutputs) {
        List<String> names = new ArrayList<>();
        String base = nodeName == null ? op.name() : nodeName;
        for (int i = 0; i < numOutputs; i++) names.add(uniqueValueName(numOutputs == 1 ? base : base + "_" + i));
        return addNode(op, nodeName, ins, attrs, names);
    }

    /** Like {@link #addNode} with one output. */
    public Node addNode(OpDef op, String nodeName, List<Value> ins, Attrs attrs) {
        return addNode(op, nodeName, ins, attrs, 1);
    }

    /** Inserts a node at position {@code index} of the execution order; see {@link #addNode}. */
    public Node insertNode(int index, OpDef op, String nodeName, List<Value> ins, Attrs attrs, List<String> outNames) {
        String nn = uniqueNodeName(nodeName == null || nodeName.isEmpty() ? op.name() : nodeName);
        Attrs bound = op.signature().bind(op, attrs, ins, outNames.size(), nn);
        List<TensorType> types;
        try {
            types = op.infer(new InferContext(op, nn, ins, bound, outNames.size()));
        } catch (KilnException e) {
            throw e;
        } catch (IllegalArgumentException | ArithmeticException | IndexOutOfBoundsException e) {
            throw new KilnException(Code.SHAPE_MISMATCH, Location.node(null, nn), op.name() + ": " + e.getMessage());
        }
        if (types.size() != outNames.size())
            throw new IllegalStateException(op.name() + " inferred " + types.size() + " outputs, node has " + outNames.size());
        Node n = new Node(op, nn, bound);
        for (int i = 0; i < ins.size(); i++) n.setInput(i, ins.get(i));
        for (int i = 0; i < outNames.size(); i++) n.addOutput(newValue(outNames.get(i), types.get(i)));
        nodes.add(index, n);
        nodesByName.put(nn, n);
        return n;
    }

    /**
     * Copies the nodes of region {@code r} into this graph at schedule position {@code at}, its inputs bound to
     * {@code bindings} (values of this graph) and its constants copied in; node names get {@code prefix + "/"}.
     * Returns the values of this graph that are {@code r}'s outputs, in order.
     */
    public List<Value> spliceRegion(int at, String prefix, Graph r, List<Value> bindings) {
        Map<Value, Value> map = new java.util.IdentityHashMap<>();
        for (int i = 0; i < r.inputs().size(); i++) map.put(r.inputs().get(i), bindings.get(i));
        for (Value c : r.constants()) map.put(c, addConstant(c.name(), c.constant()));
        for (Node b : r.nodes()) {
            List<Value> ins = new ArrayList<>();
            for (Value v : b.inputs()) ins.add(v == null ? null : map.get(v));
            List<String> names = new ArrayList<>();
            for (Value o : b.outputs()) {
                String u = uniqueValueName(o.name());
                while (names.contains(u)) u = uniqueValueName(u + "_");
                names.add(u);
            }
            Node copy = insertNode(at++, b.op(), uniqueNodeName(prefix + "/" + b.name()), ins, b.attrs(), names);
            for (int i = 0; i < b.outputs().size(); i++) map.put(b.output(i), copy.output(i));
        }
        List<Value> outs = new ArrayList<>();
        for (Value o : r.outputs()) outs.add(map.get(o));
        return outs;
    }

    /** Removes a node; its outputs must be unused (or be replaced first with {@link #replaceAllUses}). */
    public void removeNode(Node n) {
        for (Value o : n.outputs()) {
            if (!o.uses().isEmpty() || outputs.contains(o))
                throw new IllegalStateException("output " + o.name() + " of " + n + " is still used");
            values.remove(o.name());
        }
        n.detachInputs();
        nodes.remove(n);
        nodesByName.remove(n.name());
    }

    /**
     * Replaces node {@code n} by constants: its output values keep their names, identity and uses, and now
     * hold {@code data} (one array per output, of the outputs' types) instead of being computed.
     */
    public void foldToConstants(Node n, List<NdArray> data) {
        if (data.size() != n.outputs().size()) throw new IllegalArgumentException(n + " has " + n.outputs().size() + " outputs, " + data.size() + " arrays given");
        for (int i = 0; i < data.size(); i++) {
            Value o = n.output(i);
            o.setConstant(data.get(i));
            o.setProducer(null, -1);
        }
        n.detachInputs();
        nodes.remove(n);
        nodesByName.remove(n.name());
    }

    /** Makes every user of {@code from} (nodes and graph outputs) read {@code to} instead. */
    public void replaceAllUses(Value from, Value to) {
        for (Value.Use u : new ArrayList<>(from.uses())) u.user().setInput(u.index(), to);
        for (int i = 0; i < outputs.size(); i++) if (outputs.get(i) == from) outputs.set(i, to);
    }

    /** Removes constants that nothing uses. */
    public void removeUnusedConstants() {
        values.values().removeIf(v -> v.isConstant() && v.uses().isEmpty() && !outputs.contains(v) && !inputs.contains(v));
    }

    /** Renames a value (the new name must be free). */
    public void renameValue(Value v, String newName) {
        if (values.containsKey(newName)) throw new KilnException(Code.DUPLICATE_VALUE, Location.NONE, newName);
        values.remove(v.name());
        v.rename(newName);
        values.put(newName, v);
    }

    /**
     * Reorders nodes so every node comes after the producers of its inputs (stable: keeps the current order
     * where it is already valid). Fails on a cycle, naming a node on it.
     */
    public void sortTopologically() {
        Map<Node, Integer> pending = new IdentityHashMap<>();
        Map<Node, List<Node>> consumers = new IdentityHashMap<>();
        for (Node n : nodes) {
            int c = 0;
            for (Value v : n.inputs()) if (v != null && v.producer() != null) {
                c++;
                consumers.computeIfAbsent(v.producer(), k -> new ArrayList<>()).add(n);
            }
            pending.put(n, c);
        }
        List<Node> order = new ArrayList<>();
        Deque<Node> ready = new ArrayDeque<>();
        for (Node n : nodes) if (pending.get(n) == 0) ready.add(n);
        while (!ready.isEmpty()) {
            Node n = ready.poll();
            order.add(n);
            for (Node c : consumers.getOrDefault(n, List.of())) if (pending.merge(c, -1, Integer::sum) == 0) ready.add(c);
        }
        if (order.size() != nodes.size()) {
            for (Node n : nodes) if (pending.get(n) > 0) throw new KilnException(Code.GRAPH_CYCLE, Location.node(null, n.name()), n.name());
        }
        nodes.clear();
        nodes.addAll(order);
    }

    @Override
    public String toString() { return GraphPrinter.print(this); }
}
