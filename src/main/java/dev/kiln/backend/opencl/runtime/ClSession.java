package dev.kiln.backend.opencl.runtime;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A context and an in-order command queue on one device, owning every program, kernel and buffer made
 * through it; {@link #close()} releases them all (and the context and queue, unless they were lent by the
 * application, see {@link LwjglRuntime#wrap}). Not thread-safe: one thread drives a session.
 */
public interface ClSession extends AutoCloseable {
    /** A device buffer made by {@link #allocate}. */
    interface Buffer {
        /** Its size in bytes. */
        long bytes();
    }

    /** A program built by {@link #build}. */
    interface Program {
        /** The names of its kernels, in source order. */
        List<String> kernelNames();
    }

    /** The device the session runs on. */
    ClDevice device();

    /**
     * Builds {@code source} with compiler {@code options}; on failure throws {@code BUILD_FAILED} with the
     * build log and the name of the kernel the first error points into.
     */
    Program build(String source, String options);

    /** A read-write device buffer of {@code bytes} bytes (at least 1). */
    Buffer allocate(long bytes);

    /** Copies {@code data} (position to limit) into {@code b} at byte {@code offset}; blocking. */
    void write(Buffer b, long offset, ByteBuffer data);

    /** Copies bytes of {@code b} from {@code offset} into {@code dst} (position to limit); blocking. */
    void read(Buffer b, long offset, ByteBuffer dst);

    /**
     * Enqueues kernel {@code kernel} of {@code p} with {@code args} over {@code global} work-items in groups of
     * {@code local} (null: the runtime chooses). Errors name the kernel.
     */
    void enqueue(Program p, String kernel, List<KernelArg> args, long[] global, long[] local);

    /** Enqueues a device-to-device copy of {@code bytes} bytes. */
    void copy(Buffer src, long srcOffset, Buffer dst, long dstOffset, long bytes);

    /** Releases buffer {@code b} now rather than at {@link #close()}. */
    void release(Buffer b);

    /** Releases program {@code p} and its kernels now rather than at {@link #close()}. */
    void release(Program p);

    /** Waits until every enqueued command has finished. */
    void finish();

    /** Releases everything the session made; never throws. */
    @Override
    void close();
}
