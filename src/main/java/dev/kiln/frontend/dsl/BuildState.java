package dev.kiln.frontend.dsl;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.ir.Attrs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.antlr.v4.runtime.Token;

/** What the parts of one DSL import share: the graph being built, its errors, readers, and the names taken so far. */
final class BuildState {
    final Problems problems;
    final Literals literals;
    final Weights weights;
    final Graph graph;
    final ImportOptions options;
    private final Map<String, Token> values = new HashMap<>();
    private final Map<String, Token> nodes = new HashMap<>();
    private int nodeCount;

    BuildState(Problems problems, Weights weights, Graph graph, ImportOptions options) {
        this.problems = problems;
        this.literals = new Literals(problems, options);
        this.weights = weights;
        this.graph = graph;
        this.options = options;
    }

    /** Fails at {@code at} once the model has reached the node limit (blocks and repeats can multiply a few lines). */
    void checkNodeLimit(Token at) {
        if (nodeCount >= options.maxNodes()) {
            problems.add(Code.TOO_MANY_NODES, at, Code.TOO_MANY_NODES.format(options.maxNodes())
                    + " after unrolling repeats and expanding blocks; raise it with --max-nodes if the model is genuine");
            // why: stop the whole import here; nested repeats would otherwise keep unrolling for hours
            problems.throwIfAny();
        }
    }

    /**
     * Adds a node for a call at {@code at}: the op's own errors (shapes that do not fit it) and outputs over the
     * size limits become errors there, as does passing the node limit.
     */
    Node addNode(OpDef op, String name, List<Value> ins, Attrs attrs, List<String> outs, Token at) {
        checkNodeLimit(at);
        Node node;
        try {
            node = graph.addNode(op, name, ins, attrs, outs);
        } catch (KilnException e) {
            throw problems.fail(Code.DSL_OP_ERROR, at, e.diagnostics().get(0).message());
        } catch (IllegalArgumentException | ArithmeticException e) {
            // why: shape arithmetic on absurd sizes fails inside the op; it is the model's fault, not Kiln's
            throw problems.fail(Code.DSL_OP_ERROR, at, op.name() + ": " + e.getMessage());
        }
        nodeCount++;
        for (Value o : node.outputs()) {
            String problem = options.shapeProblem(o.type().shape().dimsLong(), o.type().dtype().byteSize());
            if (problem != null) throw problems.fail(Code.BAD_SHAPE, at, op.name() + " output '" + o.name() + "' of shape " + o.type().shape() + ": " + problem);
        }
        return node;
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
