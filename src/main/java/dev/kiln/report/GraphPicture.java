package dev.kiln.report;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.Map;

/**
 * The graph as SVG from a {@link GraphLayout}: one {@code <g class="node">} per graph node, coloured by its
 * {@link OpKind}, labelled with its op (and what it fused) and output shape, with a tooltip of its name and
 * attributes; graph inputs and outputs as white boxes; edges as curves through the layout's dummy points.
 */
final class GraphPicture {
    private static final double OVERVIEW_W = 1300, OVERVIEW_H = 340;

    private GraphPicture() {}

    /**
     * Writes a miniature of the whole drawing, scaled to the page's width (boxes in their kind's colour, edges as
     * thin lines, no text): the shape of a long graph at a glance, above the full-size drawing. A long drawing is cut
     * into up to eight rows, read like lines of text.
     */
    static void overview(Html h, GraphLayout l) {
        double w = Math.max(l.width, 200), ht = Math.max(l.height, 60);
        // the number of rows that draws the boxes largest in a frame about 1300 by 340 pixels
        double gap = ht * 0.2;
        int rows = 1;
        double best = 0;
        for (int k = 1; k <= 8; k++) {
            double scale = Math.min(OVERVIEW_W / (w / k), OVERVIEW_H / (k * ht + (k - 1) * gap));
            if (scale > best * 1.05) {
                best = scale;
                rows = k;
            }
        }
        double rowW = w / rows, total = rows * ht + (rows - 1) * gap;
        h.raw("<svg class=\"overview\" width=\"100%\"").attr("viewBox", "0 0 " + Html.num(rowW) + " " + Html.num(total))
                .attr("style", "max-height:" + Html.num(Math.min(OVERVIEW_H, total)) + "px").raw(" role=\"img\">").nl();
        h.raw("<title>overview of the whole graph</title>").nl();
        StringBuilder d = new StringBuilder();
        for (GraphLayout.Edge e : l.edges) {
            d.append('M').append(Html.num(e.from().x + GraphLayout.NODE_W)).append(' ').append(Html.num(e.from().cy()));
            for (GraphLayout.Box v : e.via())
                d.append(" L").append(Html.num(v.x)).append(' ').append(Html.num(v.cy())).append(" L").append(Html.num(v.x + GraphLayout.NODE_W))
                        .append(' ').append(Html.num(v.cy()));
            d.append(" L").append(Html.num(e.to().x)).append(' ').append(Html.num(e.to().cy())).append(' ');
        }
        Html one = new Html();
        one.raw("<path class=\"ovedge\"").attr("d", d.toString().trim()).raw("/>").nl();
        for (GraphLayout.Box b : l.boxes) {
            OpKind k = b.node == null ? null : OpKind.of(b.node.op());
            one.raw("<rect class=\"ov\" rx=\"8\"").attr("x", b.x).attr("y", b.y).attr("width", GraphLayout.NODE_W).attr("height", b.h)
                    .attr("fill", k == null ? "#ffffff" : k.fill).attr("stroke", k == null ? "#445" : k.stroke).raw("/>");
        }
        // each row is the whole drawing shifted left; a nested svg of the view box's size cuts away the other rows' parts
        h.raw("<svg x=\"0\" y=\"0\"").attr("width", rowW).attr("height", total).raw(">").nl();
        for (int r = 0; r < rows; r++) {
            double y = r * (ht + gap);
            if (r > 0) h.raw("<line class=\"ovrow\" x1=\"0\"").attr("x2", rowW).attr("y1", y - gap / 2).attr("y2", y - gap / 2).raw("/>").nl();
            h.raw("<g").attr("transform", "translate(" + Html.num(-r * rowW) + " " + Html.num(y) + ")").raw(">").nl().raw(one.toString()).raw("</g>").nl();
        }
        h.raw("</svg>\n</svg>").nl();
    }

    /** Writes the full-size SVG of {@code g} as laid out by {@code l}. */
    static void svg(Html h, Graph g, GraphLayout l) {
        double w = Math.max(l.width, 200), ht = Math.max(l.height, 60);
        h.raw("<svg class=\"graph\"").attr("width", w).attr("height", ht)
                .attr("viewBox", "0 0 " + Html.num(w) + " " + Html.num(ht)).raw(" role=\"img\">").nl();
        h.raw("<title>").text("graph of " + g.name() + ": " + g.nodes().size() + " nodes").raw("</title>").nl();
        for (GraphLayout.Edge e : l.edges) edge(h, e);
        for (GraphLayout.Box b : l.boxes) {
            if (b.node != null) node(h, b);
            else io(h, b);
        }
        h.raw("</svg>").nl();
    }

