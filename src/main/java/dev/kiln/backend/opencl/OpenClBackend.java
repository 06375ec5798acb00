package dev.kiln.backend.opencl;

import dev.kiln.Kiln;
import dev.kiln.backend.Backend;
import dev.kiln.backend.GeneratedCode;
import dev.kiln.backend.Target;
import dev.kiln.backend.Templates;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.kernels.Activation;
import dev.kiln.kernels.ControlKernels;
import dev.kiln.kernels.Dialect;
import dev.kiln.kernels.KernelModel;
import dev.kiln.kernels.KernelPlacement;
import dev.kiln.kernels.Lowerings;
import dev.kiln.kernels.ScalarTypes;
import dev.kiln.kernels.Strategy;
import dev.kiln.kernels.Unsupported;
import dev.kiln.memory.MemoryPlan.Kind;
import dev.kiln.memory.MemoryPlan.Placement;
import dev.kiln.memory.MemoryPlan;
import dev.kiln.memory.MemoryPlanner;
import dev.kiln.ops.Extents;
import dev.kiln.ops.Trait;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The OpenCL backend: one kernel per node (fusion comes from the passes), rendered from the op's template in
 * {@code templates/opencl/ops/} and specialised by shape, over one device arena planned by {@link MemoryPlanner}
 * (tensors are byte offsets passed as kernel arguments, not sub-buffers), one weights buffer and one buffer per
 * model input and output. {@link #lower} gives the launch description ({@link OpenClProgram}) that the Java
 * runners execute; {@link #generate} also renders the standalone host C that executes the same description.
 */
public final class OpenClBackend implements Backend {
    /** Bytes every tensor offset in the arena and the weights is aligned to (a float4 or a long2). */
    static final int MIN_ALIGN = 16;

    /** The lowered model: the description and the model of the generated files. */
    public record Lowered(OpenClProgram program, ClHost host, MemoryPlan plan) {}

    @Override
    public String kind() { return "opencl"; }

    @Override
    public Dialect dialect() { return Dialect.OPENCL; }

    /** The settings of {@link #runner}: the Java binding ({@code jocl}, {@code lwjgl}) and the device number. */
    public static final String BINDING = "opencl.binding", DEVICE = "opencl.device";

    @Override
    public java.util.List<Setting> settings() {
        return java.util.List.of(
                new Setting(BINDING, "NAME", "Java OpenCL binding of --backend opencl: "
                        + String.join(" or ", dev.kiln.backend.opencl.runtime.OpenClRuntime.BINDINGS) + " (default jocl)."),
                new Setting(DEVICE, "N", "OpenCL device of --backend opencl, numbered over all platforms as 'clinfo -l' lists them "
                        + "(default: the first GPU, else the first device)."));
    }

    /**
     * Runs the cases on an OpenCL device through a Java binding ({@link #BINDING}, default jocl; {@link #DEVICE},
     * default the first GPU, else the first device); fails now when no OpenCL runtime is installed.
     */
    @Override
    public dev.kiln.check.Checker.BatchRunner runner(RunOptions o) {
        if (o.sanitize()) throw new KilnException(Code.USAGE, Location.NONE, "--sanitize needs --backend c");
        String binding = binding(o);
        String device = o.settings().get(DEVICE);
        // why: the device is a number; anything else is a usage error, not a stack trace
        if (device != null && !device.matches("\\d{1,9}"))
            throw new KilnException(Code.USAGE, Location.NONE, "OpenCL device '" + device + "' is not a device number")
                    .withHint("give a number as 'clinfo -l' lists the devices, counting from 0");
        dev.kiln.backend.opencl.runtime.OpenClRunner r = dev.kiln.backend.opencl.runtime.OpenClRunner.create(binding,
                device == null ? null : Integer.valueOf(device), o.target().equals("host") ? null : o.target(), o.templates());
        if (o.log() != null) {
            o.log().println("opencl: " + r.runtime().binding() + " binding, device " + r.device().describe() + ", target " + r.target().name());
            o.log().flush();
        }
        return r;
    }

    /** The binding {@code o} asks for (default jocl); a name no binding has is a usage error. */
    private static String binding(RunOptions o) {
        String b = o.settings().getOrDefault(BINDING, "jocl");
        if (!dev.kiln.backend.opencl.runtime.OpenClRuntime.BINDINGS.contains(b))
            throw new KilnException(Code.USAGE, Location.NONE, "unknown OpenCL binding '" + b + "'")
                    .withHint("available: " + String.join(", ", dev.kiln.backend.opencl.runtime.OpenClRuntime.BINDINGS));
        return b;
    }

    /** The C default {@code host} stands for the opencl-gpu descriptor. */
    @Override
    public String compileTarget(String requested) { return "host".equals(requested) ? "opencl-gpu" : requested; }

    /** The C default {@code host} stands for the descriptor that suits the runner's device (opencl-gpu or opencl-cpu). */
    @Override
    public String runTarget(String requested, dev.kiln.check.Checker.BatchRunner runner) {
        if (!"host".equals(requested)) return requested;
        return dev.kiln.backend.opencl.runtime.DeviceTargets.defaultTargetName(((dev.kiln.backend.opencl.runtime.OpenClRunner) runner).device().type());
    }

    @Override
    public String describe(RunOptions o) { return "OpenCL (" + binding(o) + " binding)"; }

    @Override
    public String unsupportedReason(Graph g, Node n, Target t) {
        Templates tpl = new Templates("opencl", null);
        return reason(tpl, g, n, 0, "m", t, new ClKernel[1]);
    }

    /** Why the node cannot run, or null after a successful lowering into {@code out[0]}. */
    private static String reason(Templates tpl, Graph g, Node n, int index, String prefix, Target t, ClKernel[] out) {
        for (Value v : n.inputs())
            if (v != null && v.dtype() == DType.F64) return v.dtype() + " tensors are not supported by the OpenCL backend (float32 and integers only)";
        for (Value v : n.outputs())
            if (v != null && v.dtype() == DType.F64) return v.dtype() + " tensors are not supported by the OpenCL backend (float32 and integers only)";
        DType storage = ScalarTypes.refusedStorageType(n);
        if (storage != null) return storage + " tensors are not supported by the OpenCL backend (" + n.op().name() + " was not lowered to compute types)";
        String refused = n.op().refusal("opencl");
        if (refused != null) return "no OpenCL kernel for " + n.op().name() + ": " + refused;
        if (n.hasRegions()) { // why: control flow runs on the host, which enqueues its regions' kernels (ClStep)
            KernelModel k = new KernelModel(index, prefix, n);
            try {
                Lowerings.lower(k, n, Strategy.of(t, Dialect.OPENCL));
            } catch (Unsupported e) {
                return e.getMessage();
            }
            if (!(k.m instanceof ControlKernels.Control)) return "no host control flow for " + n.op().name();
            out[0] = new ClKernel(k, null, describe(n));
            return null;
        }
        if (!tpl.has(n.op().name())) return "no OpenCL template '" + n.op().name() + "' (templates/opencl/ops/*.stg)";
        KernelModel k = new KernelModel(index, prefix, n);
        try {
            Lowerings.lower(k, n, Strategy.of(t, Dialect.OPENCL));
            ClKernel ck = new ClKernel(k, n.op().name(), describe(n));
            ck.act = Activation.fused(n);
            ck.shared = !tpl.arguments(n.op().name()).contains("c");
            ClLowerings.lower(ck, n, t);
            out[0] = ck;
        } catch (Unsupported e) {
            return e.getMessage();
        }
        return null;
    }

    @Override
    public GeneratedCode generate(Graph g, Target t, Options o) {
        Lowered l = lower(g, t, o);
        ClHost h = l.host();
        Templates tpl = new Templates("opencl", o.templates());
        Map<String, String> files = new LinkedHashMap<>();
        files.put(h.prefix + ".cl", l.program().source());
        files.put(h.prefix + "_cl.h", tpl.render("hostHeader", "p", h));
        files.put(h.prefix + "_cl.c", tpl.render("hostSource", "p", h));
        files.put(h.prefix + "_cl_weights.c", tpl.render("hostWeights", "p", h));
        files.put(h.prefix + "_cl.json", l.program().toJson());
        // a CMake fragment (add_subdirectory) building the host C as a static library linked with OpenCL
        files.put("CMakeLists.txt", tpl.render("cmakeLists", "p", h, "sources", List.of(h.prefix + "_cl.c", h.prefix + "_cl_weights.c")));
        return new GeneratedCode(h.prefix, g, l.plan(), t, files);
    }

    /**
     * The id of output {@code i}'s buffer in a program of {@code inputs} inputs: the arena (0), the weights (1), one
     * buffer per input, then one per output.
     */
    public static int outputBuffer(int inputs, int i) { return 2 + inputs + i; }

    /** Lowers {@code g}: every kernel, the memory plan and the launch description; reports all unsupported nodes at once. */
    public Lowered lower(Graph g, Target t, Options o) {
        String prefix = o.name().toLowerCase(Locale.ROOT);
        if (!prefix.matches("[a-z_][a-z0-9_]*"))
            throw new KilnException(Code.USAGE, Location.NONE, "--name '" + o.name() + "' is not a C identifier")
                    .withHint("use letters, digits and underscores, e.g. --name kws");
        Templates tpl = new Templates("opencl", o.templates());
        // why: the host API copies buffers in and out around the kernels; a shared state buffer is a C-backend API
        if (!o.state().isEmpty())
            throw new KilnException(Code.USAGE, Location.NONE, "--state is not supported by the OpenCL backend")
                    .withHint("compile for C (-b c), or feed the state output back as the next call's input");
        for (Value v : g.inputs()) if (v.dtype() == DType.F64) unsupportedIo(v);
        for (Value v : g.outputs()) if (v.dtype() == DType.F64) unsupportedIo(v);
        // why: kernels compute in f32/i8/u8; storage types are converted around the ops that compute on them
        new dev.kiln.passes.ComputeInWideTypes().run(g, null);

        // 1. kernel models for every node, in regions too; collect every node the backend cannot run
        Map<Node, ClKernel> kernels = new IdentityHashMap<>();
        StringBuilder unsupported = new StringBuilder();
        int count = lowerAll(tpl, g, prefix, t, kernels, unsupported, false);
        if (count > 0) throw new KilnException(Code.UNSUPPORTED_BY_BACKEND, Location.NONE, "OpenCL", count, unsupported.toString());
        List<Graph> lowered = new ArrayList<>();
        allGraphs(g, lowered);
        // why: a kernel reading a weight's nibbles itself needs no widened copy in the arena
        for (Graph gr : lowered) dev.kiln.kernels.PackedConstants.dropNibbleCasts(gr, n -> kernels.containsKey(n) ? kernels.get(n).k : null, kernels::remove);
        // why: the kernel's comment names its inputs' types, now the packed weights'
        for (Map.Entry<Node, ClKernel> e : kernels.entrySet()) if (!e.getValue().k.nibbleInputs.isEmpty()) e.getValue().comment = describe(e.getKey());

        // 2. memory: one arena of byte offsets, planned like the C arena
        int align = Math.max(MIN_ALIGN, t.alignment());
        MemoryPlan plan = new MemoryPlanner(align, KernelPlacement.rules(n -> kernels.get(n).k)).plan(g);

        // 3. buffers: arena, weights (constants packed and aligned), one per model input and output
        // why: each node producing a bounded value writes its run-time extent to an int64 slot after the planned arena
        Map<Node, Long> countAt = new IdentityHashMap<>();
        long countBase = (plan.arenaBytes() + 7) / 8 * 8;
        for (Node n : g.nodes()) if (Extents.producesBounded(n)) countAt.put(n, countBase + 8L * countAt.size());
        long arenaBytes = countAt.isEmpty() ? plan.arenaBytes() : countBase + 8L * countAt.size();
        List<OpenClProgram.Buffer> buffers = new ArrayList<>();
        buffers.add(new OpenClProgram.Buffer(0, OpenClProgram.BufferKind.ARENA, -1, "arena", arenaBytes));
        Map<Value, Long> constOffset = new IdentityHashMap<>();
        List<OpenClProgram.Constant> constants = new ArrayList<>();
        List<byte[]> parts = new ArrayList<>();
        long wbytes = 0;
        List<Graph> graphs = new ArrayList<>();
        allGraphs(g, graphs);
        for (Graph gr : graphs) for (Value c : gr.constants()) {
            boolean needed = !c.uses().isEmpty() || gr.outputs().contains(c);
            if (!needed || c.constant().size() == 0) continue;
            byte[] b = ClBytes.of(c.constant());
            wbytes = (wbytes + align - 1) / align * align;
            constOffset.put(c, wbytes);
            constants.add(new OpenClProgram.Constant(c.name(), c.type().toString(), wbytes, b.length));
            parts.add(b);
            wbytes += b.length;
        }
        byte[] weights = new byte[Math.toIntExact((wbytes + 3) / 4 * 4)];
        for (int i = 0; i < parts.size(); i++)
            System.arraycopy(parts.get(i), 0, weights, (int) constants.get(i).offset(), parts.get(i).length);
        buffers.add(new OpenClProgram.Buffer(1, OpenClProgram.BufferKind.WEIGHTS, -1, "weights", weights.length));
        int firstIn = buffers.size();
        for (int i = 0; i < g.inputs().size(); i++) {
            Value v = g.inputs().get(i);
            buffers.add(new OpenClProgram.Buffer(buffers.size(), OpenClProgram.BufferKind.INPUT, i, v.name(), v.type().byteSize()));
        }
        int firstOut = outputBuffer(g.inputs().size(), 0);
        for (int i = 0; i < g.outputs().size(); i++) {
            Value v = g.outputs().get(i);
            buffers.add(new OpenClProgram.Buffer(buffers.size(), OpenClProgram.BufferKind.OUTPUT, i, v.name(), v.type().byteSize()));
        }

        // 4. kernels in schedule order, with their tensor arguments (buffer, byte offset)
        ClHost h = new ClHost();
        h.prefix = prefix;
        h.PREFIX = prefix.toUpperCase(Locale.ROOT);
        h.kilnVersion = Kiln.version();
        h.source = ScalarTypes.commentText(o.sourceName() == null ? g.name() : o.sourceName());
        h.target = t.name();
        h.buildOptions = t.property("opencl.build-options", "");
        h.arenaBuffer = 0;
        h.weightsBuffer = 1;
        h.arenaBytes = arenaBytes;
        List<OpenClProgram.Kernel> launches = new ArrayList<>();
        List<Loc> ins = new ArrayList<>(), outs = new ArrayList<>();
        for (int i = 0; i < g.inputs().size(); i++) ins.add(new Loc(firstIn + i, 0));
        for (int i = 0; i < g.outputs().size(); i++) outs.add(new Loc(firstOut + i, 0));
        Emit e = new Emit(plan, constOffset, kernels, h, launches);
        e.countAt = countAt;
        e.sources = Extents.sources(g);
        List<ClStep> steps = e.steps(g, plan, ins, outs, 0, 0);
        List<OpenClProgram.Copy> copies = new ArrayList<>();
        for (int i = 0; i < g.outputs().size(); i++) {
            Value v = g.outputs().get(i);
            Placement pl = plan.placement(v);
            if (pl.kind() == Kind.OUTPUT && pl.index() == i) continue;
            if (v.type().byteSize() == 0) continue; // why: nothing to copy
            Loc p = e.loc(v, plan, ins, outs, 0);
            copies.add(new OpenClProgram.Copy(p.buffer(), p.offset(), firstOut + i, 0, v.type().byteSize()));
        }

        // 5. the program source and the host model
        String source = tpl.render("clProgram", "p", h);
        String[] lines = source.split("\n", -1);
        for (int i = 0; i < launches.size(); i++) {
            OpenClProgram.Kernel k = launches.get(i);
            int at = 0;
            for (int j = 0; j < lines.length && at == 0; j++) if (lines[j].startsWith("__kernel void " + k.name() + "(")) at = j + 1;
            launches.set(i, new OpenClProgram.Kernel(k.name(), k.node(), k.op(), at, k.args(), k.global(), k.local()));
        }
        OpenClProgram prog = new OpenClProgram(prefix, source, h.buildOptions, buffers, weights, constants, launches, copies, steps);
        Map<Value, Node> sources = Extents.sources(g);
        Map<Value, Integer> axes = Extents.of(g);
        for (int i = 0; i < g.outputs().size(); i++) {
            Node from = sources.get(g.outputs().get(i));
            if (from != null) prog.counts.add(new OpenClProgram.Count(i, axes.get(g.outputs().get(i)), countAt.get(from), Extents.boundOf(from), from.name()));
        }
        for (OpenClProgram.Count c : prog.counts) h.counts.add(new ClHost.Count(c));
        h.steps.addAll(steps);
        for (String l2 : lines) h.sourceLines.add(cString(l2 + "\n"));
        ByteBuffer wb = ByteBuffer.wrap(weights).order(ByteOrder.LITTLE_ENDIAN);
        StringBuilder line = new StringBuilder();
        h.weightWords = weights.length / 4;
        for (long i = 0; i < h.weightWords; i++) {
            if (line.length() > 0) line.append(' ');
            line.append(String.format("0x%08xu", wb.getInt())).append(i + 1 < h.weightWords ? "," : "");
            if ((i + 1) % 8 == 0) {
                h.weightLines.add(line.toString());
                line.setLength(0);
            }
        }
        if (line.length() > 0) h.weightLines.add(line.toString());
        for (OpenClProgram.Buffer b : buffers)
            h.buffers.add(new ClHost.Buf(b.id(), b.allocBytes(), ScalarTypes.commentText(b.kind().name().toLowerCase(Locale.ROOT) + " '" + b.name() + "'"),
                    b.kind() == OpenClProgram.BufferKind.WEIGHTS));
        java.util.Set<String> used = new java.util.HashSet<>(List.of("m", "device"));
        for (int i = 0; i < g.inputs().size(); i++) h.inputs.add(io(i, firstIn + i, "in_", g.inputs().get(i), used));
        for (int i = 0; i < g.outputs().size(); i++) h.outputs.add(io(i, firstOut + i, "out_", g.outputs().get(i), used));
        for (int i = 0; i < launches.size(); i++) h.launches.add(new ClHost.Launch(i, launches.get(i)));
        bindLaunches(h.steps, h.launches);
        for (OpenClProgram.Copy cp : copies) h.copies.add(new ClHost.Copy(cp));
        return new Lowered(prog, h, plan);
    }

    private static ClHost.Io io(int i, int buffer, String pre, Value v, java.util.Set<String> used) {
        String base = pre + ScalarTypes.identifier(v.name());
        String name = base;
        for (int k = 2; !used.add(name); k++) name = base + "_" + k;
        ClHost.Io io = new ClHost.Io(i, buffer, name, ScalarTypes.ctype(v.dtype()), ScalarTypes.commentText(v.name()), v.type().toString(), v.type().byteSize());
        io.packed = v.dtype().isSubByte();
        io.perByte = io.packed ? 8 / v.dtype().bits() : 0;
        return io;
    }

    /** {@code s} as the body of a C string literal. */
    private static String cString(String s) {
        StringBuilder b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') b.append('\\').append(ch);
            else if (ch == '\n') b.append("\\n");
            else if (ch == '\t') b.append("\\t");
            else if (ch < 0x20 || ch > 0x7e) b.append('?');
            else b.append(ch);
        }
        return b.toString();
    }

    /** Lowers every node of {@code g} and of its regions (named by {@link ControlKernels#regionName}); returns how many cannot run. */
    private static int lowerAll(Templates tpl, Graph g, String prefix, Target t, Map<Node, ClKernel> kernels, StringBuilder unsupported,
            boolean inRegion) {
        int count = 0;
        List<Node> nodes = g.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            ClKernel[] out = new ClKernel[1];
            String why = inRegion && Extents.producesBounded(n) ? "a value whose size is known only at run time inside a region"
                    : reason(tpl, g, n, i, prefix, t, out);
            if (why != null) {
                unsupported.append("\n  ").append(n.op().name()).append(" '").append(n.name()).append("': ").append(why);
                count++;
                continue;
            }
            kernels.put(n, out[0]);
            for (int j = 0; j < n.regions().size(); j++)
                count += lowerAll(tpl, n.regions().get(j), ControlKernels.regionName(out[0].k, j), t, kernels, unsupported, true);
        }
        return count;
    }

    /** Points each launch step at its launch (the host C template renders it there). */
    private static void bindLaunches(List<ClStep> steps, List<ClHost.Launch> launches) {
        for (ClStep s : steps) {
            if (s.launch) s.call = launches.get(s.kernel);
            bindLaunches(s.then, launches);
            bindLaunches(s.other, launches);
            bindLaunches(s.body, launches);
        }
    }

    /** {@code g} and every region inside it, depth first. */
    private static void allGraphs(Graph g, List<Graph> into) {
        into.add(g);
        for (Node n : g.nodes()) for (Graph r : n.regions()) allGraphs(r, into);
    }

    /** A place in device memory: a buffer and a byte offset. */
    record Loc(int buffer, long offset) {}

    /** Emits the host steps of a graph and its regions: launches (collected in order) and host control flow. */
    private static final class Emit {
        final MemoryPlan top;
        final Map<Value, Long> consts;
        final Map<Node, ClKernel> kernels;
        final ClHost h;
        final List<OpenClProgram.Kernel> launches;
        /** The arena offset of the run-time extent of each node that produces a bounded value. */
        Map<Node, Long> countAt = Map.of();
        /** The node computing each bounded value's extent ({@link Extents#sources}). */
        Map<Value, Node> sources = Map.of();

        Emit(MemoryPlan top, Map<Value, Long> consts, Map<Node, ClKernel> kernels, ClHost h, List<OpenClProgram.Kernel> launches) {
            this.top = top;
            this.consts = consts;
            this.kernels = kernels;
            this.h = h;
            this.launches = launches;
        }

        /** Where {@code v} of a graph planned by {@code plan} lives, its inputs and outputs at {@code ins}/{@code outs}, its arena at {@code base}. */
        Loc loc(Value v, MemoryPlan plan, List<Loc> ins, List<Loc> outs, long base) {
            Placement pl = plan.placement(v);
            switch (pl.kind()) {
                case ARENA: return new Loc(0, base + pl.offset());
                case INPUT: return ins.get(pl.index());
                case OUTPUT: return outs.get(pl.index());
                case CONSTANT: {
                    Long off = consts.get(v);
                    return new Loc(1, off == null ? 0 : off);
                }
                default: throw new IllegalStateException();
            }
        }

        /** The steps of {@code g}'s schedule; {@code depth} is the number of repetitions around it. */
        List<ClStep> steps(Graph g, MemoryPlan plan, List<Loc> ins, List<Loc> outs, long base, int depth) {
            List<ClStep> steps = new ArrayList<>();
            for (Node n : g.nodes()) {
                ClKernel c = kernels.get(n);
                Placement outP = plan.placement(n.output(0));
                if (n.input(0) != null) c.k.inPlace = plan.placement(n.input(0)).samePlace(outP);
                boolean empty = true;
                for (Value v : n.outputs()) if (v != null && v.shape().numel() > 0) empty = false;
                // why: a node whose outputs are all empty computes nothing
                if (empty) continue;
                Map<String, Loc> at = new java.util.HashMap<>();
                for (int i = 0; i < n.numInputs(); i++) if (n.input(i) != null) at.put("x" + i, loc(n.input(i), plan, ins, outs, base));
                for (int i = 0; i < n.outputs().size(); i++) if (n.output(i) != null) at.put("y" + i, loc(n.output(i), plan, ins, outs, base));
                MemoryPlan.Buffer s = plan.scratch(n);
                if (s != null) at.put("s", new Loc(0, base + s.offset()));
                if (c.template == null) {
                    control(steps, n, c, (ControlKernels.Control) c.k.m, at, plan, depth);
                    continue;
                }
                // why: an alias whose output already is its input's bytes computes nothing (and OpenCL rejects empty work sizes)
                if ((n.op().has(Trait.ALIAS) && c.k.inPlace) || c.items == 0) continue;
                for (int i = 0; i < n.numInputs(); i++) if (n.input(i) != null) c.params.add(param("x" + i, n.input(i), true, at));
                for (int i = 0; i < n.outputs().size(); i++) if (n.output(i) != null) c.params.add(param("y" + i, n.output(i), false, at));
                if (countAt.containsKey(n)) {
                    ClKernel.Param p = new ClKernel.Param("c", "int64_t", false);
                    p.buffer = 0;
                    p.offset = countAt.get(n);
                    c.params.add(p);
                }
                for (int i = 0; i < n.numInputs(); i++) {
                    Node from = n.input(i) != null && n.op().readsExtent(n, i) ? sources.get(n.input(i)) : null;
                    if (from == null) continue;
                    // why: an op that reads its input's run-time extent gets that count slot (read-only) as e<i>
                    ClKernel.Param p = new ClKernel.Param("e" + i, "int64_t", true);
                    p.buffer = 0;
                    p.offset = countAt.get(from);
                    c.params.add(p);
                }
                if (s != null) {
                    ClKernel.Param p = new ClKernel.Param("s", "uchar", false);
                    p.buffer = 0;
                    p.offset = at.get("s").offset();
                    c.params.add(p);
                }
                List<OpenClProgram.Arg> args = new ArrayList<>();
                for (ClKernel.Param p : c.params) {
                    args.add(OpenClProgram.Arg.buffer(p.buffer));
                    args.add(OpenClProgram.Arg.uint(p.offset));
                }
                h.kernels.add(c);
                for (String f : c.k.runtimeHeaders) {
                    String text = dev.kiln.backend.Resources.read("runtime-c/" + f);
                    if (text == null) throw new IllegalStateException("runtime-c/" + f + " is missing from Kiln's resources");
                    if (!h.runtimeText.contains(text)) h.runtimeText.add(text);
                }
                steps.add(ClStep.launch(launches.size()));
                launches.add(new OpenClProgram.Kernel(c.name, n.name(), n.op().name(), 0, args, c.global, c.local));
            }
            return steps;
        }

        private static ClKernel.Param param(String name, Value v, boolean readOnly, Map<String, Loc> at) {
            ClKernel.Param p = new ClKernel.Param(name, ScalarTypes.ctype(v.dtype()), readOnly);
            Loc l = at.get(name);
            p.buffer = l.buffer();
            p.offset = l.offset();
            return p;
        }

        /** The host steps of control node {@code n}: its regions' steps around its staging copies (see {@link ControlKernels}). */
        private void control(List<ClStep> steps, Node n, ClKernel c, ControlKernels.Control m, Map<String, Loc> at, MemoryPlan plan, int depth) {
            Loc s = at.getOrDefault("s", new Loc(0, 0));
            List<Loc> args = new ArrayList<>();
            for (ControlKernels.Arg a : m.args) args.add(a.staged ? new Loc(0, s.offset() + a.off) : a.name == null ? null : at.get(a.name));
            long arena = s.offset() + m.arena;
            if (m.thenFn != null) {
                ClStep b = ClStep.branch(at.get("x0").buffer(), at.get("x0").offset());
                b.then.addAll(region(n, c, m.thenFn, args, arena, plan, depth));
                b.other.addAll(region(n, c, m.elseFn, args, arena, plan, depth));
                steps.add(b);
                return;
            }
            for (ControlKernels.Copy cp : m.before) steps.add(copy(cp, at, s, depth));
            ClStep r = ClStep.repeat(depth + 1);
            if (m.conditional) {
                if (m.hasCond) steps.add(ClStep.copy(at.get("x1").buffer(), at.get("x1").offset(), 0, 0, s.offset() + m.condOff, 0, 1, depth));
                else steps.add(ClStep.setByte(0, s.offset() + m.condOff, 1));
                r.trips = m.bounded ? m.bound : m.trips;
                r.bound = m.bound;
                r.fromM = m.bounded && m.hasM;
                if (r.fromM) {
                    r.mBuffer = at.get("x0").buffer();
                    r.mOffset = at.get("x0").offset();
                }
                r.hasCond = true;
                r.buffer = 0;
                r.offset = s.offset() + m.condOff;
                r.hasIter = true;
                r.iterBuffer = 0;
                r.iterOffset = s.offset() + m.iterOff;
            } else {
                r.trips = m.steps;
            }
            for (ControlKernels.Slice sl : m.gather) slices(r.body, sl, at, s, false, depth + 1);
            r.body.addAll(region(n, c, m.bodyFn, args, arena, plan, depth + 1));
            if (r.hasCond) r.body.add(ClStep.copy(0, s.offset() + m.condOutOff, 0, 0, s.offset() + m.condOff, 0, 1, depth + 1));
            for (ControlKernels.Copy cp : m.carry) r.body.add(copy(cp, at, s, depth + 1));
            for (ControlKernels.Slice sl : m.scatter) slices(r.body, sl, at, s, true, depth + 1);
            steps.add(r);
            for (ControlKernels.Copy cp : m.after) steps.add(copy(cp, at, s, depth));
        }

        /** One copy per outer run of a slice: between the stacked tensor (moving by a row per iteration) and its staged step. */
        private static void slices(List<ClStep> into, ControlKernels.Slice sl, Map<String, Loc> at, Loc s, boolean toTensor, int depth) {
            Loc x = at.get(sl.tensor);
            long first = sl.reverse ? sl.last * sl.innerBytes : 0, step = sl.reverse ? -sl.innerBytes : sl.innerBytes;
            for (long o = 0; o < sl.outer; o++) {
                long tOff = x.offset() + o * sl.stride + first, sOff = s.offset() + sl.stage + o * sl.innerBytes;
                into.add(toTensor ? ClStep.copy(0, sOff, 0, x.buffer(), tOff, step, sl.innerBytes, depth)
                        : ClStep.copy(x.buffer(), tOff, step, 0, sOff, 0, sl.innerBytes, depth));
            }
        }

        private static ClStep copy(ControlKernels.Copy cp, Map<String, Loc> at, Loc s, int depth) {
            Loc from = cp.from.equals("s") ? s : at.get(cp.from), to = cp.to.equals("s") ? s : at.get(cp.to);
            return ClStep.copy(from.buffer(), from.offset() + cp.fromOff, 0, to.buffer(), to.offset() + cp.toOff, 0, cp.bytes, depth);
        }

        /** The steps of the region of {@code n} compiled as unit {@code fn}, its inputs and outputs at {@code args}, its arena at {@code arena}. */
        private List<ClStep> region(Node n, ClKernel c, String fn, List<Loc> args, long arena, MemoryPlan plan, int depth) {
            Graph r = null;
            for (int j = 0; j < n.regions().size(); j++) if (ControlKernels.regionName(c.k, j).equals(fn)) r = n.regions().get(j);
            MemoryPlan rp = plan.regionPlan(r);
            List<Loc> ins = new ArrayList<>(args.subList(0, r.inputs().size()));
            List<Loc> outs = new ArrayList<>(args.subList(r.inputs().size(), args.size()));
            List<ClStep> steps = steps(r, rp, ins, outs, arena, depth);
            for (int i = 0; i < r.outputs().size(); i++) {
                Value v = r.outputs().get(i);
                Placement pl = rp.placement(v);
                if (pl.kind() == Kind.OUTPUT && pl.index() == i) continue;
                if (v.type().byteSize() == 0) continue; // why: nothing to copy
                Loc from = loc(v, rp, ins, outs, arena);
                steps.add(ClStep.copy(from.buffer(), from.offset(), 0, outs.get(i).buffer(), outs.get(i).offset(), 0, v.type().byteSize(), depth));
            }
            return steps;
        }
    }

    private static void unsupportedIo(Value v) {
        throw new KilnException(Code.UNSUPPORTED_BY_BACKEND, Location.NONE, "OpenCL", 1,
                "\n  model input/output '" + v.name() + "' is " + v.dtype() + ", which the OpenCL backend does not support");
    }

    private static String describe(Node n) {
        StringBuilder b = new StringBuilder(n.op().name()).append(" '").append(n.name()).append("': ");
        for (int i = 0; i < n.numInputs(); i++) {
            if (i > 0) b.append(", ");
            b.append(n.input(i) == null ? "-" : brief(n.input(i)));
        }
        b.append(" -> ");
        for (int i = 0; i < n.outputs().size(); i++) {
            if (i > 0) b.append(", ");
            b.append(n.output(i) == null ? "-" : brief(n.output(i)));
        }
        return ScalarTypes.commentText(b.toString());
    }

    /** A value's type for a comment, its quantization parameters cut short (per-channel lists run to thousands of characters). */
    private static String brief(Value v) {
        String s = v.type().toString();
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
