package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.QuantTesting;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ops.Ops;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FuseInt8Bottlenecks on the MobileNetV2-shaped MCU model (tests/data/mbv2_micro, four inverted residual bodies
 * with an expand): on cortex-m4f ({@code ram.tight}) the two bodies whose expanded tensors set the peak become
 * {@code qbottleneck}s and the others stay (fusing them would not lower the peak); on the host nothing is fused; the
 * interpreter's int8 outputs are the same byte for byte.
 */
class FuseInt8BottlenecksTest {
    @TempDir
    Path tmp;

    @Test
    void fusesThePeakSettingBodiesOnlyWhereRamIsTight() throws Exception {
        Checker.Job fused = QuantTesting.bottleneckJob(tmp, Target.load("cortex-m4f"));
        Checker.Job plain = QuantTesting.bottleneckJob(tmp, Target.load("host"));
        assertEquals(2, count(fused.graph(), Ops.QBOTTLENECK), "bodies fused on cortex-m4f");
        assertEquals(0, count(plain.graph(), Ops.QBOTTLENECK), "bodies fused on the host");
        assertEquals(count(plain.graph(), Ops.QCONV) - 6, count(fused.graph(), Ops.QCONV), "three qconvs per fused body");
        List<NdArray> a = new Interpreter(fused.graph()).run(fused.inputs()), b = new Interpreter(plain.graph()).run(plain.inputs());
        assertArrayEquals(b.get(0).toLongArray(), a.get(0).toLongArray());
    }

    /** MobileNetV1's pw, dw, pw chains keep or widen the channels: nothing to stream, VWW stays as it is on cortex-m4f. */
    @Test
    void leavesBodiesThatDoNotExpandInTheMiddle() {
        Checker.Job vww = QuantTesting.quantizedJob(dev.kiln.TestFiles.models().resolve("mobilenet_v1_025_vww_int8_qdq"), Target.load("cortex-m4f"));
        assertEquals(0, count(vww.graph(), Ops.QBOTTLENECK));
    }

    private static long count(Graph g, dev.kiln.ops.OpDef op) { return g.nodes().stream().filter(n -> n.op() == op).count(); }
}
