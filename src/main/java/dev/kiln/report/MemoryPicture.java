package dev.kiln.report;

import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.memory.MemoryPlan;
import java.util.List;

/**
 * The memory plan as a picture: x is the execution step, y the arena offset (0 at the bottom); each arena buffer
 * is a rectangle from the step that first writes it to the step that last reads it, as tall as its bytes, in the
 * colour of the op that produces it. Lines mark the arena size and the liveness lower bound; the steps where the
 * most bytes are live are shaded, which is where the arena's size comes from.
 */
final class MemoryPicture {
    static final double LEFT = 78, TOP = 28, PLOT_H = 300, STRIP_H = 10;

    private final MemoryPlan plan;
    private final int steps;
    private final long[] live;
    private final long peak;

    MemoryPicture(MemoryPlan plan) {
        this.plan = plan;
        this.steps = plan.schedule().size() + 1; // why: the planner's extra last step copies values into the outputs
        this.live = new long[steps];
        for (MemoryPlan.Buffer b : plan.buffers())
            for (int s = Math.max(0, b.firstStep()); s <= Math.min(steps - 1, b.lastStep()); s++) live[s] += b.bytes();
        long p = 0;
        for (long v : live) p = Math.max(p, v);
        this.peak = p;
    }

    /** The largest number of buffer bytes live at one step. */
    long peakBytes() { return peak; }

    /** The steps at which {@link #peakBytes} are live. */
    List<Integer> peakSteps() {
        java.util.ArrayList<Integer> r = new java.util.ArrayList<>();
        for (int s = 0; s < steps; s++) if (peak > 0 && live[s] == peak) r.add(s);
        return r;
    }

    /** Writes the SVG. */
    void svg(Html h) {
        double plotW = Math.max(1150, steps * 6.0);
        double sx = plotW / steps;
        long top = Math.max(1, Math.max(plan.arenaBytes(), plan.lowerBoundBytes()));
        double scale = PLOT_H / (top * 1.08);
        double width = LEFT + plotW + 20, height = TOP + PLOT_H + STRIP_H + 44;
        h.raw("<svg class=\"mem\"").attr("width", width).attr("height", height)
                .attr("viewBox", "0 0 " + Html.num(width) + " " + Html.num(height)).raw(" role=\"img\">").nl();
        h.raw("<title>").text("memory plan: " + plan.buffers().size() + " arena buffers, arena " + Html.group(plan.arenaBytes()) + " bytes")
                .raw("</title>").nl();
        double base = TOP + PLOT_H;
        // y axis: five ticks up to the arena size
        for (int i = 0; i <= 4; i++) {
            long v = plan.arenaBytes() * i / 4;
            double y = base - v * scale;
            h.raw("<line class=\"grid\"").attr("x1", LEFT).attr("x2", LEFT + plotW).attr("y1", y).attr("y2", y).raw("/>");
            h.raw("<text class=\"tick\" text-anchor=\"end\"").attr("x", LEFT - 6).attr("y", y + 4).raw(">").text(Html.bytes(v)).raw("</text>").nl();
        }
        for (MemoryPlan.Buffer b : plan.buffers()) {
            double x = LEFT + b.firstStep() * sx, w = (b.lastStep() - b.firstStep() + 1) * sx;
            double hh = Math.max(1, b.bytes() * scale), y = base - (b.offset() + b.bytes()) * scale;
            String[] c = PALETTE[b.id() % PALETTE.length];
            h.raw("<rect class=\"buf").raw(b.isScratch() ? " scratch" : "").raw("\"").attr("x", x).attr("y", y).attr("width", w)
                    .attr("height", hh).attr("fill", b.isScratch() ? "#e4e4e4" : c[0]).attr("stroke", b.isScratch() ? "#888" : c[1])
                    .attr("data-offset", Long.toString(b.offset())).attr("data-bytes", Long.toString(b.bytes()))
                    .attr("data-first", Integer.toString(b.firstStep())).attr("data-last", Integer.toString(b.lastStep()))
                    .raw("><title>").text(describe(b)).raw("</title></rect>").nl();
            int room = (int) ((w - 8) / 6.0);
            String label = Html.clipStart(label(b), room);
            if (hh >= 13 && room >= 6)
                h.raw("<text class=\"buflabel\"").attr("x", x + 4).attr("y", y + Math.min(hh / 2 + 4, 14)).raw(">").text(label).raw("</text>").nl();
        }
        // peak steps over the buffers (translucent), so the tensors live there show through; neighbours form one band
        List<Integer> ps = peakSteps();
        for (int i = 0; i < ps.size(); ) {
            int j = i;
            while (j + 1 < ps.size() && ps.get(j + 1) == ps.get(j) + 1) j++;
            h.raw("<rect class=\"peak\"").attr("x", LEFT + ps.get(i) * sx).attr("y", TOP - 14).attr("width", Math.max((j - i + 1) * sx, 2))
                    .attr("height", PLOT_H + 14).raw("/>").nl();
            i = j + 1;
        }
        List<Integer> peaks = peakSteps();
        if (!peaks.isEmpty())
            h.raw("<text class=\"peaklabel\"").attr("x", LEFT + (peaks.get(0) + 0.5) * sx).attr("y", TOP - 4)
                    .raw(" text-anchor=\"middle\">peak</text>").nl();
        // both labels at the left (always in view): the higher line's above it, the lower one's below it; one label when equal
        double ya = base - plan.arenaBytes() * scale, yb = base - plan.lowerBoundBytes() * scale;
        boolean equal = plan.arenaBytes() == plan.lowerBoundBytes(), arenaHigher = plan.arenaBytes() >= plan.lowerBoundBytes();
        line(h, "bound", yb, plotW, equal ? "" : "liveness lower bound " + Html.group(plan.lowerBoundBytes()) + " B", !arenaHigher);
        line(h, "arena", ya, plotW, "arena " + Html.group(plan.arenaBytes()) + " B" + (equal ? " = liveness lower bound" : ""), arenaHigher);
        // the op of each step, as a coloured strip under the plot
        List<Node> schedule = plan.schedule();
        for (int s = 0; s < schedule.size(); s++) {
            Node n = schedule.get(s);
            OpKind k = OpKind.of(n.op());
            h.raw("<rect class=\"step\"").attr("x", LEFT + s * sx).attr("y", base + 4).attr("width", sx).attr("height", STRIP_H)
                    .attr("fill", k.stroke).raw("><title>").text("step " + s + ": " + Fusion.title(n) + " " + n.name()).raw("</title></rect>");
        }
        h.nl();
        int every = niceStep(steps);
        for (int s = 0; s < steps; s += every)
            h.raw("<text class=\"tick\" text-anchor=\"middle\"").attr("x", LEFT + (s + 0.5) * sx).attr("y", base + STRIP_H + 18).raw(">")
                    .text(Integer.toString(s)).raw("</text>");
        h.raw("<text class=\"axis\"").attr("x", LEFT + plotW / 2).attr("y", base + STRIP_H + 36)
                .raw(" text-anchor=\"middle\">execution step (last: copy to outputs)</text>");
        h.raw("<text class=\"axis\"").attr("x", 14).attr("y", TOP + PLOT_H / 2)
                .attr("transform", "rotate(-90 14 " + Html.num(TOP + PLOT_H / 2) + ")").raw(" text-anchor=\"middle\">arena offset</text>").nl();
        h.raw("</svg>").nl();
    }

