package dev.kiln.backend;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.memory.MemoryPlan;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Totals and per-layer numbers of a compiled model, for {@code kiln inspect} and the compile summary. */
public final class ModelStats {
    /**
     * One node's line in the per-layer table. A node inside a region (an If branch, a Loop or Scan body) follows its
     * control node's line with {@code depth} 1 or more and {@code region} naming the region ({@code then_branch});
     * its MACs are those of one run of the region, its {@code index} its place in the region, and its arena values
     * are placed in the control node's scratch ({@code storage} "scratch", offset from the region's arena).
     */
    public record Layer(int index, String op, String name, String inputs, String output, long macs, long params,
            String storage, long offset, long bytes, Node node, int depth, String region) {}

    public final long arenaBytes, lowerBoundBytes, weightsBytes, macs, params;
    /** Code bytes from the target's size tool, or -1 when it is not installed. */
    public long codeBytes = -1;
    /** Why {@link #codeBytes} is unknown, as the compile summary says it. */
    public String codeUnknown = "code size not measured for this backend";
    /** Op name to count. */
    public final Map<String, Integer> nodes = new TreeMap<>();
    public final List<Layer> layers = new ArrayList<>();

    /** Statistics of generated code. */
    public ModelStats(GeneratedCode code) {
        Graph g = code.graph();
        MemoryPlan plan = code.plan();
        long m = 0, p = 0;
        Map<Value, Boolean> counted = new IdentityHashMap<>();
        List<Node> schedule = g.nodes();
        for (int i = 0; i < schedule.size(); i++) {
            Node n = schedule.get(i);
            nodes.merge(n.op().name(), 1, Integer::sum);
            long lm = n.op().macs(n);
            m += lm;
            p += addLayer(i, n, lm, plan, counted, 0, null);
        }
        macs = m;
        params = p;
        arenaBytes = plan.arenaBytes();
        lowerBoundBytes = plan.lowerBoundBytes();
        weightsBytes = code.weightsBytes();
    }

    /** Adds node {@code n}'s line and its regions' lines (depth first); returns the parameters it counts first. */
    private long addLayer(int i, Node n, long lm, MemoryPlan plan, Map<Value, Boolean> counted, int depth, String region) {
        long lp = 0, first = 0;
        StringBuilder ins = new StringBuilder();
        for (Value v : n.inputs()) {
            if (v == null) continue;
            if (ins.length() > 0) ins.append(", ");
            ins.append(v.shape());
            if (v.isConstant()) {
                lp += v.shape().numel();
                if (counted.put(v, true) == null) first += v.shape().numel();
            }
        }
        Value out = n.output(0);
        MemoryPlan.Placement pl = plan.placement(out);
        boolean arena = pl.kind() == MemoryPlan.Kind.ARENA;
        String storage = depth > 0 && arena ? "scratch" : pl.kind().name().toLowerCase(java.util.Locale.ROOT);
        layers.add(new Layer(i, n.op().name(), n.name(), ins.toString(), out.type().toString(), lm, lp, storage,
                arena ? pl.offset() : -1, out.type().byteSize(), n, depth, region));
        for (Map.Entry<String, Object> e : n.attrs().asMap().entrySet()) {
            if (!(e.getValue() instanceof Graph r)) continue;
            MemoryPlan rp = plan.regionPlan(r);
            if (rp == null) continue;
            List<Node> body = r.nodes();
            for (int j = 0; j < body.size(); j++) first += addLayer(j, body.get(j), body.get(j).op().macs(body.get(j)), rp, counted, depth + 1, e.getKey());
        }
        return first;
    }

    /** The machine-readable form ({@code kiln inspect --json}). */
    public String json(String model, String target) {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"model\": ").append(quote(model)).append(",\n");
        b.append("  \"target\": ").append(quote(target)).append(",\n");
        b.append("  \"arena_bytes\": ").append(arenaBytes).append(",\n");
        b.append("  \"arena_lower_bound_bytes\": ").append(lowerBoundBytes).append(",\n");
        b.append("  \"weights_bytes\": ").append(weightsBytes).append(",\n");
        b.append("  \"code_bytes\": ").append(codeBytes < 0 ? "null" : Long.toString(codeBytes)).append(",\n");
        b.append("  \"macs\": ").append(macs).append(",\n");
        b.append("  \"params\": ").append(params).append(",\n");
        b.append("  \"nodes\": {");
        int i = 0;
        for (Map.Entry<String, Integer> e : nodes.entrySet())
            b.append(i++ == 0 ? "" : ", ").append(quote(e.getKey())).append(": ").append(e.getValue());
        b.append("},\n  \"layers\": [\n");
        for (int k = 0; k < layers.size(); k++) {
            Layer l = layers.get(k);
            b.append("    {\"index\": ").append(l.index()).append(", \"op\": ").append(quote(l.op())).append(", \"name\": ")
                    .append(quote(l.name())).append(", \"inputs\": ").append(quote(l.inputs())).append(", \"output\": ")
                    .append(quote(l.output())).append(", \"macs\": ").append(l.macs()).append(", \"params\": ").append(l.params())
                    .append(", \"storage\": ").append(quote(l.storage())).append(", \"offset\": ").append(l.offset())
                    .append(", \"bytes\": ").append(l.bytes())
                    .append(l.depth() > 0 ? ", \"depth\": " + l.depth() + ", \"region\": " + quote(l.region()) : "").append("}").append(k + 1 < layers.size() ? "," : "").append("\n");
        }
        b.append("  ]\n}\n");
        return b.toString();
    }

    /** A JSON string literal. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
