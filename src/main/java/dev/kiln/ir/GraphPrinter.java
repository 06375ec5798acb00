package dev.kiln.ir;

/**
 * Prints a graph as compact text: one line per input, constant and node; a node's regions (If branches, Loop
 * and Scan bodies) follow it, indented. For debugging and tests.
 */
public final class GraphPrinter {
    private GraphPrinter() {}

    /** The whole graph as text. */
    public static String print(Graph g) {
        StringBuilder b = new StringBuilder();
        print(g, "", b);
        return b.toString();
    }

    private static void print(Graph g, String indent, StringBuilder b) {
        b.append(indent).append("graph ").append(g.name()).append(" {\n");
        String in = indent + "  ";
        for (Value v : g.inputs()) b.append(in).append("input ").append(v).append('\n');
        for (Value v : g.constants()) b.append(in).append("const ").append(v).append('\n');
        for (Node n : g.nodes()) {
            b.append(in);
            for (int i = 0; i < n.outputs().size(); i++) b.append(i == 0 ? "" : ", ").append(n.output(i));
            b.append(" = ").append(n.op().name()).append('(');
            for (int i = 0; i < n.numInputs(); i++) {
                Value v = n.input(i);
                b.append(i == 0 ? "" : ", ").append(v == null ? "_" : "%" + v.name());
            }
            b.append(')');
            if (!n.attrs().isEmpty()) b.append(' ').append(n.attrs());
            b.append("  # ").append(n.name()).append('\n');
            for (Graph r : n.regions()) print(r, in + "  ", b);
        }
        b.append(in).append("return");
        for (int i = 0; i < g.outputs().size(); i++) b.append(i == 0 ? " " : ", ").append('%').append(g.outputs().get(i).name());
        b.append('\n').append(indent).append("}\n");
    }
}
