package dev.kiln.frontend.dsl;

import dev.kiln.diag.Code;
import dev.kiln.frontend.dsl.layers.Layer;
import dev.kiln.frontend.dsl.layers.LayerParam;
import dev.kiln.frontend.dsl.layers.Layers;
import dev.kiln.frontend.dsl.parser.KilnBaseVisitor;
import dev.kiln.frontend.dsl.parser.KilnParser;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.ParseTree;

/**
 * Builds a Graph from a parsed DSL file: declarations in order, statements with pipelines, blocks expanded
 * at each call, repeats unrolled, and every call resolved (the file's blocks, then the layer library, then
 * the op registry). An error abandons only its statement; the rest of the file is still checked.
 */
final class ModelBuilder extends KilnBaseVisitor<Void> {
    /** Where a statement runs: its names, the prefix of layer names in a block instance, the repeat suffix, the active blocks. */
    private record Ctx(Map<String, Object> scope, String prefix, String suffix, List<String> blocks) {
        Ctx withSuffix(String s) { return new Ctx(scope, prefix, s, blocks); }
    }

    private final Problems problems;
    private final ImportOptions options;
    private final Map<String, KilnParser.BlockDeclContext> blocks = new LinkedHashMap<>();
    private final Map<String, Object> globals = new LinkedHashMap<>();
    private final Ctx top = new Ctx(globals, "", "", List.of());
    private final java.nio.file.Path baseDir;
    private BuildState st;
    private OpCall ops;
    private boolean declaredOutput;

    ModelBuilder(Problems problems, java.nio.file.Path baseDir, ImportOptions options) {
        this.problems = problems;
        this.baseDir = baseDir;
        this.options = options;
    }

    /** The graph a file describes; errors are left in the Problems given to the constructor. */
    Graph build(KilnParser.FileContext f, String defaultName) {
        String name = f.modelDecl() != null ? Names.text(f.modelDecl().name()) : defaultName;
        Graph g = new Graph(name);
        st = new BuildState(problems, new Weights(problems, baseDir, options), g, options);
        ops = new OpCall(st);
        // why: weights and blocks may be declared anywhere; statements before them may use them
        Token weightsAt = null;
        for (KilnParser.DeclContext d : f.decl()) {
            if (d.weightsDecl() != null) {
                KilnParser.WeightsDeclContext w = d.weightsDecl();
                if (weightsAt != null) {
                    problems.add(Code.DSL_DUPLICATE_NAME, w.getStart(), "a model has one weights declaration (first at "
                            + weightsAt.getLine() + ":" + (weightsAt.getCharPositionInLine() + 1) + ")");
                    continue;
                }
                weightsAt = w.getStart();
                if (w.STRING() != null) st.weights.declareArchive(w.STRING().getSymbol());
                else seedOf(w.seedInit()).ifPresent(st.weights::declareSeed);
            }
            if (d.blockDecl() != null) {
                KilnParser.BlockDeclContext b = d.blockDecl();
                String bn = Names.text(b.name());
                if (blocks.containsKey(bn)) {
                    Token first = blocks.get(bn).name().getStart();
                    problems.add(Code.DSL_DUPLICATE_NAME, b.name().getStart(), "duplicate name '" + bn + "' (first defined at "
                            + first.getLine() + ":" + (first.getCharPositionInLine() + 1) + ")");
                } else {
                    blocks.put(bn, b);
                }
            }
        }
        checkBlocks();
        declarations(f.decl());
        if (!declaredOutput && problems.isEmpty()) {
            Token end = f.getStop();
            problems.add(Code.DSL_UNDEFINED_NAME, end, "the model declares no output (add: output NAME)");
        }
        return g;
    }

    /**
     * The region a literal {@code { input ...  statements  output ... }} describes: a closed graph (it reads
     * only its own inputs and constants) built like a model, with the enclosing file's weights and blocks.
     */
    private Object region(KilnParser.RegionValueContext c) {
        ModelBuilder sub = new ModelBuilder(problems, baseDir, options);
        sub.blocks.putAll(blocks);
        Graph g = new Graph("region_" + c.getStart().getLine() + "_" + (c.getStart().getCharPositionInLine() + 1));
        sub.st = new BuildState(problems, st.weights, g, options);
        sub.ops = new OpCall(sub.st);
        for (KilnParser.DeclContext d : c.decl()) {
            if (d.weightsDecl() != null || d.blockDecl() != null)
                throw problems.fail(Code.DSL_BAD_ARGUMENT, d.getStart(), "a region holds inputs, constants, statements and outputs; declare weights and blocks at the top of the file");
        }
        sub.declarations(c.decl());
        if (!sub.declaredOutput) throw problems.fail(Code.DSL_UNDEFINED_NAME, c.getStop(), "the region declares no output (add: output NAME)");
        return g;
    }

