package dev.kiln.report;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A layered drawing of a graph, left to right: graph inputs, nodes and graph outputs are boxes; each box's layer
 * is the longest path from an input (so every edge points right); edges spanning several layers pass through
 * invisible dummy boxes; a few barycenter sweeps order each layer to reduce crossings (the best order seen is
 * kept); then each box is placed as near as the boxes above it allow to the mean height of its neighbours.
 * Weights (constant inputs) are not drawn. Everything is computed from lists, so the same graph gives the same
 * drawing.
 */
final class GraphLayout {
    /** Width of a node box. */
    static final double NODE_W = 164, NODE_H = 52, IO_H = 34, DUMMY_H = 8, GAP_X = 46, GAP_Y = 16, MARGIN = 16;

    /** A box: a node, a graph input or output, or a dummy point of a long edge. */
    static final class Box {
        final Node node;
        final Value io;
        final boolean input, dummy;
        int layer, pos;
        double x, y, h;
        final List<Box> up = new ArrayList<>(), down = new ArrayList<>();

        Box(Node node, Value io, boolean input, boolean dummy) {
            this.node = node;
            this.io = io;
            this.input = input;
            this.dummy = dummy;
            this.h = dummy ? DUMMY_H : node != null ? NODE_H : IO_H;
        }

        /** The vertical centre. */
        double cy() { return y + h / 2; }
    }

    /** An edge from a box to a box through dummies, carrying a value. */
    record Edge(Box from, Box to, List<Box> via, Value value) {}

    final List<Box> boxes = new ArrayList<>();
    final List<Edge> edges = new ArrayList<>();
    final List<List<Box>> layers = new ArrayList<>();
    double width, height;

    /** Lays out {@code g} (whose nodes are in topological order). */
    static GraphLayout of(Graph g) {
        GraphLayout l = new GraphLayout();
        l.build(g);
        l.order();
        l.place();
        return l;
    }

    private void build(Graph g) {
        Map<Value, Box> producer = new IdentityHashMap<>();
        List<Box> real = new ArrayList<>();
        for (Value v : g.inputs()) {
            Box b = new Box(null, v, true, false);
            producer.put(v, b);
            real.add(b);
        }
        Map<Node, Box> ofNode = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            Box b = new Box(n, null, false, false);
            ofNode.put(n, b);
            for (Value o : n.outputs()) if (o != null) producer.put(o, b);
            real.add(b);
        }
        List<Box> outs = new ArrayList<>();
        for (Value o : g.outputs()) outs.add(new Box(null, o, false, false));
        real.addAll(outs);
        boxes.addAll(real);

