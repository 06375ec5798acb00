package dev.kiln.backend.c;

import dev.kiln.Kiln;
import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Resources;
import dev.kiln.backend.Target;
import dev.kiln.backend.Templates;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.kernels.ControlKernels;
import dev.kiln.kernels.Dialect;
import dev.kiln.kernels.KernelModel;
import dev.kiln.kernels.PackedConstants;
import dev.kiln.kernels.DataKernels;
import dev.kiln.kernels.KernelPlacement;
import dev.kiln.kernels.Lowerings;
import dev.kiln.kernels.ScalarTypes;
import dev.kiln.kernels.Strategy;
import dev.kiln.kernels.Unsupported;
import dev.kiln.memory.MemoryPlan.Kind;
import dev.kiln.memory.MemoryPlan.Placement;
import dev.kiln.memory.MemoryPlan;
import dev.kiln.memory.MemoryPlanner;
import dev.kiln.memory.PlacementRules;
import dev.kiln.ops.Extents;
import dev.kiln.ops.Trait;
import dev.kiln.passes.ComputeInWideTypes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The C99 backend: one kernel function per node, rendered from the op's template in {@code templates/c/ops/},
 * called in schedule order by {@code <model>_run} with pointers into the caller's buffers, the weights and one
 * arena planned by {@link MemoryPlanner}.
 */
public final class CBackend implements Backend {
    /** Runtime files copied beside the generated code. */
    static final List<String> RUNTIME_FILES = List.of("kiln_runtime.h");

    /** Build and usage files written beside the code: a CMake fragment and a README (API, memory, how to build it in). */
    public static final List<String> PROJECT_FILES = List.of("CMakeLists.txt", "README.md");

    /** The warning flags Kiln's own builds of generated C use (the README names them). */
    public static final List<String> WARNINGS = List.of("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic");

    @Override
    public String kind() { return "c"; }

    /** The text and data bytes of the model's translation unit, built with the target's compiler (-1: not installed). */
    @Override
    public long codeBytes(GeneratedCode code) { return dev.kiln.toolchain.CodeSize.codeBytes(code); }

    /** C is what compile, inspect and bench generate when no backend is named. */
    @Override
    public boolean compilesByDefault() { return true; }

    @Override
    public Dialect dialect() { return Dialect.C; }

    /** Builds each batch of cases into one C program with the target's toolchain and runs it (under qemu for MCUs). */
    @Override
    public dev.kiln.check.Checker.BatchRunner runner(RunOptions o) {
        return new dev.kiln.toolchain.CProgramRunner(Target.load(o.target()), o.sanitize(), o.templates());
    }

    @Override
    public String describe(RunOptions o) {
        Target t = Target.load(o.target());
        return "compiled to C99 for " + t.name() + ", built with " + t.cc() + (t.isCross() ? " and run under qemu" : " and run natively");
    }

    @Override
    public String unsupportedReason(Graph g, Node n, Target t) {
        return reason(new Templates("c", null), new KernelModel(0, "m", n), n, t);
    }

    /** Why the node cannot be lowered, or null after a successful lowering into {@code k}. */
    private static String reason(Templates tpl, KernelModel k, Node n, Target t) {
        DType storage = ScalarTypes.refusedStorageType(n);
        if (storage != null) return storage + " tensors are not supported by the C backend (" + n.op().name() + " was not lowered to compute types)";
        String refused = n.op().refusal("c");
        if (refused != null) return "no C kernel for " + n.op().name() + ": " + refused;
        if (!tpl.has(n.op().name())) return "no C template '" + n.op().name() + "' (templates/c/ops/*.stg)";
        try {
            Lowerings.lower(k, n, Strategy.of(t, Dialect.C));
        } catch (Unsupported e) {
            return e.getMessage();
        }
        return null;
    }