    /** Inputs, constants, outputs and statements in order; an error abandons only its declaration. */
    private void declarations(List<KilnParser.DeclContext> decls) {
        for (KilnParser.DeclContext d : decls) {
            try {
                if (d.inputDecl() != null) input(d.inputDecl());
                else if (d.constDecl() != null) constant(d.constDecl());
                else if (d.outputDecl() != null) output(d.outputDecl());
                else if (d.stmt() != null) statement(d.stmt(), top);
            } catch (Problems.StatementFailed e) {
                // why: the error is recorded; uses of the name fail silently and the next declaration is still checked
                if (d.inputDecl() != null) globals.put(Names.text(d.inputDecl().name()), DslValues.POISON);
                if (d.constDecl() != null) globals.put(Names.text(d.constDecl().name()), DslValues.POISON);
            }
        }
    }

    private java.util.Optional<Long> seedOf(KilnParser.SeedInitContext s) {
        try {
            return java.util.Optional.of(Long.parseLong(s.INT().getText()));
        } catch (NumberFormatException e) {
            problems.add(Code.DSL_BAD_LITERAL, s.INT().getSymbol(), "seed " + s.INT().getText() + " is out of range (64-bit)");
            return java.util.Optional.empty();
        }
    }

    // ---- declarations ----

    private void input(KilnParser.InputDeclContext d) {
        String n = Names.text(d.name());
        TensorType t = st.literals.type(d.type());
        long[] bound = options.inputShapes().get(n);
        if (bound != null) {
            // why: --input-shape may rebind a declared shape, but not its rank
            if (bound.length != t.shape().rank())
                throw problems.fail(Code.DSL_BAD_ARGUMENT, d.type().getStart(), "--input-shape gives " + n + " rank " + bound.length
                        + ", the model declares " + t.shape());
            t = t.withShape(Shape.of(bound));
        }
        st.claimValue(n, d.name().getStart());
        globals.put(n, st.graph.addInput(n, t));
    }

    private void constant(KilnParser.ConstDeclContext d) {
        String n = Names.text(d.name());
        TensorType t = st.literals.type(d.type());
        KilnParser.InitContext init = d.init();
        NdArray data;
        if (init.literal() != null) {
            data = st.literals.tensor(init.literal(), t);
        } else if (init.fileInit() != null) {
            KilnParser.FileInitContext fi = init.fileInit();
            data = st.weights.file(fi.STRING(0).getSymbol(), fi.STRING().size() > 1 ? fi.STRING(1).getSymbol() : null, t);
        } else {
            if (!t.dtype().isFloat())
                throw problems.fail(Code.DSL_BAD_LITERAL, init.getStart(), "seed(N) fills float tensors only, not " + t.dtype());
            long seed = seedOf(init.seedInit()).orElseThrow(Problems.StatementFailed::new);
            int[] dims = t.shape().dims();
            long fanIn = dims.length >= 2 ? t.shape().numel() / Math.max(1, dims[0]) : 0;
            st.weights.charge(init.getStart(), n, t);
            data = Weights.seeded(seed, "", t, fanIn);
        }
        st.claimValue(n, d.name().getStart());
        Value v = st.graph.addConstant(n, data);
        if (t.quant() != null) v.setType(v.type().withQuant(t.quant()));
        globals.put(n, v);
    }