        Map<Box, Integer> index = new IdentityHashMap<>();
        for (Box b : boxes) index.put(b, index.size());
        List<Edge> direct = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (Node n : g.nodes()) {
            Box to = ofNode.get(n);
            for (Value v : n.inputs()) {
                Box from = v == null ? null : producer.get(v);
                // why: weights are drawn as the node's parameters, not as boxes; a value read twice is one edge
                if (from == null || !seen.add((long) index.get(from) << 32 | index.get(to)))
                    continue;
                direct.add(new Edge(from, to, List.of(), v));
            }
        }
        for (int i = 0; i < outs.size(); i++) {
            Box from = producer.get(g.outputs().get(i));
            if (from != null) direct.add(new Edge(from, outs.get(i), List.of(), g.outputs().get(i)));
        }
        // longest-path layers: boxes are in topological order, so one pass suffices
        Map<Box, List<Box>> preds = new IdentityHashMap<>();
        for (Edge e : direct) preds.computeIfAbsent(e.to(), k -> new ArrayList<>()).add(e.from());
        int maxLayer = 0;
        for (Box b : real) {
            int layer = 0;
            for (Box p : preds.getOrDefault(b, List.of())) layer = Math.max(layer, p.layer + 1);
            b.layer = layer;
            maxLayer = Math.max(maxLayer, layer);
        }
        for (int i = 0; i <= maxLayer; i++) layers.add(new ArrayList<>());
        for (Box b : real) layers.get(b.layer).add(b);
        for (Edge e : direct) {
            List<Box> via = new ArrayList<>();
            Box prev = e.from();
            for (int layer = e.from().layer + 1; layer < e.to().layer; layer++) {
                Box d = new Box(null, null, false, true);
                d.layer = layer;
                layers.get(layer).add(d);
                link(prev, d);
                via.add(d);
                prev = d;
            }
            link(prev, e.to());
            edges.add(new Edge(e.from(), e.to(), via, e.value()));
        }
        for (List<Box> layer : layers) for (int i = 0; i < layer.size(); i++) layer.get(i).pos = i;
    }

    private static void link(Box a, Box b) {
        a.down.add(b);
        b.up.add(a);
    }

    /** Barycenter sweeps, down and up, keeping the order with the fewest crossings. */
    private void order() {
        int[][] best = snapshot();
        long bestCrossings = crossings();
        for (int it = 0; it < 6 && bestCrossings > 0; it++) {
            for (int l = 1; l < layers.size(); l++) sortBy(layers.get(l), true);
            for (int l = layers.size() - 2; l >= 0; l--) sortBy(layers.get(l), false);
            long c = crossings();
            if (c < bestCrossings) {
                bestCrossings = c;
                best = snapshot();
            }
        }
        restore(best);
    }

    private static void sortBy(List<Box> layer, boolean fromUp) {
        Map<Box, Double> key = new IdentityHashMap<>();
        for (Box b : layer) {
            List<Box> nb = fromUp ? b.up : b.down;
            double s = 0;
            for (Box o : nb) s += o.pos;
            key.put(b, nb.isEmpty() ? b.pos : s / nb.size());
        }
        layer.sort(Comparator.comparingDouble(key::get)); // stable: ties keep their order
        for (int i = 0; i < layer.size(); i++) layer.get(i).pos = i;
    }

    /** Edge crossings between neighbouring layers. */
    long crossings() {
        long c = 0;
        for (int l = 0; l + 1 < layers.size(); l++) {
            List<int[]> seg = new ArrayList<>();
            for (Box b : layers.get(l)) for (Box d : b.down) seg.add(new int[] {b.pos, d.pos});
            for (int i = 0; i < seg.size(); i++)
                for (int j = i + 1; j < seg.size(); j++) {
                    int[] a = seg.get(i), b = seg.get(j);
                    if ((long) (a[0] - b[0]) * (a[1] - b[1]) < 0) c++;
                }
        }
        return c;
    }

    private int[][] snapshot() {
        int[][] s = new int[layers.size()][];
        for (int l = 0; l < layers.size(); l++) {
            s[l] = new int[layers.get(l).size()];
            for (int i = 0; i < s[l].length; i++) s[l][i] = layers.get(l).get(i).pos;
        }
        return s;
    }

    private void restore(int[][] s) {
        for (int l = 0; l < layers.size(); l++) {
            List<Box> layer = layers.get(l);
            for (int i = 0; i < layer.size(); i++) layer.get(i).pos = s[l][i];
            layer.sort(Comparator.comparingInt(b -> b.pos));
        }
    }

    /** Coordinates: columns per layer; in a column, boxes in order, each near its neighbours' mean height. */
    private void place() {
        for (List<Box> layer : layers) {
            double y = MARGIN;
            for (Box b : layer) {
                b.x = MARGIN + b.layer * (NODE_W + GAP_X);
                b.y = y;
                y += b.h + GAP_Y;
            }
        }
        for (int it = 0; it < 3; it++) {
            for (int l = 1; l < layers.size(); l++) settle(layers.get(l), true);
            for (int l = layers.size() - 2; l >= 0; l--) settle(layers.get(l), false);
        }
        for (int l = 1; l < layers.size(); l++) settle(layers.get(l), true);
        double minY = Double.MAX_VALUE, maxY = 0;
        for (List<Box> layer : layers) for (Box b : layer) {
            minY = Math.min(minY, b.y);
            maxY = Math.max(maxY, b.y + b.h);
        }
        double shift = MARGIN - (layers.isEmpty() ? 0 : minY);
        for (List<Box> layer : layers) for (Box b : layer) b.y += shift;
        width = 2 * MARGIN + layers.size() * (NODE_W + GAP_X) - GAP_X;
        height = maxY + shift + MARGIN;
    }

    /** Moves each box towards its neighbours' mean centre, keeping the order and the gaps. */
    private static void settle(List<Box> layer, boolean fromUp) {
        int n = layer.size();
        double[] want = new double[n];
        for (int i = 0; i < n; i++) {
            Box b = layer.get(i);
            List<Box> nb = fromUp ? b.up : b.down;
            double s = 0;
            for (Box o : nb) s += o.cy();
            want[i] = nb.isEmpty() ? b.y : s / nb.size() - b.h / 2;
        }
        // the closest heights (least squares) that keep the order and the gaps: with c_i the room the boxes above
        // need, z_i = y_i - c_i must not decrease, which is isotonic regression (pool adjacent violators)
        double[] c = new double[n];
        for (int i = 1; i < n; i++) c[i] = c[i - 1] + layer.get(i - 1).h + GAP_Y;
        double[] mean = new double[n];
        int[] size = new int[n];
        int blocks = 0;
        for (int i = 0; i < n; i++) {
            mean[blocks] = want[i] - c[i];
            size[blocks] = 1;
            blocks++;
            while (blocks > 1 && mean[blocks - 2] > mean[blocks - 1]) {
                int a = size[blocks - 2], b = size[blocks - 1];
                mean[blocks - 2] = (mean[blocks - 2] * a + mean[blocks - 1] * b) / (a + b);
                size[blocks - 2] = a + b;
                blocks--;
            }
        }
        double[] y = new double[n];
        for (int k = 0, i = 0; k < blocks; k++) for (int j = 0; j < size[k]; j++, i++) y[i] = mean[k] + c[i];
        for (int i = 0; i < n; i++) layer.get(i).y = y[i];
    }
}