    @Override
    public GeneratedCode generate(Graph g, Target t, Options o) {
        String prefix = o.name().toLowerCase(Locale.ROOT);
        if (!prefix.matches("[a-z_][a-z0-9_]*"))
            throw new KilnException(Code.USAGE, Location.NONE, "--name '" + o.name() + "' is not a C identifier")
                    .withHint("use letters, digits and underscores, e.g. --name kws");
        Templates tpl = new Templates("c", o.templates());
        // why: kernels compute in f32/i8/u8; storage types are converted around the ops that compute on them
        new ComputeInWideTypes().run(g, null);

        // 1. kernel models (the op-specific numbers) for every node, in regions too; collect every node the backend cannot run
        Map<Node, KernelModel> models = new IdentityHashMap<>();
        StringBuilder unsupported = new StringBuilder();
        int count = lowerAll(g, prefix, tpl, t, models, unsupported, false);
        if (count > 0) throw new KilnException(Code.UNSUPPORTED_BY_BACKEND, Location.NONE, "C", count, unsupported.toString());
        dropNibbleCasts(g, models);
        List<Node> nodes = new ArrayList<>();
        allNodes(g, nodes);

        // 2. memory plan
        java.util.Map<Value, Value> states = dev.kiln.backend.StatePairs.resolve(g, o.state(), "C");
        List<String> stateOutputs = new ArrayList<>();
        for (Value v : states.values()) stateOutputs.add(v.name());
        MemoryPlan plan = new MemoryPlanner(t.alignment(), KernelPlacement.rules(models::get)).copyingOutputs(stateOutputs).plan(g);

        // 3. the program model
        CProgram p = new CProgram();
        p.prefix = prefix;
        p.PREFIX = prefix.toUpperCase(Locale.ROOT);
        p.kilnVersion = Kiln.version();
        p.source = ScalarTypes.commentText(o.sourceName() == null ? g.name() : o.sourceName());
        p.target = t.name();
        p.arenaSize = plan.arenaBytes();
        p.arenaLowerBound = plan.lowerBoundBytes();
        p.align = t.alignment();
        p.needsArena = plan.arenaBytes() > 0;
        Set<String> used = new HashSet<>(List.of("arena", "a", "inputs", "outputs"));
        for (int i = 0; i < g.inputs().size(); i++) p.inputs.add(io(i, "in_", g.inputs().get(i), used));
        for (int i = 0; i < g.outputs().size(); i++) p.outputs.add(io(i, "out_", g.outputs().get(i), used));
        for (Map.Entry<Value, Value> e : states.entrySet())
            p.states.add(new CProgram.State(p.inputs.get(g.inputs().indexOf(e.getKey())), p.outputs.get(g.outputs().indexOf(e.getValue()))));
        Map<Value, String> weightSymbols = new IdentityHashMap<>();
        Set<Value> unstored = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        List<Graph> graphs = new ArrayList<>();
        allGraphs(g, graphs);
        for (Graph gr : graphs) {
            for (Value c : gr.constants()) {
                boolean needed = gr.outputs().contains(c) || c.uses().stream().anyMatch(u -> reads(models.get(u.user()), u.index()));
                if (!needed && !c.uses().isEmpty()) unstored.add(c);
                if (!needed || c.constant().size() == 0) continue;
                String sym = prefix + "_w" + p.weights.size();
                CProgram.Weight w = weight(sym, c, packedData(c, models));
                weightSymbols.put(c, w.elements());
                p.weights.add(w);
                if (w.bytes) p.byteWeights.add(w);
            }
        }
        java.util.TreeSet<String> headers = new java.util.TreeSet<>();
        java.util.TreeSet<String> extraRuntime = new java.util.TreeSet<>();
        long tableBytes = 0;
        for (Node n : nodes) {
            headers.addAll(models.get(n).systemHeaders);
            extraRuntime.addAll(models.get(n).runtimeHeaders);
            tableBytes += models.get(n).tableBytes;
        }
        p.systemHeaders.addAll(headers);
        counts(g, p);
        p.calls.addAll(calls(g, plan, p, p.inputs, p.outputs, weightSymbols, models));
        p.copies.addAll(outputCopies(g, plan, p, p.inputs, p.outputs, weightSymbols));
        List<String> runtimeFiles = new ArrayList<>(RUNTIME_FILES);
        for (String h : extraRuntime) if (!runtimeFiles.contains(h)) runtimeFiles.add(h);
        p.runtimeHeaders.addAll(runtimeFiles);
        p.float16Native = t.float16Native() && runtimeFiles.contains("kiln_types.h");
        // why: the banner records the instruction set the host kernels were generated for (none on other targets)
        if (!extraRuntime.isEmpty()) p.isa = t.isa().isEmpty() ? "plain C" : String.join(" ", t.isa());

        // 4. render
        Map<String, String> files = new LinkedHashMap<>();
        files.put(prefix + ".h", tpl.render("header", "p", p));
        files.put(prefix + ".c", tpl.render("source", "p", p));
        // why: the weights file is megabytes; ST's indenting writer would look at every character of it
        long chars = 1 << 16;
        for (CProgram.Weight w : p.weights) {
            chars += 512;
            for (String l : w.lines) chars += l.length() + 5;
        }
        files.put(prefix + "_weights.c", tpl.renderUnindented(chars, "weights", "p", p));
        for (String f : runtimeFiles) {
            String text = Resources.read("runtime-c/" + f);
            if (text == null) throw new IllegalStateException("runtime-c/" + f + " is missing from Kiln's resources");
            files.put(f, text);
        }
        GeneratedCode code = new GeneratedCode(prefix, g, plan, t, files);
        code.setTableBytes(tableBytes);
        code.setUnstored(unstored);

        // 5. the project files: a CMake fragment and a README, which document the files above
        List<String> all = new ArrayList<>(files.keySet());
        all.addAll(PROJECT_FILES);
        java.util.Collections.sort(all);
        CProject j = new CProject(p, g.inputs(), g.outputs(), t, code.weightsBytes(), all, String.join(" ", WARNINGS));
        files.put("CMakeLists.txt", tpl.render("cmakeLists", "j", j));
        files.put("README.md", tpl.render("readme", "j", j));
        GeneratedCode project = new GeneratedCode(prefix, g, plan, t, files);
        project.setTableBytes(tableBytes);
        project.setUnstored(unstored);
        return project;
    }