    private void output(KilnParser.OutputDeclContext d) {
        declaredOutput = true;
        for (KilnParser.OutputItemContext item : d.outputItem()) {
            try {
                String n = Names.text(item.name());
                Object v = globals.get(n);
                if (v == DslValues.POISON) continue;
                if (v == null) throw st.undefined(new DslValues.Symbol(n, item.name().getStart(), Problems.nearest(n, globals.keySet())));
                Value t = st.tensor(v, item.name().getStart(), "output '" + n + "'");
                if (item.type() != null) {
                    TensorType want = st.literals.type(item.type());
                    TensorType got = t.type();
                    boolean same = want.dtype() == got.dtype() && want.shape().equals(got.shape())
                            && (want.quant() == null || want.quant().equals(got.quant()));
                    if (!same)
                        throw problems.fail(Code.DSL_TYPE_MISMATCH, item.type().getStart(), "output '" + n + "' is " + got + ", declared " + want);
                }
                st.graph.addOutput(t);
            } catch (Problems.StatementFailed e) {
                // why: each output is checked on its own
            }
        }
    }

    // ---- statements ----

    private void statement(KilnParser.StmtContext s, Ctx cx) {
        if (s.repeatStmt() != null) {
            repeat(s.repeatStmt(), cx);
            return;
        }
        KilnParser.AssignmentContext a = s.assignment();
        try {
            st.checkNodeLimit(a.getStart());
            assignment(a, cx);
        } catch (Problems.StatementFailed e) {
            // why: later statements that use these names fail silently instead of repeating this error
            for (KilnParser.NameContext t : a.name()) cx.scope().put(Names.text(t), DslValues.POISON);
        }
    }

    private void repeat(KilnParser.RepeatStmtContext r, Ctx cx) {
        long n;
        try {
            n = Long.parseLong(r.INT().getText());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > 1_000_000) {
            problems.add(Code.DSL_BAD_ARGUMENT, r.INT().getSymbol(), "repeat count must be between 1 and 1000000, got " + r.INT().getText());
            return;
        }
        for (long i = 1; i <= n; i++) {
            int before = problems.count();
            Ctx it = cx.withSuffix(cx.suffix() + "_" + i);
            for (KilnParser.StmtContext s : r.stmt()) statement(s, it);
            // why: the next iterations would report the same errors again
            if (problems.count() > before) return;
        }
    }

