package dev.kiln.backend.opencl;

import java.util.ArrayList;
import java.util.List;

/**
 * The model object of the generated files ({@code <model>.cl}, {@code <model>_cl.h/.c}, {@code <model>_cl_weights.c}),
 * handed to {@code templates/opencl/Program.stg} as {@code p}. Every number is computed by {@link OpenClBackend}.
 */
public final class ClHost {
    /** A model input or output of the host API. */
    public static final class Io {
        public final int index, buffer;
        public final String param, ctype, name, type;
        public final long bytes;
        /** Elements per byte of a packed sub-byte tensor (i4, u4, f4e2m1: 2; i2, u2: 4), else 0. */
        public int perByte;
        /** Whether the tensor is packed ({@link #perByte} elements to a byte). */
        public boolean packed;

        Io(int index, int buffer, String param, String ctype, String name, String type, long bytes) {
            this.index = index;
            this.buffer = buffer;
            this.param = param;
            this.ctype = ctype;
            this.name = name;
            this.type = type;
            this.bytes = bytes;
        }
    }

    /** A device buffer: its id and the bytes to allocate. */
    public static final class Buf {
        public final int id;
        public final long alloc;
        public final String comment;
        /** Whether it is the weights buffer (created from the weights array). */
        public final boolean weights;

        Buf(int id, long alloc, String comment, boolean weights) {
            this.weights = weights;
            this.id = id;
            this.alloc = alloc;
            this.comment = comment;
        }
    }

    /** One argument assignment: position, and a buffer id (isBuffer) or a cl_uint value. */
    public static final class Arg {
        public final int pos, buffer;
        public final boolean isBuffer;
        public final long value;

        Arg(int pos, OpenClProgram.Arg a) {
            this.pos = pos;
            this.isBuffer = a.kind() == OpenClProgram.ArgKind.BUFFER;
            this.buffer = a.buffer();
            this.value = a.value();
        }
    }

    /** One kernel launch. */
    public static final class Launch {
        public final int index, dims, line;
        public final String name;
        public final List<Arg> args = new ArrayList<>();
        public final List<Long> global = new ArrayList<>(), local = new ArrayList<>();
        public final boolean hasLocal;

        Launch(int index, OpenClProgram.Kernel k) {
            this.index = index;
            this.name = k.name();
            this.line = k.line();
            this.dims = k.dims();
            for (int i = 0; i < k.args().size(); i++) args.add(new Arg(i, k.args().get(i)));
            for (long g : k.global()) global.add(g);
            hasLocal = k.local() != null;
            if (hasLocal) for (long l : k.local()) local.add(l);
        }
    }

    /** A device copy run after the last kernel (an output that is an input, a constant, or listed twice). */
    public static final class Copy {
        public final int src, dst;
        public final long srcOffset, dstOffset, bytes;

        Copy(OpenClProgram.Copy c) {
            src = c.src();
            dst = c.dst();
            srcOffset = c.srcOffset();
            dstOffset = c.dstOffset();
            bytes = c.bytes();
        }
    }

    /** {@code kws}, {@code KWS}; generator version, source model, target. */
    public String prefix, PREFIX, kilnVersion, source, target, buildOptions;
    /** The text of the runtime-c headers the kernels use (kiln_types.h), pasted into the program after the dialect's typedefs. */
    public final List<String> runtimeText = new ArrayList<>();
    /** The OpenCL program's kernels (rendered into {@code <model>.cl}). */
    public final List<ClKernel> kernels = new ArrayList<>();
    /** The program source as C string literals, one per line (already escaped, each ending in \n). */
    public final List<String> sourceLines = new ArrayList<>();
    /** The weights as 32-bit little-endian words, a few hex literals per line; their count. */
    public final List<String> weightLines = new ArrayList<>();
    public long weightWords;
    public final List<Buf> buffers = new ArrayList<>();
    public final List<Io> inputs = new ArrayList<>(), outputs = new ArrayList<>();
    public final List<Launch> launches = new ArrayList<>();
    public final List<Copy> copies = new ArrayList<>();
    /** What a run does before the final copies (see {@link ClStep}). */
    public final List<ClStep> steps = new ArrayList<>();
    /** Buffer ids of the arena and the weights; arena bytes. */
    public int arenaBuffer, weightsBuffer;
    /** The bounded outputs: where each one's run-time extent lies in the arena after a run ({@code <model>_cl_counts} reads them). */
    public final List<Count> counts = new ArrayList<>();

    /** A bounded output as the host C reads its count (fields, for the templates): see {@link OpenClProgram.Count}. */
    public static final class Count {
        public final int output, axis;
        public final long offset, bound;
        public final String node;

        Count(OpenClProgram.Count c) {
            output = c.output();
            axis = c.axis();
            offset = c.offset();
            bound = c.bound();
            node = dev.kiln.kernels.ScalarTypes.commentText(c.node());
        }
    }
    public long arenaBytes;
}
