package dev.kiln.frontend.dsl;

import dev.kiln.frontend.dsl.parser.KilnBaseVisitor;
import dev.kiln.frontend.dsl.parser.KilnParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Evaluates an argument {@code value} to a {@link DslValues} value: names are looked up in a scope
 * (bound: its value; {@code _}: absent; unbound: a {@link DslValues.Symbol}), literals are read.
 */
final class ValueEvaluator extends KilnBaseVisitor<Object> {
    private final Literals literals;
    private final Map<String, Object> scope;
    private final java.util.function.Function<KilnParser.RegionValueContext, Object> regions;

    /** An evaluator over {@code scope} (null: no names are bound); region literals are refused. */
    ValueEvaluator(Literals literals, Map<String, Object> scope) { this(literals, scope, null); }

    /** An evaluator that builds region literals ({@code { input ...; ...; output ... }}) with {@code regions}. */
    ValueEvaluator(Literals literals, Map<String, Object> scope, java.util.function.Function<KilnParser.RegionValueContext, Object> regions) {
        this.literals = literals;
        this.scope = scope;
        this.regions = regions;
    }

    @Override
    public Object visitRegionValue(KilnParser.RegionValueContext c) {
        if (regions == null) return new DslValues.Symbol("{...}", c.getStart(), null);
        return regions.apply(c);
    }

    @Override
    public Object visitTypedValue(KilnParser.TypedValueContext c) {
        return literals.tensor(c.literal(), literals.type(c.type()));
    }

    @Override
    public Object visitNumberValue(KilnParser.NumberValueContext c) { return literals.number(c.number()); }

    @Override
    public Object visitBoolValue(KilnParser.BoolValueContext c) { return c.getText().equals("true"); }

    @Override
    public Object visitStringValue(KilnParser.StringValueContext c) { return Names.string(c.STRING().getText()); }

    @Override
    public Object visitNameValue(KilnParser.NameValueContext c) {
        String n = Names.text(c.name());
        if (scope != null && scope.containsKey(n)) return scope.get(n);
        if (n.equals("_") && !c.name().getText().startsWith("`")) return DslValues.ABSENT;
        return new DslValues.Symbol(n, c.getStart(), scope == null ? null : Problems.nearest(n, scope.keySet()));
    }

    @Override
    public Object visitListValue(KilnParser.ListValueContext c) {
        List<Object> r = new ArrayList<>();
        for (KilnParser.ValueContext v : c.value()) r.add(visit(v));
        return r;
    }
}