    /** Drops the widening casts before the inputs kernels read as packed nibbles ({@link PackedConstants#dropNibbleCasts}). */
    private static void dropNibbleCasts(Graph top, Map<Node, KernelModel> models) {
        List<Graph> graphs = new ArrayList<>();
        allGraphs(top, graphs);
        for (Graph g : graphs) {
            boolean dropped = PackedConstants.dropNibbleCasts(g, models::get, models::remove);
            // why: kernels are named by schedule position, which per-layer counts (bench --per-layer) map back to nodes
            if (dropped) for (int i = 0; i < g.nodes().size(); i++) models.get(g.nodes().get(i)).renumber(i);
        }
    }

    /** Lowers every node of {@code g} and of its regions (named by {@link ControlKernels#regionName}); returns how many cannot run. */
    private static int lowerAll(Graph g, String prefix, Templates tpl, Target t, Map<Node, KernelModel> models, StringBuilder unsupported,
            boolean inRegion) {
        int count = 0;
        List<Node> nodes = g.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            KernelModel k = new KernelModel(i, prefix, n);
            String why = inRegion && Extents.producesBounded(n) ? "a value whose size is known only at run time inside a region" : reason(tpl, k, n, t);
            if (why != null) {
                unsupported.append("\n  ").append(n.op().name()).append(" '").append(n.name()).append("': ").append(why);
                count++;
            }
            models.put(n, k);
            for (int j = 0; j < n.regions().size(); j++)
                count += lowerAll(n.regions().get(j), ControlKernels.regionName(k, j), tpl, t, models, unsupported, true);
        }
        return count;
    }

    /** The nodes of {@code g} and of its regions, depth first. */
    private static void allNodes(Graph g, List<Node> into) {
        for (Node n : g.nodes()) {
            into.add(n);
            for (Graph r : n.regions()) allNodes(r, into);
        }
    }

    /** {@code g} and every region inside it, depth first. */
    private static void allGraphs(Graph g, List<Graph> into) {
        into.add(g);
        for (Node n : g.nodes()) for (Graph r : n.regions()) allGraphs(r, into);
    }

    /**
     * The kernel calls of {@code g}'s schedule, reading and writing through {@code ins}/{@code outs} (the model's
     * API, or a region function's parameters); each node's regions become region functions of {@code p} first.
     */
    private static List<CProgram.Call> calls(Graph g, MemoryPlan plan, CProgram p, List<CProgram.Io> ins, List<CProgram.Io> outs,
            Map<Value, String> weightSymbols, Map<Node, KernelModel> models) {
        List<CProgram.Call> calls = new ArrayList<>();
        Map<Value, Node> sources = null;
        for (Node n : g.nodes()) {
            KernelModel k = models.get(n);
            for (int j = 0; j < n.regions().size(); j++) region(ControlKernels.regionName(k, j), n.regions().get(j), plan, p, weightSymbols, models);
            Placement outP = plan.placement(n.output(0));
            if (n.input(0) != null) k.inPlace = plan.placement(n.input(0)).samePlace(outP);
            // why: a joined input the planner placed in its slice of the output is there already
            if (k.joinedAt != null && k.m instanceof DataKernels.Join j)
                DataKernels.dropPlacedParts(j, i -> outP.kind() == MemoryPlan.Kind.ARENA
                        && plan.placement(n.input(i)).kind() == MemoryPlan.Kind.ARENA
                        && plan.placement(n.input(i)).offset() == outP.offset() + k.joinedAt[i]);
            // why: an output the planner placed as a view of its input's bytes is there already
            if (k.viewAt != null) {
                Placement inP = plan.placement(n.input(0));
                java.util.function.IntPredicate viewed = i -> n.output(i) != null && k.viewAt[i] >= 0
                        && inP.kind() == MemoryPlan.Kind.ARENA && plan.placement(n.output(i)).kind() == MemoryPlan.Kind.ARENA
                        && plan.placement(n.output(i)).offset() == inP.offset() + k.viewAt[i];
                if (k.m instanceof DataKernels.Join j) DataKernels.dropPlacedParts(j, viewed);
                else if (k.m instanceof DataKernels.Copy c) c.placed = viewed.test(0);
            }
            CProgram.Call call = new CProgram.Call(k, k.template != null ? k.template : Templates.templateName(n.op().name()), describe(n));
            for (int i = 0; i < n.numInputs(); i++) {
                Value v = n.input(i);
                if (v != null) call.params.add(ref("x" + i, v, true, plan, ins, outs, weightSymbols));
            }
            for (int i = 0; i < n.outputs().size(); i++) {
                Value v = n.output(i);
                if (v != null) call.params.add(ref("y" + i, v, false, plan, ins, outs, weightSymbols));
            }
            if (Extents.producesBounded(n)) {
                // why: the kernel reports the run-time extent of its bounded outputs through c; _run checks it against the bound
                CProgram.Ref c = new CProgram.Ref("c", "int64_t", false);
                call.count = "n" + g.nodes().indexOf(n);
                c.symbol = "&" + call.count;
                call.params.add(c);
                call.bound = Extents.boundOf(n);
            }
            for (int i = 0; i < n.numInputs(); i++) {
                if (n.input(i) == null || !n.op().readsExtent(n, i)) continue;
                if (sources == null) sources = Extents.sources(g);
                Node from = sources.get(n.input(i));
                if (from == null) continue;
                // why: an op that reads its input's run-time extent gets that count (read-only) as e<i>
                CProgram.Ref e = new CProgram.Ref("e" + i, "int64_t", true);
                e.symbol = "&n" + g.nodes().indexOf(from);
                call.params.add(e);
            }
            MemoryPlan.Buffer s = plan.scratch(n);
            if (s != null || n.hasRegions()) {
                CProgram.Ref r = new CProgram.Ref("s", "unsigned char", false);
                // why: a node's regions run in its scratch; without one (regions needing no bytes) they get NULL
                if (s == null) r.none = true;
                else {
                    r.arena = true;
                    r.offset = s.offset();
                }
                call.params.add(r);
            }
            // why: a node whose outputs are all empty computes nothing (and a zero-trip loop trips -Wtype-limits)
            boolean empty = true;
            for (Value v : n.outputs()) if (v != null && v.shape().numel() > 0) empty = false;
            if (!empty) {
                calls.add(call);
                p.kernels.add(call);
            }
        }
        return calls;
    }

    /**
     * The run-time extent variable of every bounded value of {@code g} (one per producing node, shared by the readers
     * that carry its extent); declares them in {@code p} and marks the bounded outputs of the API.
     */
    private static void counts(Graph g, CProgram p) {
        Map<Value, Integer> axes = Extents.of(g);
        Map<Node, String> vars = new IdentityHashMap<>();
        Map<Value, String> counts = new IdentityHashMap<>();
        for (Map.Entry<Value, Node> e : Extents.sources(g).entrySet())
            counts.put(e.getKey(), vars.computeIfAbsent(e.getValue(), n -> "n" + g.nodes().indexOf(n)));
        for (Node n : g.nodes()) if (vars.containsKey(n)) p.counts.add(vars.get(n));
        for (int i = 0; i < g.outputs().size(); i++) {
            Value v = g.outputs().get(i);
            if (!counts.containsKey(v)) continue;
            CProgram.Io io = p.outputs.get(i);
            io.bounded = true;
            io.count = counts.get(v);
            io.boundAxis = axes.get(v);
            io.bound = v.shape().dim(io.boundAxis);
            p.counted = true;
            p.bounded.add(io);
        }
    }

    /** Compiles region {@code r} into region function {@code name} of {@code p}: its arena is the pointer it is given. */
    private static void region(String name, Graph r, MemoryPlan outer, CProgram p, Map<Value, String> weightSymbols,
            Map<Node, KernelModel> models) {
        MemoryPlan plan = outer.regionPlan(r);
        CProgram.Region fn = new CProgram.Region(name);
        for (int i = 0; i < r.inputs().size(); i++) fn.inputs.add(regionIo(i, "in_", r.inputs().get(i)));
        for (int i = 0; i < r.outputs().size(); i++) fn.outputs.add(regionIo(i, "out_", r.outputs().get(i)));
        fn.calls.addAll(calls(r, plan, p, fn.inputs, fn.outputs, weightSymbols, models));
        fn.copies.addAll(outputCopies(r, plan, p, fn.inputs, fn.outputs, weightSymbols));
        p.regions.add(fn);
    }

    private static CProgram.Io regionIo(int i, String pre, Value v) {
        List<Integer> dims = new ArrayList<>();
        for (int d : v.shape().dims()) dims.add(d);
        return new CProgram.Io(i, pre + i, ScalarTypes.ctype(v.dtype()), ScalarTypes.commentText(v.name()), v.type().toString(),
                v.shape().numel(), v.type().byteSize(), dims);
    }

    /** Copies into the outputs that their producers do not write in place (inputs, constants, values listed twice). */
    private static List<CProgram.Copy> outputCopies(Graph g, MemoryPlan plan, CProgram p, List<CProgram.Io> ins, List<CProgram.Io> outs,
            Map<Value, String> weightSymbols) {
        List<CProgram.Copy> copies = new ArrayList<>();
        for (int i = 0; i < g.outputs().size(); i++) {
            Value v = g.outputs().get(i);
            Placement pl = plan.placement(v);
            if (pl.kind() == Kind.OUTPUT && pl.index() == i) continue;
            if (v.type().byteSize() == 0) continue; // why: nothing to copy, and memcpy must not see a NULL source
            copies.add(new CProgram.Copy(ref("src", v, true, plan, ins, outs, weightSymbols), outs.get(i)));
        }
        return copies;
    }


    private static CProgram.Io io(int i, String pre, Value v, Set<String> used) {
        String base = pre + ScalarTypes.identifier(v.name());
        String name = base;
        for (int k = 2; !used.add(name); k++) name = base + "_" + k;
        List<Integer> dims = new ArrayList<>();
        for (int d : v.shape().dims()) dims.add(d);
        CProgram.Io io = new CProgram.Io(i, name, ScalarTypes.ctype(v.dtype()), ScalarTypes.commentText(v.name()), v.type().toString(),
                v.shape().numel(), v.type().byteSize(), dims);
        if (v.dtype().isSubByte()) {
            io.packed = true;
            io.perByte = 8 / v.dtype().bits();
            io.bits = v.dtype().bits();
        }
        // why: the caller quantizes inputs and dequantizes outputs of an int8 model; the header gives it the numbers
        if (dev.kiln.quant.Int8Io.quantized(v.type())) {
            io.quantized = true;
            io.scale = floatLiteral(v.type().quant().scale(0));
            io.zeroPoint = v.type().quant().zeroPoint(0);
        }
        return io;
    }

    /** A C float literal that reads back as exactly {@code f} (Java's shortest round-trip digits). */
    private static String floatLiteral(float f) {
        String s = Float.toString(f);
        return (s.contains(".") || s.contains("E") ? s : s + ".0") + "f";
    }

    /**
     * The data emitted for constant {@code c}: a packed layout when its one user's kernel asked for one
     * ({@link KernelModel#packed}), else the constant itself.
     */
    private static NdArray packedData(Value c, Map<Node, KernelModel> models) {
        NdArray own = c.constant();
        // why: a layout one kernel chose must not change what another user or a graph output reads
        if (c.uses().size() != 1) return own;
        Value.Use u = c.uses().get(0);
        // why: a cast widening a packed constant is element-wise, so the layout its reader chose passes through it
        Value widened = u.user().outputs().size() == 1 ? u.user().output(0) : null;
        boolean throughCast = widened != null && PackedConstants.source(widened) == c && widened.uses().size() == 1;
        if (throughCast) u = widened.uses().get(0);
        KernelModel k = models.get(u.user());
        NdArray packed = k == null ? null : k.packed.get(u.index());
        if (packed == null) return own;
        if (throughCast) {
            // why: the cast widens the constant's own element count, so a layout seen through it may only permute
            if (packed.size() != own.size()) throw new IllegalStateException("a layout through the cast of '" + c.name() + "' pads");
            packed = packed.cast(own.dtype());
        }
        // why: a packed layout may pad (the host GEMM rounds channels to 8 and the reduction to 4), never shrink
        if (packed.dtype() != own.dtype() || packed.size() < own.size())
            throw new IllegalStateException("packed data of '" + c.name() + "' differs in type or is smaller");
        return packed;
    }

    private static CProgram.Weight weight(String sym, Value c, NdArray a) {
        DType t = c.dtype();
        String comment = ScalarTypes.commentText("'" + c.name() + "': " + c.type());
        if (PackedConstants.packed(c)) {
            byte[] bytes = PackedConstants.bytes(a);
            long length = bytes.length + (WeightBytes.literalLength(bytes) == bytes.length ? 1 : 0);
            return new CProgram.Weight(sym, ScalarTypes.ctype(t), comment + ", packed", bytes.length, List.of(WeightBytes.literal(bytes)), true, length);
        }
        if (WeightBytes.stored(t)) {
            byte[] bytes = WeightBytes.of(a);
            // why: a literal that fills its array leaves no room for C's NUL, which newer compilers warn about
            long length = bytes.length + (WeightBytes.literalLength(bytes) == bytes.length ? 1 : 0);
            return new CProgram.Weight(sym, ScalarTypes.ctype(t), comment, a.size(), List.of(WeightBytes.literal(bytes)), true, length);
        }
        int per = t.isFloat() ? 8 : 16;
        List<String> lines = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        for (int i = 0, n = a.size(); i < n; i++) {
            if (b.length() > 0) b.append(' ');
            b.append(ScalarTypes.elementLiteral(t, a, i)).append(i + 1 < n ? "," : "");
            if ((i + 1) % per == 0) {
                lines.add(b.toString());
                b.setLength(0);
            }
        }
        if (b.length() > 0) lines.add(b.toString());
        return new CProgram.Weight(sym, ScalarTypes.ctype(t), comment, a.size(), lines);
    }

    /** Whether the kernel of a node reads its input {@code index} at run time (no kernel model: assume it does). */
    private static boolean reads(KernelModel k, int index) {
        return k == null || !k.unreadInputs.contains(index);
    }

    private static CProgram.Ref ref(String param, Value v, boolean readOnly, MemoryPlan plan, List<CProgram.Io> ins,
            List<CProgram.Io> outs, Map<Value, String> weights) {
        CProgram.Ref r = new CProgram.Ref(param, ScalarTypes.ctype(v.dtype()), readOnly);
        Placement pl = plan.placement(v);
        switch (pl.kind()) {
            case ARENA: r.arena = true; r.offset = pl.offset(); break;
            case INPUT: r.input = true; r.symbol = ins.get(pl.index()).param; break;
            case OUTPUT: r.output = true; r.symbol = outs.get(pl.index()).param; break;
            case CONSTANT:
                r.symbol = weights.get(v);
                if (r.symbol == null) r.none = true;
                else r.weight = true;
                break;
            default: throw new IllegalStateException();
        }
        r.castAway = !readOnly && (r.input || r.weight);
        return r;
    }

    private static String describe(Node n) {
        StringBuilder b = new StringBuilder(n.op().name()).append(" '").append(n.name()).append("': ");
        for (int i = 0; i < n.numInputs(); i++) {
            if (i > 0) b.append(", ");
            b.append(n.input(i) == null ? "-" : n.input(i).type().toString());
        }
        b.append(" -> ");
        for (int i = 0; i < n.outputs().size(); i++) {
            if (i > 0) b.append(", ");
            b.append(n.output(i) == null ? "-" : n.output(i).type().toString());
        }
        return ScalarTypes.commentText(b.toString());
    }

    /** The output folder's default name for a model file (see {@link GeneratedCode#defaultName}). */
    public static String defaultName(Path model) { return GeneratedCode.defaultName(model); }
}
