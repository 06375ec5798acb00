package dev.kiln.backend;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Value;
import java.util.LinkedHashMap;
import java.util.Map;

/** The state pairs of {@code --state IN=OUT}: a model input and the model output that is its next value. */
public final class StatePairs {
    private StatePairs() {}

    /**
     * The pairs of {@code names} (input name to output name) as the graph's values, in the order given; a name
     * that is not an input or output of {@code g}, an input named twice, or a pair whose types differ is a usage
     * error naming it. {@code backend} names the backend in messages.
     */
    public static Map<Value, Value> resolve(Graph g, Map<String, String> names, String backend) {
        Map<Value, Value> r = new LinkedHashMap<>();
        if (names == null) return r;
        for (Map.Entry<String, String> e : names.entrySet()) {
            Value in = find(g.inputs(), e.getKey()), out = find(g.outputs(), e.getValue());
            String pair = "--state " + e.getKey() + "=" + e.getValue();
            if (in == null) throw usage(pair + ": the model has no input '" + e.getKey() + "'", "inputs: " + names(g.inputs()));
            if (out == null) throw usage(pair + ": the model has no output '" + e.getValue() + "'", "outputs: " + names(g.outputs()));
            if (!in.type().dtype().equals(out.type().dtype()) || !in.shape().equals(out.shape()))
                throw usage(pair + ": input " + in.type() + " and output " + out.type() + " differ, so they cannot share one buffer",
                        "pair a state input with the output of the same type and shape");
            if (r.containsValue(out)) throw usage(pair + ": output '" + e.getValue() + "' is paired twice", "name each state output once");
            r.put(in, out);
        }
        return r;
    }

    /** The pairs of {@code --state IN=OUT} options, input name to output name, in the order given; a malformed one is a usage error. */
    public static Map<String, String> parse(java.util.List<String> state) {
        Map<String, String> r = new LinkedHashMap<>();
        if (state == null) return r;
        for (String s : state) {
            int eq = s.indexOf('=');
            if (eq <= 0 || eq == s.length() - 1)
                throw new KilnException(Code.USAGE, Location.NONE, "--state '" + s + "' is not IN=OUT")
                        .withHint("name a model input and the output that is its next value, e.g. --state h_in=h_out");
            if (r.put(s.substring(0, eq), s.substring(eq + 1)) != null)
                throw new KilnException(Code.USAGE, Location.NONE, "--state names input '" + s.substring(0, eq) + "' twice")
                        .withHint("pair each state input once");
        }
        return r;
    }

    private static Value find(java.util.List<Value> vs, String name) {
        for (Value v : vs) if (v.name().equals(name)) return v;
        return null;
    }

    private static String names(java.util.List<Value> vs) {
        StringBuilder b = new StringBuilder();
        for (Value v : vs) b.append(b.length() == 0 ? "" : ", ").append(v.name());
        return b.toString();
    }

    private static KilnException usage(String msg, String hint) {
        return new KilnException(Code.USAGE, Location.NONE, msg).withHint(hint);
    }
}
