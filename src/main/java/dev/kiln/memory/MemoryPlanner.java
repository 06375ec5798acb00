package dev.kiln.memory;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.memory.MemoryPlan.Buffer;
import dev.kiln.memory.MemoryPlan.Kind;
import dev.kiln.memory.MemoryPlan.Placement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plans the arena of a scheduled graph: liveness per tensor, aliases and in-place execution merged into
 * shared buffers, then offsets by two greedy heuristics (largest buffer first; execution order, best fit),
 * keeping the smaller arena.
 */
public final class MemoryPlanner {
    private final int alignment;
    private final PlacementRules rules;
    private final Map<Value, Boolean> graphOutputs = new IdentityHashMap<>();
    private final java.util.Set<String> copiedOutputs = new java.util.HashSet<>();

    /** A planner aligning every offset to {@code alignment} bytes. */
    public MemoryPlanner(int alignment, PlacementRules rules) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) throw new IllegalArgumentException("alignment " + alignment);
        this.alignment = alignment;
        this.rules = rules;
    }

    /**
     * Plans the graph outputs named here in the arena and copies them into the caller's buffer after the last node,
     * never writing them earlier: the caller may then pass one buffer as a state input and its state output.
     */
    public MemoryPlanner copyingOutputs(java.util.Collection<String> names) {
        copiedOutputs.addAll(names);
        return this;
    }

    /** A group of values sharing bytes, with its live range. */
    private static final class Group {
        final List<Value> values = new ArrayList<>();
        /** Each value's byte offset inside the group (0 unless an output grew the group over its input's bytes). */
        final Map<Value, Long> inner = new IdentityHashMap<>();
        long bytes;
        int first;
        int last;
        Node scratchOf;
    }

    /**
     * Plans {@code g}, whose nodes are in execution order. Where an output could take an in-place input's buffer
     * though their sizes differ (a smaller output, or a larger one over an input at its tail, {@link
     * PlacementRules#inPlaceAtTail}), the plan is made for each choice of {@link Sizes} and the smallest arena kept:
     * a smaller output keeps its input's larger buffer live as long as it is, and a grown buffer holds its larger
     * size from its first value on, so either can cost more than it saves.
     */
    public synchronized MemoryPlan plan(Graph g) {
        MemoryPlan best = plan(g, Sizes.SAME);
        if (!best.grew) return best;
        for (Sizes sizes : new Sizes[] {Sizes.SHORT, Sizes.ANY}) {
            MemoryPlan p = plan(g, sizes);
            if (p.arenaBytes() < best.arenaBytes()) best = p;
        }
        return best;
    }

    /**
     * Which in-place outputs of another size than their input a plan takes: none; smaller ones that die at the next
     * step (the input's larger buffer is then soon free) and larger ones; all.
     */
    private enum Sizes { SAME, SHORT, ANY }

    private MemoryPlan plan(Graph g, Sizes sizes) {
        // regions first (this planner is reused for them): a node's regions live in its scratch while it runs
        Map<Graph, MemoryPlan> regionPlans = new IdentityHashMap<>();
        Map<Node, Long> regionBytes = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            long most = 0;
            for (Graph r : n.regions()) {
                MemoryPlan rp = plan(r);
                regionPlans.put(r, rp);
                most = Math.max(most, rp.arenaBytes());
            }
            // why: only one region of a node runs at a time (one If branch, one body step), so they share the space
            if (most > 0) regionBytes.put(n, most);
        }
        boolean couldGrow = false;
        List<Node> schedule = g.nodes();
        int end = schedule.size(); // why: values copied to outputs at the end stay live through this extra step
        Map<Node, Integer> step = new IdentityHashMap<>();
        for (int i = 0; i < schedule.size(); i++) step.put(schedule.get(i), i);

        Map<Value, Placement> placement = new IdentityHashMap<>();
        Map<Value, Group> groupOf = new IdentityHashMap<>();
        List<Group> groups = new ArrayList<>();
        for (int i = 0; i < g.inputs().size(); i++) placement.put(g.inputs().get(i), new Placement(Kind.INPUT, i, 0, null));
        for (Value c : g.constants()) placement.put(c, new Placement(Kind.CONSTANT, -1, 0, null));
        Map<Value, Integer> outputIndex = new IdentityHashMap<>();
        graphOutputs.clear();
        for (Value o : g.outputs()) graphOutputs.put(o, true);
        for (int i = 0; i < g.outputs().size(); i++) {
            Value o = g.outputs().get(i);
            // why: an output that is an input or a constant, or a second listing of one value, is copied at the end;
            // so is a state output, which the caller's buffer shares with its state input (copyingOutputs)
            if (o.producer() != null && !outputIndex.containsKey(o) && !copiedOutputs.contains(o.name())) outputIndex.put(o, i);
        }

        long lowerBound = lowerBound(g, schedule, step, outputIndex, end, regionBytes);
        Map<Value, Slot> slots = slots(schedule, outputIndex);
        Map<Value, Group> joinGroups = new IdentityHashMap<>();

        for (Node n : schedule) {
            int s = step.get(n);
            for (int oi = 0; oi < n.outputs().size(); oi++) {
                Value out = n.outputs().get(oi);
                if (out == null) continue;
                Integer oIdx = outputIndex.get(out);
                if (oIdx != null) {
                    placement.put(out, new Placement(Kind.OUTPUT, oIdx, 0, null));
                    continue;
                }
                Group grp = null;
                long at = 0;
                Slot slot = slots.get(out);
                long[] view = n.hasRegions() ? null : rules.viewAt(n);
                Group viewed = view != null && oi < view.length && view[oi] >= 0 && view[oi] % alignment == 0
                        && n.input(0) != null ? groupOf.get(n.input(0)) : null;
                if (slot == null && viewed != null && viewed.scratchOf == null) {
                    // why: a split or slice of one contiguous run is its input's bytes; the group keeps them live
                    // as long as any view is read, so nothing overwrites the input while a view still needs it
                    grp = viewed;
                    at = viewed.inner.get(n.input(0)) + view[oi];
                } else if (slot != null) {
                    // why: a joined input is written straight into its slice of the join's output, whose buffer
                    // starts with the first such input
                    grp = joinGroups.get(slot.joined);
                    if (grp == null) {
                        grp = new Group();
                        grp.bytes = align(slot.joined.type().byteSize());
                        grp.first = s;
                        groups.add(grp);
                        joinGroups.put(slot.joined, grp);
                    }
                    at = slot.at;
                } else if (oi == 0 && joinGroups.containsKey(out)) {
                    grp = joinGroups.get(out);
                } else if (oi == 0 && rules.isAlias(n) && n.input(0) != null) {
                    grp = groupOf.get(n.input(0));
                    if (grp == null) { // why: an alias of caller or constant memory needs no arena bytes
                        placement.put(out, placement.get(n.input(0)));
                        continue;
                    }
                    at = grp.inner.get(n.input(0));
                } else if (oi == 0) {
                    int ip = rules.inPlaceInput(n);
                    if (ip >= 0) {
                        Value in = n.input(ip);
                        Group cand = in == null ? null : groupOf.get(in);
                        long outBytes = out.type().byteSize();
                        // why: overwriting is safe only when nothing reads the buffer after this node
                        if (cand != null && cand.scratchOf == null && lastUse(cand, step, outputIndex, end) <= s) {
                            long inAt = cand.inner.get(in), inBytes = in.type().byteSize();
                            boolean fits = cand.bytes - inAt >= align(outBytes), same = align(outBytes) == align(inBytes);
                            // why: an output of another size than its input is one choice of two (see plan)
                            if (fits && !same) couldGrow = true;
                            boolean shortLived = !graphOutputs.containsKey(out) && lastUse(out, step) <= s + 1;
                            if (fits && (same || sizes == Sizes.ANY || sizes == Sizes.SHORT && shortLived)) {
                                grp = cand;
                                at = inAt;
                            } else if (!fits && rules.inPlaceAtTail(n) && (outBytes - inBytes) % alignment == 0) {
                                // why: the kernel may write a larger output ending where its input ends; the group
                                // grows in front of its values, which keep their bytes
                                couldGrow = true;
                                long front = Math.max(0, outBytes - inBytes - inAt);
                                if (sizes != Sizes.SAME) {
                                    for (Map.Entry<Value, Long> e : cand.inner.entrySet()) e.setValue(e.getValue() + front);
                                    cand.bytes += front;
                                    grp = cand;
                                    at = inAt + front + inBytes - outBytes;
                                }
                            }
                        }
                    }
                }
                if (grp == null) {
                    grp = new Group();
                    grp.bytes = align(out.type().byteSize());
                    grp.first = s;
                    groups.add(grp);
                }
                grp.values.add(out);
                grp.inner.put(out, at);
                groupOf.put(out, grp);
            }
            long sb = scratchBytes(n, regionBytes);
            if (sb > 0) {
                Group sg = new Group();
                sg.bytes = align(sb);
                sg.first = s;
                sg.last = s;
                sg.scratchOf = n;
                groups.add(sg);
            }
        }
        for (Group grp : groups) if (grp.scratchOf == null) grp.last = Math.max(grp.first, lastUse(grp, step, outputIndex, end));

        long[] bySize = assign(groups, Comparator.comparingLong((Group x) -> -x.bytes).thenComparingInt(x -> x.first));
        long[] byOrder = assign(groups, Comparator.comparingInt((Group x) -> x.first).thenComparingLong(x -> -x.bytes));
        long sizeA = arenaSize(groups, bySize), sizeB = arenaSize(groups, byOrder);
        long[] offsets = sizeA <= sizeB ? bySize : byOrder;
        String strategy = sizeA <= sizeB ? "greedy-by-size" : "greedy-by-order";
        long best = Math.min(sizeA, sizeB);
        // why: ties among equal-sized buffers decide where later small ones fit; when greedy misses the lower bound,
        // a few seeded reorderings of the ties often reach it (deterministic: same graph, same plan)
        java.util.Random rnd = new java.util.Random(42);
        for (int trial = 0; trial < RETRIES && best > lowerBound; trial++) {
            long[] tie = new long[groups.size()];
            for (int i = 0; i < tie.length; i++) tie[i] = rnd.nextLong();
            Map<Group, Long> key = new IdentityHashMap<>();
            for (int i = 0; i < tie.length; i++) key.put(groups.get(i), tie[i]);
            long[] off = assign(groups, Comparator.comparingLong((Group x) -> -x.bytes).thenComparingLong(key::get));
            long size = arenaSize(groups, off);
            if (size < best) {
                best = size;
                offsets = off;
                strategy = "greedy-by-size, reordered ties";
            }
        }

        List<Buffer> buffers = new ArrayList<>();
        Map<Node, Buffer> scratch = new LinkedHashMap<>();
        Map<Group, Buffer> bufferOf = new HashMap<>();
        for (int i = 0; i < groups.size(); i++) {
            Group grp = groups.get(i);
            Buffer b = new Buffer(i, grp.bytes, offsets[i], grp.first, grp.last, List.copyOf(grp.values), grp.scratchOf);
            buffers.add(b);
            bufferOf.put(grp, b);
            if (grp.scratchOf != null) scratch.put(grp.scratchOf, b);
        }
        for (Map.Entry<Value, Group> e : groupOf.entrySet()) {
            Buffer b = bufferOf.get(e.getValue());
            placement.put(e.getKey(), new Placement(Kind.ARENA, -1, b.offset() + e.getValue().inner.get(e.getKey()), b));
        }
        MemoryPlan plan = new MemoryPlan(placement, scratch, buffers, schedule, Math.max(best, 0), lowerBound,
                alignment, strategy);
        plan.grew = couldGrow;
        plan.setRegionPlans(regionPlans);
        for (MemoryPlan rp : regionPlans.values()) plan.setRegionPlans(rp.regionPlansView());
        return plan;
    }

    /** Where a joined input lies: in the buffer of the join's output {@code joined}, {@code at} bytes in. */
    private record Slot(Value joined, long at) {}

    /**
     * The inputs of joins ({@link PlacementRules#joinedAt}) the plan places inside the join's output. Each is made
     * by a node of this graph for the join alone to place (not a graph output, not an alias of another buffer, not
     * listed twice), at an aligned offset, and the join's output lives in the arena. An input that is itself a join's
     * output places that join's inputs too, in the outermost join's buffer.
     */
    private Map<Value, Slot> slots(List<Node> schedule, Map<Value, Integer> outputIndex) {
        Map<Value, Slot> slots = new IdentityHashMap<>();
        for (Node n : schedule) {
            long[] at = rules.joinedAt(n);
            Value joined = n.output(0);
            // why: an output in the caller's buffer has no arena bytes to place the inputs in
            if (at == null || joined == null || outputIndex.containsKey(joined) || graphOutputs.containsKey(joined)) continue;
            for (int i = 0; i < n.numInputs() && i < at.length; i++) {
                Value v = n.input(i);
                if (at[i] < 0 || at[i] % alignment != 0 || v == null || slots.containsKey(v) || graphOutputs.containsKey(v)) continue;
                Node p = v.producer();
                // why: inputs and constants are not written by a node; an alias has its bytes elsewhere
                if (p == null || p.hasRegions() || rules.isAlias(p) && v == p.output(0)) continue;
                int uses = 0;
                for (int j = 0; j < n.numInputs(); j++) if (n.input(j) == v) uses++;
                if (uses == 1) slots.put(v, new Slot(joined, at[i]));
            }
        }
        // why: a join placed in an outer join (a concat of a concat) takes its own inputs along: each slot moves to
        // the outermost join's buffer, at the inner join's offset plus its own
        for (Map.Entry<Value, Slot> e : slots.entrySet()) {
            Slot s = e.getValue();
            for (Slot outer = slots.get(s.joined); outer != null; outer = slots.get(s.joined))
                s = new Slot(outer.joined, outer.at + s.at);
            e.setValue(s);
        }
        return slots;
    }

    /**
     * The kernel's own scratch plus the space of its regions (which follow the kernel's scratch). A looping node's
     * kernel stages its region's inputs and outputs in its own scratch (ControlKernels), so the next step's inputs
     * are not overwritten while the region writes new values.
     */
    private long scratchBytes(Node n, Map<Node, Long> regionBytes) {
        long own = rules.scratchBytes(n);
        Long r = regionBytes.get(n);
        return r == null ? own : (own > 0 ? align(own) : 0) + r;
    }

    /** How many reorderings of equal-sized buffers to try when greedy placement misses the lower bound. */
    private static final int RETRIES = 32;

    private long align(long bytes) {
        return (Math.max(bytes, 1) + alignment - 1) / alignment * alignment;
    }

    private static int lastUse(Value v, Map<Node, Integer> step) {
        int last = -1;
        for (Node u : v.users()) last = Math.max(last, step.get(u));
        return last;
    }

    private int lastUse(Group grp, Map<Node, Integer> step, Map<Value, Integer> outputIndex, int end) {
        int last = grp.first;
        for (Value v : grp.values) {
            last = Math.max(last, lastUse(v, step));
            if (isCopiedOut(v, outputIndex)) last = end;
        }
        return last;
    }

    /** Graph outputs that are not written in place by their producer are copied into the output at the end. */
    private boolean isCopiedOut(Value v, Map<Value, Integer> outputIndex) {
        return graphOutputs.containsKey(v) && !outputIndex.containsKey(v);
    }

    private long lowerBound(Graph g, List<Node> schedule, Map<Node, Integer> step, Map<Value, Integer> outputIndex, int end,
            Map<Node, Long> regionBytes) {
        long[] live = new long[end + 1];
        for (Node n : schedule) {
            int s = step.get(n);
            for (Value out : n.outputs()) {
                if (out == null || outputIndex.containsKey(out)) continue;
                if (rules.isAlias(n) && out == n.output(0) && n.input(0) != null && n.input(0).producer() == null) continue;
                int last = Math.max(s, lastUse(out, step));
                if (isCopiedOut(out, outputIndex)) last = end;
                for (int t = s; t <= last; t++) live[t] += align(out.type().byteSize());
            }
            // why: a kernel's scratch is not a tensor (a region's tensors are); the bound says what the tensors alone
            // need: scratch goes where no tensor is live, and an arena above the bound shows what scratch costs
            Long r = regionBytes.get(n);
            if (r != null) live[s] += r;
        }
        long max = 0;
        for (long l : live) max = Math.max(max, l);
        return max;
    }

    /** Assigns offsets in the given order, each buffer at the lowest offset free during its whole live range. */
    private long[] assign(List<Group> groups, Comparator<Group> order) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) idx.add(i);
        idx.sort((a, b) -> order.compare(groups.get(a), groups.get(b)));
        long[] off = new long[groups.size()];
        List<Integer> placed = new ArrayList<>();
        for (int i : idx) {
            Group grp = groups.get(i);
            List<long[]> busy = new ArrayList<>();
            for (int j : placed) {
                Group o = groups.get(j);
                if (o.first <= grp.last && grp.first <= o.last) busy.add(new long[] {off[j], off[j] + o.bytes});
            }
            busy.sort(Comparator.comparingLong(x -> x[0]));
            // best fit: the smallest gap that holds the buffer, else the end
            long best = -1, bestGap = Long.MAX_VALUE, cursor = 0;
            for (long[] b : busy) {
                if (b[0] > cursor) {
                    long gap = b[0] - cursor;
                    if (gap >= grp.bytes && gap < bestGap) {
                        best = cursor;
                        bestGap = gap;
                    }
                }
                cursor = Math.max(cursor, b[1]);
            }
            off[i] = best >= 0 ? best : cursor;
            placed.add(i);
        }
        return off;
    }

    private static long arenaSize(List<Group> groups, long[] off) {
        long size = 0;
        for (int i = 0; i < groups.size(); i++) size = Math.max(size, off[i] + groups.get(i).bytes);
        return size;
    }
}
