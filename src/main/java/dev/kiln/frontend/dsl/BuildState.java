package dev.kiln.frontend.dsl;

import dev.kiln.diag.Code;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Value;
import java.util.HashMap;
import java.util.Map;
import org.antlr.v4.runtime.Token;

/** What the parts of one DSL import share: the graph being built, its errors, readers, and the names taken so far. */
final class BuildState {
    final Problems problems;
    final Literals literals;
    final Weights weights;
    final Graph graph;
    private final Map<String, Token> values = new HashMap<>();
    private final Map<String, Token> nodes = new HashMap<>();

    BuildState(Problems problems, Weights weights, Graph graph) {
        this.problems = problems;
        this.literals = new Literals(problems);
        this.weights = weights;
        this.graph = graph;
    }

    /** Takes a value name (input, constant, parameter, node output); one taken before is a duplicate-name error at {@code at}. */
    void claimValue(String name, Token at) { claim(values, name, at); }

    /** Takes a node name; one taken before is a duplicate-name error at {@code at}. */
    void claimNode(String name, Token at) { claim(nodes, name, at); }

    private void claim(Map<String, Token> taken, String name, Token at) {
        Token first = taken.get(name);
        if (first != null)
            throw problems.fail(Code.DSL_DUPLICATE_NAME, at, "duplicate name '" + name + "' (first defined at "
                    + first.getLine() + ":" + (first.getCharPositionInLine() + 1) + ")");
        taken.put(name, at);
    }

    /** {@code v} as a tensor argument, or an error: an undefined name for a bare symbol, else a wrong type naming {@code what}. */
    Value tensor(Object v, Token at, String what) {
        if (v instanceof Value) return (Value) v;
        if (v == DslValues.POISON) throw new Problems.StatementFailed();
        if (v instanceof DslValues.Symbol) throw undefined((DslValues.Symbol) v);
        throw problems.fail(Code.DSL_BAD_ARGUMENT, at, what + " must be a tensor, got " + DslValues.describe(v));
    }

    /** The undefined-name error for a bare symbol, suggesting a close bound name if there is one. */
    Problems.StatementFailed undefined(DslValues.Symbol s) {
        String near = s.near();
        return problems.fail(Code.DSL_UNDEFINED_NAME, s.at(), "undefined name '" + s.name() + "'" + (near != null ? " (did you mean '" + near + "'?)" : ""));
    }
}
