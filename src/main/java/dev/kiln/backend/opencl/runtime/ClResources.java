package dev.kiln.backend.opencl.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The buffers and programs (with their kernels) one {@link ClSession} made, each released once: on request, or all
 * together when the session closes. Shared by the JOCL and LWJGL bindings, which differ only in their handle types
 * ({@code M} memory, {@code P} program, {@code K} kernel) and release calls.
 */
final class ClResources<M, P, K> {
    /** A buffer: its handle and size in bytes. */
    static class Buf<M> implements ClSession.Buffer {
        final M mem;
        final long bytes;

        Buf(M mem, long bytes) {
            this.mem = mem;
            this.bytes = bytes;
        }

        @Override
        public long bytes() { return bytes; }
    }

    /** A program: its handle, its kernels' names, and the kernels made from it so far by name. */
    static class Prog<P, K> implements ClSession.Program {
        final P program;
        final List<String> names;
        final Map<String, K> kernels = new HashMap<>();

        Prog(P program, List<String> names) {
            this.program = program;
            this.names = names;
        }

        @Override
        public List<String> kernelNames() { return names; }
    }

    private final Consumer<M> releaseMem;
    private final Consumer<K> releaseKernel;
    private final Consumer<P> releaseProgram;
    private final List<Buf<M>> buffers = new ArrayList<>();
    private final List<Prog<P, K>> programs = new ArrayList<>();

    /** Tracks resources released with the binding's calls. */
    ClResources(Consumer<M> releaseMem, Consumer<K> releaseKernel, Consumer<P> releaseProgram) {
        this.releaseMem = releaseMem;
        this.releaseKernel = releaseKernel;
        this.releaseProgram = releaseProgram;
    }

    /** Tracks buffer {@code b} until it is released; returns it. */
    <B extends Buf<M>> B buffer(B b) {
        buffers.add(b);
        return b;
    }

    /** Tracks program {@code p} until it is released; returns it. */
    <Q extends Prog<P, K>> Q program(Q p) {
        programs.add(p);
        return p;
    }

    /** Releases buffer {@code b} if this session still holds it. */
    @SuppressWarnings("unchecked")
    void release(ClSession.Buffer b) {
        if (buffers.remove(b)) releaseMem.accept(((Buf<M>) b).mem);
    }

    /** Releases program {@code p} and its kernels if this session still holds it. */
    @SuppressWarnings("unchecked")
    void release(ClSession.Program p) {
        if (!programs.remove(p)) return;
        Prog<P, K> prog = (Prog<P, K>) p;
        for (K k : prog.kernels.values()) releaseKernel.accept(k);
        releaseProgram.accept(prog.program);
    }

    /** Releases every program (kernels first) and buffer still held. */
    void releaseAll() {
        for (Prog<P, K> p : programs) {
            for (K k : p.kernels.values()) releaseKernel.accept(k);
            releaseProgram.accept(p.program);
        }
        for (Buf<M> b : buffers) releaseMem.accept(b.mem);
        programs.clear();
        buffers.clear();
    }
}
