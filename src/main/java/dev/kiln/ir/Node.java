package dev.kiln.ir;

import dev.kiln.ops.OpDef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** An operation in a {@link Graph}: an op, its attributes, input values (null for absent optional ones) and output values. */
public final class Node {
    private final OpDef op;
    private String name;
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private Attrs attrs;

    Node(OpDef op, String name, Attrs attrs) {
        this.op = op;
        this.name = name;
        this.attrs = attrs;
    }

    public OpDef op() { return op; }
    public String name() { return name; }
    void rename(String n) { this.name = n; }
    public Attrs attrs() { return attrs; }

    /** Replaces the attributes (no re-inference: the caller knows the output types stay valid). */
    public void setAttrs(Attrs a) { this.attrs = a; }

    /**
     * The graphs this node owns (If branches, Loop and Scan bodies: its GRAPH attributes, in attribute-name
     * order). Each is closed: it reads outer values only through its own inputs, which the node's inputs feed.
     */
    public List<Graph> regions() { return attrs.graphs(); }

    /** True when the node owns at least one region. */
    public boolean hasRegions() { return !regions().isEmpty(); }

    public List<Value> inputs() { return Collections.unmodifiableList(inputs); }
    public List<Value> outputs() { return Collections.unmodifiableList(outputs); }
    public int numInputs() { return inputs.size(); }

    /** Input {@code i}, or null when absent or beyond the given inputs. */
    public Value input(int i) { return i < inputs.size() ? inputs.get(i) : null; }

    public Value output(int i) { return outputs.get(i); }

    /** Sets input {@code i}, keeping the use lists of the old and new values right. */
    public void setInput(int i, Value v) {
        while (inputs.size() <= i) inputs.add(null);
        Value old = inputs.get(i);
        if (old != null) old.removeUse(this, i);
        inputs.set(i, v);
        if (v != null) v.addUse(this, i);
    }

    void addOutput(Value v) {
        v.setProducer(this, outputs.size());
        outputs.add(v);
    }

    void detachInputs() {
        for (int i = 0; i < inputs.size(); i++) if (inputs.get(i) != null) inputs.get(i).removeUse(this, i);
        inputs.clear();
    }

    @Override
    public String toString() { return op.name() + " '" + name + "'"; }
}