    private void assignment(KilnParser.AssignmentContext a, Ctx cx) {
        List<KilnParser.NameContext> targets = a.name();
        String target = Names.text(targets.get(0));
        List<KilnParser.StageContext> stages = a.pipeline().stage();
        List<Object> cur = null;
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < stages.size(); i++) {
            KilnParser.StageContext stage = stages.get(i);
            boolean last = i == stages.size() - 1;
            KilnParser.CallContext call = stage.call();
            KilnParser.NameContext bare = call == null ? (KilnParser.NameContext) stage.getChild(0) : null;
            if (i == 0 && bare != null) {
                String n = Names.text(bare);
                Object v = cx.scope().get(n);
                if (v == null) throw st.undefined(new DslValues.Symbol(n, bare.getStart(), Problems.nearest(n, cx.scope().keySet())));
                cur = List.of(v);
                continue;
            }
            String callee = Names.text(call != null ? call.callee : bare);
            Token calleeAt = (call != null ? call.callee : bare).getStart();
            int count = seen.merge(callee, 1, Integer::sum);
            String local = stage.alias != null ? Names.text(stage.alias) : last ? target : target + "/" + callee + (count > 1 ? "_" + count : "");
            String layerName = cx.prefix() + local + cx.suffix();
            Token nameAt = stage.alias != null ? stage.alias.getStart() : last ? targets.get(0).getStart() : calleeAt;
            // why: the last stage's outputs carry the statement's names (as NAME names only the node); earlier ones the layer's
            List<String> outNames = new ArrayList<>();
            if (last) for (KilnParser.NameContext t : targets) outNames.add(cx.prefix() + Names.text(t) + cx.suffix());
            else outNames.add(layerName);
            List<Arg> args = new ArrayList<>();
            if (i > 0) args.add(new Arg(null, null, cur.get(0), calleeAt));
            if (call != null) args.addAll(arguments(call, cx));
            cur = invoke(callee, calleeAt, args, layerName, outNames, nameAt, cx);
        }
        if (cur.size() != targets.size())
            throw problems.fail(Code.DSL_BAD_ARGUMENT, targets.get(0).getStart(), "the statement assigns " + targets.size()
                    + " names but its value has " + cur.size());
        for (int k = 0; k < targets.size(); k++) cx.scope().put(Names.text(targets.get(k)), cur.get(k));
    }

    private List<Arg> arguments(KilnParser.CallContext call, Ctx cx) {
        ValueEvaluator ev = new ValueEvaluator(st.literals, cx.scope(), this::region);
        List<Arg> r = new ArrayList<>();
        boolean keywords = false;
        for (KilnParser.ArgContext a : call.arg()) {
            if (a.keywordArg() != null) {
                keywords = true;
                KilnParser.KeywordArgContext k = a.keywordArg();
                r.add(new Arg(Names.text(k.key), k.key.getStart(), ev.visit(k.value()), k.value().getStart()));
            } else {
                if (keywords) throw problems.fail(Code.DSL_BAD_ARGUMENT, a.getStart(), "positional argument after keyword arguments");
                r.add(new Arg(null, null, ev.visit(a.value()), a.getStart()));
            }
        }
        return r;
    }

    private List<Object> invoke(String callee, Token at, List<Arg> args, String name, List<String> outNames, Token nameAt, Ctx cx) {
        for (Arg a : args) if (a.value() == DslValues.POISON) throw new Problems.StatementFailed();
        KilnParser.BlockDeclContext b = blocks.get(callee);
        if (b != null) return callBlock(b, at, args, name, nameAt, outNames.size(), cx);
        Layer layer = Layers.get(callee);
        OpDef op = Ops.get(callee);
        if (layer != null && (op == null || !callsOp(layer, op, args))) return LayerCall.call(st, layer, at, args, name, outNames, nameAt);
        if (op != null) return ops.call(op, at, args, name, outNames, nameAt);
        throw problems.fail(Code.DSL_UNKNOWN_CALLEE, at, unknownCallee(callee));
    }

    /**
     * Whether a call of a name that is both a layer and an op ({@code batch_norm}) means the op: it passes
     * more than one tensor positionally, or names one of the op's inputs that is not a layer parameter.
     */
    private static boolean callsOp(Layer layer, OpDef op, List<Arg> args) {
        int tensors = 0;
        for (Arg a : args) {
            if (a.positional() && a.value() instanceof Value) tensors++;
            if (!a.positional()) {
                boolean layerParam = layer.params().stream().map(LayerParam::name).anyMatch(a.key()::equals);
                boolean port = op.signature().inputs().stream().anyMatch(p -> p.name().equals(a.key()));
                if (port && !layerParam) return true;
            }
        }
        return tensors > 1;
    }

    private String unknownCallee(String callee) {
        Set<String> known = new LinkedHashSet<>(blocks.keySet());
        known.addAll(Layers.all().keySet());
        for (OpDef o : Ops.all()) known.add(o.name());
        String near = Problems.nearest(callee, known);
        return "unknown op or layer '" + callee + "'" + (near != null ? " (did you mean '" + near + "'?)" : "");
    }

    private List<Object> callBlock(KilnParser.BlockDeclContext b, Token at, List<Arg> args, String instance, Token nameAt, int nOut, Ctx cx) {
        String bn = Names.text(b.name());
        // why: recursion is reported once by checkBlocks; expanding it would never end
        if (cx.blocks().contains(bn)) throw new Problems.StatementFailed();
        List<KilnParser.ParamContext> ps = b.param();
        List<String> names = new ArrayList<>();
        for (KilnParser.ParamContext p : ps) names.add(Names.text(p.name()));
        Map<String, Object> scope = new LinkedHashMap<>();
        int positional = (int) args.stream().filter(Arg::positional).count();
        int i = 0;
        for (Arg a : args) {
            if (!a.positional()) continue;
            if (i >= ps.size())
                throw problems.fail(Code.DSL_BAD_ARGUMENT, a.at(), "too many positional arguments: block '" + bn + "' takes "
                        + ps.size() + " (" + String.join(", ", names) + "), got " + positional);
            scope.put(names.get(i++), a.value());
        }
        for (Arg a : args) {
            if (a.positional()) continue;
            if (!names.contains(a.key())) {
                String near = Problems.nearest(a.key(), names);
                throw problems.fail(Code.DSL_UNKNOWN_ARGUMENT, a.keyAt(), "block '" + bn + "' has no parameter '" + a.key() + "'"
                        + (near != null ? " (did you mean '" + near + "'?)" : "") + " (it takes: " + String.join(", ", names) + ")");
            }
            if (scope.containsKey(a.key())) throw problems.fail(Code.DSL_BAD_ARGUMENT, a.keyAt(), "argument '" + a.key() + "' is given twice");
            scope.put(a.key(), a.value());
        }
        for (KilnParser.ParamContext p : ps) {
            String pn = Names.text(p.name());
            if (scope.containsKey(pn)) continue;
            if (p.value() == null) throw problems.fail(Code.DSL_BAD_ARGUMENT, at, "missing argument: block '" + bn + "' needs '" + pn + "'");
            scope.put(pn, new ValueEvaluator(st.literals, null).visit(p.value()));
        }
        List<KilnParser.NameContext> returns = b.returnStmt().name();
        if (returns.size() != nOut)
            throw problems.fail(Code.DSL_BAD_ARGUMENT, nameAt, "block '" + bn + "' returns " + returns.size() + " value"
                    + (returns.size() == 1 ? "" : "s") + ", the statement assigns " + nOut);
        List<String> active = new ArrayList<>(cx.blocks());
        active.add(bn);
        Ctx inner = new Ctx(scope, instance + "/", "", active);
        for (KilnParser.StmtContext s : b.stmt()) statement(s, inner);
        List<Object> r = new ArrayList<>();
        for (KilnParser.NameContext rn : returns) {
            String n = Names.text(rn);
            Object v = scope.get(n);
            if (v == DslValues.POISON) throw new Problems.StatementFailed();
            if (v == null) throw st.undefined(new DslValues.Symbol(n, rn.getStart(), Problems.nearest(n, scope.keySet())));
            r.add(v);
        }
        return r;
    }

    // ---- static checks of block bodies ----

    /** Reports unknown callees and recursion in every block, called or not. */
    private void checkBlocks() {
        Map<String, List<Token>> calls = new LinkedHashMap<>();
        for (Map.Entry<String, KilnParser.BlockDeclContext> e : blocks.entrySet()) {
            List<Token> found = new ArrayList<>();
            callees(e.getValue(), found);
            calls.put(e.getKey(), found);
            for (Token t : found) {
                String c = calleeName(t);
                if (!blocks.containsKey(c) && Layers.get(c) == null && Ops.get(c) == null)
                    problems.add(Code.DSL_UNKNOWN_CALLEE, t, unknownCallee(c));
            }
        }
        for (Map.Entry<String, List<Token>> e : calls.entrySet()) {
            for (Token t : e.getValue()) {
                String c = calleeName(t);
                if (!blocks.containsKey(c)) continue;
                List<String> path = pathTo(c, e.getKey(), calls, new LinkedHashSet<>());
                if (path != null)
                    problems.add(Code.DSL_RECURSION, t, "recursion: block '" + e.getKey() + "' calls itself (" + e.getKey() + " -> " + String.join(" -> ", path) + ")");
            }
        }
    }

    /** The chain of block calls from {@code from} to {@code to} (ending in {@code to}), or null. */
    private List<String> pathTo(String from, String to, Map<String, List<Token>> calls, Set<String> visited) {
        if (from.equals(to)) return new ArrayList<>(List.of(to));
        if (!visited.add(from)) return null;
        for (Token t : calls.getOrDefault(from, List.of())) {
            String c = calleeName(t);
            if (!blocks.containsKey(c)) continue;
            List<String> rest = pathTo(c, to, calls, visited);
            if (rest != null) {
                rest.add(0, from);
                return rest;
            }
        }
        return null;
    }

    private static String calleeName(Token t) {
        String s = t.getText();
        return s.startsWith("`") ? s.substring(1, s.length() - 1).replace("``", "`") : s;
    }

    /** The callee tokens of every call in a tree (bare-name stages after the first count as calls). */
    private static void callees(ParseTree t, List<Token> out) {
        if (t instanceof KilnParser.CallContext) out.add(((KilnParser.CallContext) t).callee.getStart());
        if (t instanceof KilnParser.PipelineContext) {
            List<KilnParser.StageContext> stages = ((KilnParser.PipelineContext) t).stage();
            for (int i = 1; i < stages.size(); i++)
                if (stages.get(i).call() == null) out.add(((KilnParser.NameContext) stages.get(i).getChild(0)).getStart());
        }
        for (int i = 0; i < t.getChildCount(); i++) callees(t.getChild(i), out);
    }
}
