package dev.kiln.backend.opencl;

import java.util.ArrayList;
import java.util.List;

/**
 * One host step of an OpenCL run: a kernel launch, a buffer copy, a one-byte write, or control flow around steps
 * (an If's branch on a condition byte read back from the device; a Loop's or Scan's repetition). Control flow runs
 * on the host: it reads the condition back and enqueues the region's kernels per branch or per iteration
 * ({@link dev.kiln.kernels.ControlKernels} gives the geometry). Read by the Java runner and, as {@code s}, by the
 * host C template. Offsets of a copy inside a repetition move by {@code srcStep}/{@code dstStep} bytes per iteration
 * of the innermost one ({@code t<depth>} in C).
 */
public final class ClStep {
    /** What the step does (exactly one is true). */
    public final boolean launch, copy, setByte, branch, repeat;
    /** Launch: the kernel's index in the program's kernel list, and its launch in the host C model. */
    public int kernel;
    public ClHost.Launch call;
    /** Copy: buffers, byte offsets, per-iteration moves and size. */
    public int src, dst;
    public long srcOffset, dstOffset, srcStep, dstStep, bytes;
    /** Whether the copy's offsets move with the iteration ({@code srcStep} or {@code dstStep} not 0). */
    public boolean moves;
    /** SetByte: the byte at (buffer, offset) gets {@code value}. Branch and repeat: the condition byte there. */
    public int buffer, value;
    public long offset;
    /** Branch: the steps when the condition byte is not 0, and when it is. */
    public final List<ClStep> then = new ArrayList<>(), other = new ArrayList<>();
    /** Repeat: a fixed trip count, or (fromM) the int64 at (mBuffer, mOffset) capped at {@code bound}. */
    public long trips, bound, mOffset, iterOffset;
    public boolean fromM, hasCond, hasIter;
    public int mBuffer, iterBuffer;
    /** Repeat: nesting depth (names the iteration variable) and the steps of one iteration. */
    public int depth;
    public final List<ClStep> body = new ArrayList<>();

    private ClStep(boolean launch, boolean copy, boolean setByte, boolean branch, boolean repeat) {
        this.launch = launch;
        this.copy = copy;
        this.setByte = setByte;
        this.branch = branch;
        this.repeat = repeat;
    }

    static ClStep launch(int kernel) {
        ClStep s = new ClStep(true, false, false, false, false);
        s.kernel = kernel;
        return s;
    }

    static ClStep copy(int src, long srcOffset, long srcStep, int dst, long dstOffset, long dstStep, long bytes, int depth) {
        ClStep s = new ClStep(false, true, false, false, false);
        s.src = src;
        s.srcOffset = srcOffset;
        s.srcStep = srcStep;
        s.dst = dst;
        s.dstOffset = dstOffset;
        s.dstStep = dstStep;
        s.bytes = bytes;
        s.moves = srcStep != 0 || dstStep != 0;
        s.depth = depth;
        return s;
    }

    static ClStep setByte(int buffer, long offset, int value) {
        ClStep s = new ClStep(false, false, true, false, false);
        s.buffer = buffer;
        s.offset = offset;
        s.value = value;
        return s;
    }

    static ClStep branch(int buffer, long offset) {
        ClStep s = new ClStep(false, false, false, true, false);
        s.buffer = buffer;
        s.offset = offset;
        return s;
    }

    static ClStep repeat(int depth) {
        ClStep s = new ClStep(false, false, false, false, true);
        s.depth = depth;
        return s;
    }
}
