package dev.kiln.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.ir.Graph;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The layered layout: edges point right, boxes in a column do not overlap, sweeps do not add crossings. */
class GraphLayoutTest {
    private static Graph load(String model) {
        Graph g = dev.kiln.Kiln.load(TestFiles.models().resolve(model + "/model.onnx"), new ImportOptions());
        dev.kiln.Kiln.optimize(g, null, dev.kiln.CompileOptions.defaults());
        return g;
    }

    @Test
    void edgesPointRightAndBoxesDoNotOverlap() {
        for (String m : List.of("resnet8_cifar10_op13", "ppocr_mobile_v2_cls", "squeezenet1_1_op13")) {
            Graph g = load(m);
            GraphLayout l = GraphLayout.of(g);
            assertEquals(g.inputs().size() + g.nodes().size() + g.outputs().size(), l.boxes.size(), m);
            for (GraphLayout.Edge e : l.edges) {
                assertTrue(e.from().layer < e.to().layer, m + ": edge " + e.value().name() + " points right");
                assertEquals(e.to().layer - e.from().layer - 1, e.via().size(), m + ": one dummy per layer crossed");
                assertTrue(e.from().x < e.to().x, m);
            }
            for (List<GraphLayout.Box> layer : l.layers)
                for (int i = 1; i < layer.size(); i++)
                    assertTrue(layer.get(i).y >= layer.get(i - 1).y + layer.get(i - 1).h + GraphLayout.GAP_Y - 1e-6, m + ": boxes overlap");
            for (GraphLayout.Box b : l.boxes) assertTrue(b.y >= 0 && b.y + b.h <= l.height && b.x + GraphLayout.NODE_W <= l.width, m);
        }
    }

    @Test
    void squeezenetFireModulesHaveFewCrossings() {
        // squeezenet's fire modules fork into two convs and concat: a good order has no crossings at all
        GraphLayout l = GraphLayout.of(load("squeezenet1_1_op13"));
        assertEquals(0, l.crossings());
    }
}
