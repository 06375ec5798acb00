package dev.kiln.frontend.dsl;

import dev.kiln.diag.Code;
import dev.kiln.ir.AttrType;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Signature;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.Token;

/**
 * A call of a registry op: positional arguments are its inputs in signature order ({@code _} skips an
 * optional one), keyword arguments are attributes or name an input port. Adds one node.
 */
final class OpCall {
    private final BuildState st;

    OpCall(BuildState st) { this.st = st; }

    /**
     * Adds {@code op}'s node named {@code name} whose first outputs are named {@code outNames} (further outputs
     * the op must have are named {@code NAME:k}) and returns those first outputs.
     */
    List<Object> call(OpDef op, Token callee, List<Arg> args, String name, List<String> outNames, Token nameAt) {
        int nOut = outNames.size();
        Signature sig = op.signature();
        List<Signature.Port> ports = sig.inputs();
        boolean variadic = !ports.isEmpty() && ports.get(ports.size() - 1).variadic();
        List<Value> ins = new ArrayList<>();
        int positional = (int) args.stream().filter(Arg::positional).count();
        for (Arg a : args) {
            if (!a.positional()) continue;
            int i = ins.size();
            // why: without a variadic tail, each positional argument needs its own input slot
            if (!variadic && i >= ports.size())
                throw st.problems.fail(Code.DSL_BAD_ARGUMENT, a.at(), "too many positional arguments: " + op.name() + " takes "
                        + ports.size() + " input" + (ports.size() == 1 ? "" : "s") + " (" + portNames(sig) + "), got " + positional);
            ins.add(input(op, sig, i, a));
        }
        Attrs attrs = Attrs.EMPTY;
        Set<String> seen = new HashSet<>();
        for (Arg a : args) {
            if (a.positional()) continue;
            if (!seen.add(a.key())) throw st.problems.fail(Code.DSL_BAD_ARGUMENT, a.keyAt(), "argument '" + a.key() + "' is given twice");
            int port = portIndex(ports, a.key());
            // why: a name that is both an input and an attribute (clip's min, max) is the input only when given a tensor
            if (port >= 0 && sig.attrs().containsKey(a.key()) && !(a.value() instanceof Value)) port = -1;
            if (port >= 0) {
                if (port < ins.size() && ins.get(port) != null)
                    throw st.problems.fail(Code.DSL_BAD_ARGUMENT, a.keyAt(), "input '" + a.key() + "' of " + op.name() + " is given twice (by position and by name)");
                while (ins.size() <= port) ins.add(null);
                ins.set(port, input(op, sig, port, a));
            } else if (sig.attrs().containsKey(a.key())) {
                attrs = attrs.with(a.key(), attribute(op, sig.attrs().get(a.key()), a));
            } else {
                List<String> accepted = sig.publicAttrNames();
                for (Signature.Port p : ports) if (!p.variadic()) accepted.add(p.name());
                throw st.problems.fail(Code.DSL_UNKNOWN_ARGUMENT, a.keyAt(), op.name() + " has no attribute or input '" + a.key() + "'"
                        + (accepted.isEmpty() ? " (it takes none)" : " (it takes: " + String.join(", ", accepted) + ")"));
            }
        }
        for (int i = 0; i < ports.size(); i++) {
            Signature.Port p = ports.get(i);
            if (!p.optional() && (i >= ins.size() || ins.get(i) == null))
                throw st.problems.fail(Code.DSL_BAD_ARGUMENT, callee, "missing positional argument: " + op.name() + " needs input '" + p.name() + "'"
                        + (p.variadic() ? " (one or more tensors)" : ""));
        }
        while (!ins.isEmpty() && ins.get(ins.size() - 1) == null) ins.remove(ins.size() - 1);
        // why: a stage that is not the last of its pipeline takes one output even from a multi-output op
        int ask = Math.max(nOut, sig.minOutputs());
        if (nOut > sig.maxOutputs())
            throw st.problems.fail(Code.DSL_BAD_ARGUMENT, nameAt, op.name() + " gives " + sig.maxOutputs() + " output"
                    + (sig.maxOutputs() == 1 ? "" : "s") + ", the statement assigns " + nOut + " names");
        List<String> all = new ArrayList<>(outNames);
        for (int k = nOut; k < ask; k++) all.add(name + ":" + k);
        st.claimNode(name, nameAt);
        for (String n : all) st.claimValue(n, nameAt);
        Node node = st.addNode(op, name, ins, attrs, all, callee);
        List<Object> r = new ArrayList<>();
        for (int k = 0; k < nOut; k++) r.add(node.output(k));
        return r;
    }