    private static void edge(Html h, GraphLayout.Edge e) {
        StringBuilder d = new StringBuilder();
        double x = e.from().x + GraphLayout.NODE_W, y = e.from().cy();
        d.append('M').append(Html.num(x)).append(' ').append(Html.num(y));
        for (GraphLayout.Box v : e.via()) {
            curve(d, x, y, v.x, v.cy());
            x = v.x + GraphLayout.NODE_W;
            y = v.cy();
            d.append(" L").append(Html.num(x)).append(' ').append(Html.num(y));
        }
        curve(d, x, y, e.to().x - 3, e.to().cy());
        h.raw("<path class=\"edge\"").attr("d", d.toString()).raw("><title>").text(e.value().name() + "  " + e.value().type())
                .raw("</title></path>").nl();
    }

    private static void curve(StringBuilder d, double x0, double y0, double x1, double y1) {
        double mx = (x0 + x1) / 2;
        d.append(" C").append(Html.num(mx)).append(' ').append(Html.num(y0)).append(' ').append(Html.num(mx)).append(' ')
                .append(Html.num(y1)).append(' ').append(Html.num(x1)).append(' ').append(Html.num(y1));
    }

    private static void node(Html h, GraphLayout.Box b) {
        Node n = b.node;
        OpKind k = OpKind.of(n.op());
        boolean fused = Fusion.fused(n);
        h.raw("<g class=\"node k-" + k.name().toLowerCase(java.util.Locale.ROOT) + (fused ? " fused" : "") + "\"")
                .attr("transform", "translate(" + Html.num(b.x) + " " + Html.num(b.y) + ")").raw(">");
        h.raw("<title>").text(tooltip(n)).raw("</title>");
        h.raw("<rect rx=\"6\"").attr("width", GraphLayout.NODE_W).attr("height", b.h).attr("fill", k.fill).attr("stroke", k.stroke)
                .attr("stroke-width", fused ? 2.6 : 1.2).raw("/>");
        if (fused) h.raw("<rect class=\"fusedmark\" x=\"0\" y=\"4\" width=\"4\"").attr("height", b.h - 8).attr("fill", k.stroke).raw("/>");
        h.raw("<text class=\"op\" x=\"9\" y=\"15\">").text(Html.clip(Fusion.title(n), 24)).raw("</text>");
        h.raw("<text class=\"shape\" x=\"9\" y=\"30\">").text(Html.clip(shape(n.output(0).type()), 26)).raw("</text>");
        String third = Fusion.members(n);
        h.raw("<text class=\"sub\" x=\"9\" y=\"44\">").text(third.isEmpty() ? Html.clipStart(n.name(), 28) : Html.clip(third, 28)).raw("</text>");
        if (OpKind.integer(n.op()))
            h.raw("<text class=\"badge\"").attr("x", GraphLayout.NODE_W - 6).raw(" y=\"13\" text-anchor=\"end\">i8</text>");
        h.raw("</g>").nl();
    }

    private static void io(Html h, GraphLayout.Box b) {
        Value v = b.io;
        h.raw("<g class=\"io\"").attr("transform", "translate(" + Html.num(b.x) + " " + Html.num(b.y) + ")").raw(">");
        h.raw("<title>").text((b.input ? "graph input " : "graph output ") + v.name() + "\n" + v.type()).raw("</title>");
        h.raw("<rect rx=\"16\"").attr("width", GraphLayout.NODE_W).attr("height", b.h).raw("/>");
        h.raw("<text class=\"op\" x=\"12\" y=\"14\">").text((b.input ? "input " : "output ") + Html.clipStart(v.name(), 17)).raw("</text>");
        h.raw("<text class=\"shape\" x=\"12\" y=\"27\">").text(Html.clip(shape(v.type()), 26)).raw("</text>");
        h.raw("</g>").nl();
    }

    /** {@code i8 1×16×32×32}. */
    static String shape(TensorType t) {
        Shape s = t.shape();
        StringBuilder b = new StringBuilder(t.dtype().shortName()).append(' ');
        for (int i = 0; i < s.rank(); i++) b.append(i == 0 ? "" : "\u00d7").append(s.dim(i));
        if (s.rank() == 0) b.append("scalar");
        return b.toString();
    }

    private static String tooltip(Node n) {
        StringBuilder s = new StringBuilder(n.name()).append('\n').append(Fusion.title(n));
        String m = Fusion.members(n);
        if (!m.isEmpty()) s.append("\nmembers: ").append(m);
        s.append("\nout: ").append(n.output(0).type());
        long weights = 0;
        for (Value v : n.inputs()) if (v != null && v.isConstant()) weights += v.shape().numel();
        if (weights > 0) s.append("\nweights: ").append(Html.group(weights));
        long macs = n.op().macs(n);
        if (macs > 0) s.append("\nMACs: ").append(Html.group(macs));
        for (Map.Entry<String, Object> e : n.attrs().asMap().entrySet())
            s.append('\n').append(e.getKey()).append(" = ").append(Html.clip(dev.kiln.ir.Attrs.valueToString(e.getValue()), 80));
        return s.toString();
    }
}
