package dev.kiln.frontend.dsl;

import dev.kiln.diag.Code;
import dev.kiln.frontend.dsl.layers.Layer;
import dev.kiln.frontend.dsl.layers.LayerContext;
import dev.kiln.frontend.dsl.layers.LayerParam;
import dev.kiln.frontend.dsl.layers.Padding;
import dev.kiln.frontend.dsl.layers.ParamInit;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.antlr.v4.runtime.Token;

/**
 * A call of a layer from the layer library: binds the arguments to the layer's parameters (positional in
 * order, then keyword, then defaults), converts them by kind, and lets the layer build its nodes.
 */
final class LayerCall implements LayerContext {
    private final BuildState st;
    private final Layer layer;
    private final Token callee;
    private final Token nameAt;
    private final String name;
    private final String output;
    private final Map<String, Object> args = new HashMap<>();

    private LayerCall(BuildState st, Layer layer, Token callee, String name, String output, Token nameAt) {
        this.st = st;
        this.output = output;
        this.layer = layer;
        this.callee = callee;
        this.name = name;
        this.nameAt = nameAt;
    }

    /** Builds {@code layer} named {@code name} (its output value named {@code outNames}' one name) from {@code given}. */
    static List<Object> call(BuildState st, Layer layer, Token callee, List<Arg> given, String name, List<String> outNames, Token nameAt) {
        if (outNames.size() != 1)
            throw st.problems.fail(Code.DSL_BAD_ARGUMENT, nameAt, layer.name() + " gives one output, the statement assigns " + outNames.size() + " names");
        LayerCall c = new LayerCall(st, layer, callee, name, outNames.get(0), nameAt);
        c.bind(given);
        st.claimNode(name, nameAt);
        st.claimValue(outNames.get(0), nameAt);
        return List.of(layer.build(c));
    }

    private void bind(List<Arg> given) {
        List<LayerParam> ps = layer.params();
        Map<String, Arg> raw = new LinkedHashMap<>();
        int positional = (int) given.stream().filter(Arg::positional).count();
        int i = 0;
        for (Arg a : given) {
            if (!a.positional()) continue;
            // why: each positional argument binds the next parameter; past the last one there is nothing to bind
            if (i >= ps.size())
                throw st.problems.fail(Code.DSL_BAD_ARGUMENT, a.at(), "too many positional arguments: " + layer.name() + " takes at most "
                        + ps.size() + " (" + paramNames(ps) + "), got " + positional);
            raw.put(ps.get(i++).name(), a);
        }
        for (Arg a : given) {
            if (a.positional()) continue;
            LayerParam p = find(ps, a.key());
            if (p == null) {
                List<String> names = new ArrayList<>();
                for (LayerParam q : ps) names.add(q.name());
                String near = Problems.nearest(a.key(), names);
                throw st.problems.fail(Code.DSL_UNKNOWN_ARGUMENT, a.keyAt(), layer.name() + " has no parameter '" + a.key() + "'"
                        + (near != null ? " (did you mean '" + near + "'?)" : "") + " (it takes: " + paramNames(ps) + ")");
            }
            if (raw.containsKey(p.name())) throw st.problems.fail(Code.DSL_BAD_ARGUMENT, a.keyAt(), "argument '" + a.key() + "' is given twice");
            raw.put(p.name(), a);
        }
        for (LayerParam p : ps) {
            Arg a = raw.get(p.name());
            if (a != null && a.value() == DslValues.ABSENT) a = null;
            if (a == null) {
                if (!p.hasDefault()) throw st.problems.fail(Code.DSL_BAD_ARGUMENT, callee, "missing argument: " + layer.name() + " needs '" + p.name() + "'");
                if (p.defaultFrom() == null) args.put(p.name(), p.kind().convert(p.name(), p.dflt(), DslValues.describe(p.dflt())));
                continue;
            }
            Object v = a.value();
            if (v == DslValues.POISON) throw new Problems.StatementFailed();
            if (v instanceof DslValues.Symbol) {
                if (!p.kind().takesSymbols()) throw st.undefined((DslValues.Symbol) v);
                v = ((DslValues.Symbol) v).name();
            }
            try {
                args.put(p.name(), p.kind().convert(p.name(), v, DslValues.describe(v)));
            } catch (IllegalArgumentException e) {
                throw st.problems.fail(Code.DSL_BAD_ARGUMENT, a.at(), e.getMessage());
            }
        }
        for (LayerParam p : ps) if (!args.containsKey(p.name())) args.put(p.name(), args.get(p.defaultFrom()));
    }

    private static LayerParam find(List<LayerParam> ps, String n) {
        for (LayerParam p : ps) if (p.name().equals(n)) return p;
        return null;
    }

    private static String paramNames(List<LayerParam> ps) {
        List<String> n = new ArrayList<>();
        for (LayerParam p : ps) n.add(p.name());
        return String.join(", ", n);
    }

    @Override
    public String layerName() { return name; }

    @Override
    public Value tensor(String param) { return (Value) args.get(param); }

    @Override
    public long integer(String param) { return (Long) args.get(param); }

    @Override
    public int[] pair(String param) { return ((int[]) args.get(param)).clone(); }

    @Override
    public double number(String param) { return (Double) args.get(param); }

    @Override
    public boolean flag(String param) { return (Boolean) args.get(param); }

    @Override
    public Padding padding(String param) { return (Padding) args.get(param); }

    @Override
    public Value parameter(String suffix, TensorType type, ParamInit init, long fanIn) {
        String key = name + "." + suffix;
        st.claimValue(key, nameAt);
        NdArray data = st.weights.parameter(key, type, init, fanIn, callee, name);
        return st.graph.addConstant(key, data);
    }

    @Override
    public Value node(OpDef op, List<Value> inputs, Attrs attrs) {
        return st.addNode(op, name, inputs, attrs, List.of(output), callee).output(0);
    }

    @Override
    public RuntimeException error(String message) { return st.problems.fail(Code.DSL_OP_ERROR, callee, layer.name() + ": " + message); }
}
