package dev.kiln.memory;

import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Where every tensor of a scheduled graph lives while the generated code runs: in the caller's input or
 * output buffers, among the constant weights, or at an offset in the one arena.
 */
public final class MemoryPlan {
    /** The four kinds of storage. */
    public enum Kind { INPUT, OUTPUT, CONSTANT, ARENA }

    /**
     * A value's storage: for INPUT/OUTPUT the graph input/output index, for ARENA the byte offset and the
     * buffer it shares (several values share one buffer through aliases and in-place execution).
     */
    public record Placement(Kind kind, int index, long offset, Buffer buffer) {
        /** Whether {@code o} is the same memory: the same arena offset, or the same caller buffer (constants never are). */
        public boolean samePlace(Placement o) {
            if (kind != o.kind) return false;
            if (kind == Kind.ARENA) return offset == o.offset;
            return kind != Kind.CONSTANT && index == o.index;
        }
    }

    /**
     * One arena buffer: its byte size (aligned), offset, the schedule steps during which it is live
     * (inclusive), and the values stored in it in definition order.
     */
    public record Buffer(int id, long bytes, long offset, int firstStep, int lastStep, List<Value> values, Node scratchOf) {
        /** Whether this buffer is a kernel's temporary rather than a tensor. */
        public boolean isScratch() { return scratchOf != null; }
    }

    private final Map<Value, Placement> placements;
    private final Map<Node, Buffer> scratch;
    private final List<Buffer> buffers;
    private final List<Node> schedule;
    private final long arenaBytes;
    private final long lowerBoundBytes;
    private final int alignment;
    private final String strategy;

    MemoryPlan(Map<Value, Placement> placements, Map<Node, Buffer> scratch, List<Buffer> buffers, List<Node> schedule,
            long arenaBytes, long lowerBoundBytes, int alignment, String strategy) {
        this.placements = placements;
        this.scratch = scratch;
        this.buffers = buffers;
        this.schedule = schedule;
        this.arenaBytes = arenaBytes;
        this.lowerBoundBytes = lowerBoundBytes;
        this.alignment = alignment;
        this.strategy = strategy;
    }

    /** Where {@code v} lives. */
    public Placement placement(Value v) {
        Placement p = placements.get(v);
        if (p == null) throw new IllegalArgumentException("no placement for " + v);
        return p;
    }

    /** The scratch buffer a node's kernel uses, or null. */
    public Buffer scratch(Node n) { return scratch.get(n); }

    /** Every arena buffer (tensors and scratch), in order of their first step. */
    public List<Buffer> buffers() { return Collections.unmodifiableList(buffers); }

    /** The nodes in execution order; a buffer's steps index this list. */
    public List<Node> schedule() { return Collections.unmodifiableList(schedule); }

    /** Bytes of arena the generated code needs. */
    public long arenaBytes() { return arenaBytes; }

    /**
     * The liveness lower bound: the largest sum, over execution steps, of the (aligned) sizes of the tensors
     * live at that step, counting every tensor separately (and a node's regions while it runs, but no kernel's
     * scratch). Any plan that gives each live tensor its own bytes needs at least this much; in-place execution
     * and aliases can go below it, and scratch that finds no dead bytes at its step goes above it.
     */
    public long lowerBoundBytes() { return lowerBoundBytes; }

    /** Alignment of every arena offset. */
    public int alignment() { return alignment; }

    /** Which offset-assignment heuristic produced this plan. */
    public String strategy() { return strategy; }

    /** Whether some output could have taken the buffer of an in-place input of another size (see MemoryPlanner.plan). */
    boolean grew;

    private final Map<dev.kiln.ir.Graph, MemoryPlan> regionPlans = new java.util.IdentityHashMap<>();

    void setRegionPlans(Map<dev.kiln.ir.Graph, MemoryPlan> plans) { regionPlans.putAll(plans); }

    Map<dev.kiln.ir.Graph, MemoryPlan> regionPlansView() { return Collections.unmodifiableMap(regionPlans); }

    /**
     * The plan of region {@code g} (an If branch, a Loop or Scan body of a node of this plan's graph): its
     * offsets are relative to the start of its node's scratch buffer ({@link #scratch}), which holds it only
     * while that node runs. Null for a graph that is not such a region.
     */
    public MemoryPlan regionPlan(dev.kiln.ir.Graph g) { return regionPlans.get(g); }
}
