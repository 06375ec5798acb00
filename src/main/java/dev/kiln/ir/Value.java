package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A tensor value in a {@link Graph}: a graph input, a constant (with data), or an output of a node.
 * Each value keeps the list of its uses, updated by {@link Node#setInput}.
 */
public final class Value {
    /** One use of a value: input {@code index} of node {@code user}. */
    public record Use(Node user, int index) {}

    private String name;
    private TensorType type;
    private Node producer;
    private int producerIndex = -1;
    private NdArray constant;
    private final List<Use> uses = new ArrayList<>();

    Value(String name, TensorType type) {
        this.name = name;
        this.type = type;
    }

    public String name() { return name; }
    void rename(String n) { this.name = n; }
    public TensorType type() { return type; }
    public DType dtype() { return type.dtype(); }
    public Shape shape() { return type.shape(); }

    /** Changes the type (passes that retype values, e.g. quantization, use this). */
    public void setType(TensorType t) { this.type = t; }

    /** The node that computes this value, or null for inputs and constants. */
    public Node producer() { return producer; }

    /** Which output of the producer this is, or -1. */
    public int producerIndex() { return producerIndex; }

    void setProducer(Node n, int index) {
        this.producer = n;
        this.producerIndex = index;
    }

    /** The data of a constant, or null if this value is not a constant. */
    public NdArray constant() { return constant; }

    public boolean isConstant() { return constant != null; }

    void setConstant(NdArray c) { this.constant = c; }

    /** The uses of this value by nodes (read-only view). */
    public List<Use> uses() { return Collections.unmodifiableList(uses); }

    /** The distinct nodes that read this value. */
    public List<Node> users() {
        List<Node> r = new ArrayList<>();
        for (Use u : uses) if (!r.contains(u.user())) r.add(u.user());
        return r;
    }

    void addUse(Node n, int index) { uses.add(new Use(n, index)); }

    void removeUse(Node n, int index) {
        for (int i = 0; i < uses.size(); i++) {
            Use u = uses.get(i);
            if (u.user() == n && u.index() == index) {
                uses.remove(i);
                return;
            }
        }
    }

    @Override
    public String toString() { return "%" + name + ": " + type; }
}
