package dev.kiln.ops;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An op's interface: its inputs (required, optional, or a variadic tail), its outputs and its attributes
 * with types and defaults. {@link #bind} validates a node against it.
 */
public final class Signature {
    /** One input or output slot. */
    public record Port(String name, boolean optional, boolean variadic) {}

    /** One attribute: its type, its default (null if none), and whether it must be given. */
    public record Attr(String name, AttrType type, Object dflt, boolean required, String doc) {}

    private final List<Port> inputs;
    private final List<Port> outputs;
    private final Map<String, Attr> attrs;

    private Signature(List<Port> inputs, List<Port> outputs, Map<String, Attr> attrs) {
        this.inputs = inputs;
        this.outputs = outputs;
        this.attrs = attrs;
    }

    public static Builder builder() { return new Builder(); }

    public List<Port> inputs() { return Collections.unmodifiableList(inputs); }
    public List<Port> outputs() { return Collections.unmodifiableList(outputs); }
    public Map<String, Attr> attrs() { return Collections.unmodifiableMap(attrs); }

    /**
     * The attributes error messages offer: all but the internal ones that passes set on a node (such as
     * {@link RoundingSteps#ATTR}; the DSL still reads them back from a printed optimized graph).
     */
    public List<String> publicAttrNames() {
        List<String> r = new ArrayList<>();
        for (String n : attrs.keySet()) if (!internal(n)) r.add(n);
        return r;
    }

    /** Whether an attribute is set only by passes, never by a model. */
    public static boolean internal(String attrName) { return RoundingSteps.ATTR.equals(attrName); }

    /** Fewest inputs a node may have (every non-optional input before the variadic tail, which needs one). */
    public int minInputs() {
        int n = 0;
        for (int i = 0; i < inputs.size(); i++) if (!inputs.get(i).optional()) n = i + 1;
        return n;
    }

    /** Most inputs, or {@link Integer#MAX_VALUE} with a variadic tail. */
    public int maxInputs() {
        return !inputs.isEmpty() && inputs.get(inputs.size() - 1).variadic() ? Integer.MAX_VALUE : inputs.size();
    }

    public int minOutputs() {
        int n = 0;
        for (int i = 0; i < outputs.size(); i++) if (!outputs.get(i).optional()) n = i + 1;
        return n;
    }

    public int maxOutputs() {
        return !outputs.isEmpty() && outputs.get(outputs.size() - 1).variadic() ? Integer.MAX_VALUE : outputs.size();
    }

    /** The name of input slot {@code i} (the variadic slot for any index past the end). */
    public String inputName(int i) {
        if (inputs.isEmpty()) return "#" + i;
        return i < inputs.size() ? inputs.get(i).name() : inputs.get(inputs.size() - 1).name() + "[" + i + "]";
    }

    /**
     * Checks a node's inputs and attributes against this signature and returns the attributes with defaults
     * filled in and values coerced to their declared types. Errors name the node.
     */
    public Attrs bind(OpDef op, Attrs given, List<Value> ins, int numOutputs, String nodeName) {
        Location at = Location.node(null, nodeName);
        if (ins.size() < minInputs() || ins.size() > maxInputs())
            throw new KilnException(Code.BAD_OP_INPUT, at, op.name() + " takes " + range(minInputs(), maxInputs()) + " inputs, got " + ins.size());
        for (int i = 0; i < ins.size(); i++) {
            Port p = inputs.get(Math.min(i, inputs.size() - 1));
            if (ins.get(i) == null && !p.optional())
                throw new KilnException(Code.BAD_OP_INPUT, at, op.name() + ": input '" + inputName(i) + "' is required");
        }
        if (numOutputs < minOutputs() || numOutputs > maxOutputs())
            throw new KilnException(Code.BAD_OP_INPUT, at, op.name() + " has " + range(minOutputs(), maxOutputs()) + " outputs, asked for " + numOutputs);
        Attrs r = Attrs.EMPTY;
        for (String n : given.names()) {
            Attr a = attrs.get(n);
            if (a == null)
                throw new KilnException(Code.BAD_ATTRIBUTE, at, op.name() + " has no attribute '" + n + "'"
                        + (publicAttrNames().isEmpty() ? " (it takes none)" : " (it takes: " + String.join(", ", publicAttrNames()) + ")"));
            Object v = a.type().coerce(given.get(n));
            if (v == null)
                throw new KilnException(Code.BAD_ATTRIBUTE, at, op.name() + ": attribute '" + n + "' must be "
                        + a.type().name().toLowerCase() + ", got " + Attrs.valueToString(given.get(n)));
            r = r.with(n, v);
        }
        for (Attr a : attrs.values()) {
            if (r.has(a.name())) continue;
            if (a.required()) throw new KilnException(Code.BAD_ATTRIBUTE, at, op.name() + ": attribute '" + a.name() + "' is required");
            if (a.dflt() != null) r = r.with(a.name(), a.dflt());
        }
        return r;
    }

    private static String range(int lo, int hi) {
        if (lo == hi) return Integer.toString(lo);
        return hi == Integer.MAX_VALUE ? lo + " or more" : lo + " to " + hi;
    }

    /** Builds a signature; input and output slots in order, then attributes. */
    public static final class Builder {
        private final List<Port> inputs = new ArrayList<>();
        private final List<Port> outputs = new ArrayList<>();
        private final Map<String, Attr> attrs = new LinkedHashMap<>();

        public Builder input(String... names) {
            for (String n : names) inputs.add(new Port(n, false, false));
            return this;
        }

        public Builder optionalInput(String... names) {
            for (String n : names) inputs.add(new Port(n, true, false));
            return this;
        }

        /** A variadic tail of at least one input. */
        public Builder variadicInput(String name) {
            inputs.add(new Port(name, false, true));
            return this;
        }

        /** A variadic tail of zero or more inputs. */
        public Builder optionalVariadicInput(String name) {
            inputs.add(new Port(name, true, true));
            return this;
        }

        public Builder output(String... names) {
            for (String n : names) outputs.add(new Port(n, false, false));
            return this;
        }

        public Builder optionalOutput(String... names) {
            for (String n : names) outputs.add(new Port(n, true, false));
            return this;
        }

        /** A variadic tail of at least one output. */
        public Builder variadicOutput(String name) {
            outputs.add(new Port(name, false, true));
            return this;
        }

        /** An attribute with a default (normalised like {@link Attrs#with}). */
        public Builder attr(String name, AttrType type, Object dflt) {
            Object d = dflt == null ? null : Attrs.of(name, dflt).get(name);
            if (d != null && type.coerce(d) == null) throw new IllegalArgumentException("default of " + name + " is not " + type);
            attrs.put(name, new Attr(name, type, d == null ? null : type.coerce(d), false, ""));
            return this;
        }

        /** An attribute that may be absent and has no default. */
        public Builder optionalAttr(String name, AttrType type) {
            attrs.put(name, new Attr(name, type, null, false, ""));
            return this;
        }

        /** An attribute every node must give. */
        public Builder requiredAttr(String name, AttrType type) {
            attrs.put(name, new Attr(name, type, null, true, ""));
            return this;
        }

        public Signature build() {
            if (outputs.isEmpty()) outputs.add(new Port("Y", false, false));
            return new Signature(List.copyOf(inputs), List.copyOf(outputs), Collections.unmodifiableMap(new LinkedHashMap<>(attrs)));
        }
    }

    @Override
    public String toString() {
        return "inputs=" + inputs + " outputs=" + outputs + " attrs=" + Arrays.toString(attrs.keySet().toArray());
    }
}