    private Value input(OpDef op, Signature sig, int i, Arg a) {
        String what = "input '" + sig.inputName(i) + "' of " + op.name();
        if (a.value() == DslValues.ABSENT) {
            Signature.Port p = sig.inputs().get(Math.min(i, sig.inputs().size() - 1));
            if (!p.optional()) throw st.problems.fail(Code.DSL_BAD_ARGUMENT, a.at(), what + " is required; '_' skips only optional inputs");
            return null;
        }
        return st.tensor(a.value(), a.at(), what);
    }

    private static int portIndex(List<Signature.Port> ports, String name) {
        for (int i = 0; i < ports.size(); i++) if (!ports.get(i).variadic() && ports.get(i).name().equals(name)) return i;
        return -1;
    }

    private static String portNames(Signature sig) {
        List<String> n = new ArrayList<>();
        for (Signature.Port p : sig.inputs()) n.add(p.name());
        return String.join(", ", n);
    }

    /** A DSL value as the attribute's stored type, or an error naming what the attribute takes. */
    private Object attribute(OpDef op, Signature.Attr attr, Arg a) {
        Object v = a.value();
        if (v == DslValues.POISON) throw new Problems.StatementFailed();
        AttrType t = attr.type();
        boolean strings = t == AttrType.STRING || t == AttrType.STRINGS;
        if (v instanceof DslValues.Symbol) {
            if (!strings) throw st.undefined((DslValues.Symbol) v);
            v = ((DslValues.Symbol) v).name();
        }
        Object r = convert(t, v);
        if (r == null)
            throw st.problems.fail(Code.DSL_BAD_ARGUMENT, a.at(), "attribute '" + attr.name() + "' of " + op.name() + " must be "
                    + description(t) + ", got " + DslValues.describe(a.value()));
        return r;
    }

    private static Object convert(AttrType t, Object v) {
        switch (t) {
            case INT:
                if (v instanceof Long) return v;
                if (v instanceof Boolean) return (Boolean) v ? 1L : 0L;
                return null;
            case FLOAT:
                return v instanceof Long || v instanceof Double ? ((Number) v).doubleValue() : null;
            case STRING:
                return v instanceof String ? v : null;
            case INTS: {
                List<?> l = v instanceof List ? (List<?>) v : List.of(v);
                long[] r = new long[l.size()];
                for (int i = 0; i < r.length; i++) {
                    if (!(l.get(i) instanceof Long)) return null;
                    r[i] = (Long) l.get(i);
                }
                return r;
            }
            case FLOATS: {
                List<?> l = v instanceof List ? (List<?>) v : List.of(v);
                double[] r = new double[l.size()];
                for (int i = 0; i < r.length; i++) {
                    if (!(l.get(i) instanceof Long || l.get(i) instanceof Double)) return null;
                    r[i] = ((Number) l.get(i)).doubleValue();
                }
                return r;
            }
            case STRINGS: {
                List<?> l = v instanceof List ? (List<?>) v : List.of(v);
                String[] r = new String[l.size()];
                for (int i = 0; i < r.length; i++) {
                    Object o = l.get(i) instanceof DslValues.Symbol ? ((DslValues.Symbol) l.get(i)).name() : l.get(i);
                    if (!(o instanceof String)) return null;
                    r[i] = (String) o;
                }
                return r;
            }
            case TENSOR:
                return v instanceof NdArray ? v : null;
            case GRAPH:
                return v instanceof dev.kiln.ir.Graph ? v : null;
            default:
                return null;
        }
    }

    private static String description(AttrType t) {
        switch (t) {
            case INT: return "an int";
            case FLOAT: return "a number";
            case STRING: return "a string";
            case INTS: return "an int or a list of ints";
            case FLOATS: return "a number or a list of numbers";
            case STRINGS: return "a string or a list of strings";
            case GRAPH: return "a region such as { input x: f32[2]  y = relu(x)  output y }";
            default: return "a typed literal such as f32[2] [1, 2]";
        }
    }
}
