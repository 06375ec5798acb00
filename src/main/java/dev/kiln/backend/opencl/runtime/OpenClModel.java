package dev.kiln.backend.opencl.runtime;

import dev.kiln.backend.Backend;
import dev.kiln.backend.Target;
import dev.kiln.backend.opencl.ClBytes;
import dev.kiln.backend.opencl.OpenClBackend;
import dev.kiln.backend.opencl.OpenClProgram;
import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.toolchain.CProgramRunner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A compiled model made ready on a device: its program built, its buffers allocated and its weights uploaded
 * once; {@link #run} then writes the inputs, enqueues every kernel and copy of the {@link OpenClProgram} in
 * order with no host round trip in between, and reads the outputs back. Works in any {@link ClSession},
 * including an application's own LWJGL context ({@link LwjglRuntime#wrap}).
 */
public final class OpenClModel implements AutoCloseable {
    private final ClSession session;
    private final OpenClProgram program;
    private final ClSession.Program built;
    private final List<ClSession.Buffer> buffers = new ArrayList<>();
    private final List<TensorType> inputs, outputs;
    /** Whether every output buffer is filled with ones before a run ({@link #poisonOutputs}), not only packed ones. */
    private boolean poison;
    /** Each launch's arguments, made once: buffers and offsets never change between runs. */
    private final List<List<KernelArg>> launchArgs = new ArrayList<>();

    /**
     * Builds {@code p} in {@code s}, allocates its buffers and uploads its weights; {@code inputs} and
     * {@code outputs} are the model's tensor types in order (the graph's inputs and outputs).
     */
    public OpenClModel(ClSession s, OpenClProgram p, List<TensorType> inputs, List<TensorType> outputs) {
        this.session = s;
        this.program = p;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        if (p.inputs().size() != inputs.size() || p.outputs().size() != outputs.size())
            throw new KilnException(Code.INTERNAL, Location.NONE, "program " + p.name() + " has " + p.inputs().size() + " inputs and "
                    + p.outputs().size() + " outputs, the model " + inputs.size() + " and " + outputs.size());
        this.built = s.build(p.source(), s.device().buildOptions(p.buildOptions()));
        try {
            for (OpenClProgram.Buffer b : p.buffers()) buffers.add(s.allocate(b.allocBytes()));
            OpenClProgram.Buffer w = p.buffer(OpenClProgram.BufferKind.WEIGHTS, -1);
            byte[] weights = p.weights();
            if (w != null && weights.length > 0) s.write(buffers.get(w.id()), 0, ByteBuffer.wrap(weights));
            for (OpenClProgram.Kernel k : p.kernels()) {
                List<KernelArg> args = new ArrayList<>(k.args().size());
                for (OpenClProgram.Arg a : k.args()) args.add(arg(k, a));
                launchArgs.add(List.copyOf(args));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Compiles optimized graph {@code g} for {@code t} narrowed to the session's device (see
     * {@link DeviceTargets}) and makes it ready in {@code s}; {@code templates} may override built-in ones.
     */
    public static OpenClModel compile(ClSession s, Graph g, Target t, java.nio.file.Path templates) {
        Target narrowed = DeviceTargets.narrow(t, s.device().limits());
        OpenClProgram p = new OpenClBackend().lower(g, narrowed, new Backend.Options("kiln", templates, g.name() == null ? "model" : g.name())).program();
        List<TensorType> ins = new ArrayList<>(), outs = new ArrayList<>();
        for (Value v : g.inputs()) ins.add(v.type());
        for (Value v : g.outputs()) outs.add(v.type());
        return new OpenClModel(s, p, ins, outs);
    }

    /**
     * Fills every output buffer with ones before each run (a float output element no kernel writes reads NaN, an
     * integer one -1), so a check against a reference sees only what the kernels wrote; for checking, not serving.
     */
    public OpenClModel poisonOutputs() {
        poison = true;
        return this;
    }

    /** The launch description this model runs. */
    public OpenClProgram program() { return program; }

    /** The session the model lives in. */
    public ClSession session() { return session; }

    /** Runs the model on {@code in} (one array per input, in order; cast to the input's dtype) and returns its outputs. */
    public List<NdArray> run(List<NdArray> in) {
        if (in.size() != inputs.size())
            throw new KilnException(Code.USAGE, Location.NONE, "model " + program.name() + " takes " + inputs.size() + " inputs, got " + in.size());
        for (int i = 0; i < in.size(); i++) {
            TensorType t = inputs.get(i);
            NdArray a = in.get(i).dtype() == t.dtype() ? in.get(i) : in.get(i).cast(t.dtype());
            if (a.size() != t.shape().numel())
                throw new KilnException(Code.USAGE, Location.NONE, "input " + i + " of " + program.name() + " must be " + t + ", got " + a.type());
            OpenClProgram.Buffer b = program.inputs().get(i);
            byte[] bytes = ClBytes.of(a);
            // why: a write past the buffer's end is an OpenCL error far from its cause
            if (bytes.length != b.bytes())
                throw new KilnException(Code.INTERNAL, Location.NONE, "input " + i + " of " + program.name() + " holds " + bytes.length
                        + " bytes, its device buffer " + b.bytes());
            if (bytes.length > 0) session.write(buffers.get(b.id()), 0, ByteBuffer.wrap(bytes));
        }
        for (int i = 0; i < outputs.size(); i++) {
            long n = outputs.get(i).byteSize();
            // why: ones in a packed output show a kernel that leaves the bits after its last element unwritten
            // (packedTailError); in any output checked against a reference, elements no kernel wrote (NaN, -1)
            if (!(poison || outputs.get(i).dtype().isSubByte()) || n == 0) continue;
            byte[] ones = new byte[Math.toIntExact(n)];
            java.util.Arrays.fill(ones, (byte) 0xFF);
            session.write(buffers.get(program.outputs().get(i).id()), 0, ByteBuffer.wrap(ones));
        }
        run(program.steps(), 0);
        for (OpenClProgram.Copy c : program.copies())
            session.copy(buffers.get(c.src()), c.srcOffset(), buffers.get(c.dst()), c.dstOffset(), c.bytes());
        List<NdArray> out = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            OpenClProgram.Buffer b = program.outputs().get(i);
            TensorType t = outputs.get(i);
            ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(t.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
            session.read(buffers.get(b.id()), 0, bytes);
            String tail = CProgramRunner.packedTailError(t, bytes.array());
            if (tail != null) throw new KilnException(Code.INTERNAL, Location.NONE, "output " + i + " of " + program.name() + " " + tail);
            out.add(CProgramRunner.fromBytes(t, bytes.array()));
        }
        // why: a bounded output holds its bound; the first extent slices along its axis are the result
        for (OpenClProgram.Count c : program.counts) {
            ByteBuffer eight = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            session.read(buffers.get(program.buffer(OpenClProgram.BufferKind.ARENA, -1).id()), c.offset(), eight);
            long extent = eight.getLong(0);
            if (extent < 0 || extent > c.bound())
                throw new KilnException(Code.RUN_FAILED, Location.node(null, c.node()), "'" + c.node() + "' gives " + extent + " along axis "
                        + c.axis() + ", more than its bound " + c.bound() + " (set a larger one with --bound " + c.node() + "=N)");
            out.set(c.output(), dev.kiln.ops.Extents.trim(out.get(c.output()), c.axis(), (int) extent));
        }
        return out;
    }

    /** Runs {@code steps}; {@code t} is the innermost repetition's iteration (moving copies' offsets). */
    private void run(List<dev.kiln.backend.opencl.ClStep> steps, long t) {
        List<OpenClProgram.Kernel> ks = program.kernels();
        for (dev.kiln.backend.opencl.ClStep s : steps) {
            if (s.launch) {
                OpenClProgram.Kernel k = ks.get(s.kernel);
                session.enqueue(built, k.name(), launchArgs.get(s.kernel), k.global(), k.local());
            } else if (s.copy) {
                session.copy(buffers.get(s.src), s.srcOffset + t * s.srcStep, buffers.get(s.dst), s.dstOffset + t * s.dstStep, s.bytes);
            } else if (s.setByte) {
                session.write(buffers.get(s.buffer), s.offset, ByteBuffer.wrap(new byte[] {(byte) s.value}));
            } else if (s.branch) {
                run(readByte(s.buffer, s.offset) != 0 ? s.then : s.other, t);
            } else if (s.repeat) {
                long trips = s.trips;
                if (s.fromM) {
                    ByteBuffer m = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                    session.read(buffers.get(s.mBuffer), s.mOffset, m);
                    trips = Math.min(m.getLong(0), s.bound);
                }
                for (long it = 0; it < trips; it++) {
                    if (s.hasCond && readByte(s.buffer, s.offset) == 0) break;
                    if (s.hasIter) session.write(buffers.get(s.iterBuffer), s.iterOffset, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, it));
                    run(s.body, it);
                }
            }
        }
    }

    /** The byte at {@code offset} of buffer {@code b}, read back (after every enqueued command before it). */
    private int readByte(int b, long offset) {
        ByteBuffer one = ByteBuffer.allocate(1);
        session.read(buffers.get(b), offset, one);
        return one.get(0);
    }

    private KernelArg arg(OpenClProgram.Kernel k, OpenClProgram.Arg a) {
        if (a.kind() == OpenClProgram.ArgKind.BUFFER) return KernelArg.of(buffers.get(a.buffer()));
        // why: a cl_uint argument holds 32 bits; a larger value is a backend bug, not a silent wrap-around
        if (a.value() < 0 || a.value() > 0xffffffffL)
            throw new KilnException(Code.INTERNAL, Location.node(null, k.node()), "kernel '" + k.name() + "': uint argument " + a.value() + " does not fit 32 bits");
        return KernelArg.of((int) a.value());
    }

    /** Releases the model's program and buffers (the session stays open). */
    @Override
    public void close() {
        for (ClSession.Buffer b : buffers) session.release(b);
        buffers.clear();
        session.release(built);
    }
}