    private static void line(Html h, String cls, double y, double plotW, String label, boolean above) {
        h.raw("<line class=\"" + cls + "\"").attr("x1", LEFT).attr("x2", LEFT + plotW).attr("y1", y).attr("y2", y).raw("/>");
        if (label.isEmpty()) return;
        h.raw("<text class=\"" + cls + "label\"").attr("x", LEFT + 6).attr("y", above ? y - 5 : y + 13).raw(">").text(label).raw("</text>").nl();
    }

    private static int niceStep(int steps) {
        for (int e : new int[] {1, 2, 5, 10, 20, 25, 50, 100, 200, 500}) if (steps / e <= 40) return e;
        return 1000;
    }

    /** Fill and border colours, cycled by buffer id so that neighbouring tensors differ. */
    private static final String[][] PALETTE = {
        {"#a6cee3", "#1f78b4"}, {"#b2df8a", "#33a02c"}, {"#fdbf6f", "#e07b00"}, {"#cab2d6", "#6a3d9a"},
        {"#fb9a99", "#e31a1c"}, {"#ffed8f", "#b59a00"}, {"#8dd3c7", "#1b9e77"}, {"#f4cae4", "#c2188b"},
        {"#d9d9a0", "#7f7f20"}, {"#bcd5f5", "#3d6fc2"},
    };

    private static String label(MemoryPlan.Buffer b) {
        if (b.isScratch()) return "scratch";
        if (b.values().isEmpty()) return "#" + b.id();
        String first = b.values().get(0).name();
        return b.values().size() > 1 ? first + " +" + (b.values().size() - 1) : first;
    }

    private static String describe(MemoryPlan.Buffer b) {
        StringBuilder s = new StringBuilder();
        if (b.isScratch()) s.append("scratch of ").append(b.scratchOf().op().name()).append(' ').append(b.scratchOf().name());
        else for (int i = 0; i < b.values().size(); i++) {
            Value v = b.values().get(i);
            s.append(i == 0 ? "" : "\n").append(v.name()).append("  ").append(v.type());
            if (v.producer() != null) s.append("  (").append(v.producer().op().name()).append(')');
        }
        s.append("\noffset ").append(Html.group(b.offset())).append(", ").append(Html.group(b.bytes())).append(" bytes, steps ")
                .append(b.firstStep()).append("..").append(b.lastStep());
        return s.toString();
    }
}
