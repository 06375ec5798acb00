package dev.kiln.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Int8Context.clampOf: which element-wise functions an int8 op may apply as a clamp of its output. */
class Int8ContextTest {
    private static UnaryOperator<NdArray> map(java.util.function.DoubleUnaryOperator f) {
        return x -> {
            NdArray y = x.copy();
            for (int i = 0; i < y.size(); i++) y.setDouble(i, f.applyAsDouble(x.getDouble(i)));
            return y;
        };
    }

    @Test
    void reluOnAGridFromZeroIsAClampFromTheZeroPoint() {
        QuantParams out = QuantParams.perTensor(6f / 255, -128);
        assertArrayEquals(new int[] {-128, 127}, Int8Context.clampOf(map(v -> Math.max(0, v)), out));
        // relu6 on a wider grid clamps at the code of 6
        QuantParams wide = QuantParams.perTensor(8f / 255, -128);
        int[] r = Int8Context.clampOf(map(v -> Math.max(0, Math.min(6, v))), wide);
        assertArrayEquals(new int[] {-128, (int) QuantMath.quantize(6, wide)}, r);
    }

    @Test
    void aFunctionConstantOnTheGridButNotBelowItIsNoClamp() {
        // hard_sigmoid(0.2x + 0.5) on outputs calibrated near 1: every grid value maps to 127, but a pre-activation
        // far below the grid gives 0, which the clamp [127, 127] would turn into 1
        QuantParams out = QuantParams.perTensor(0.001f, -128);
        QuantParams nearOne = new QuantParams(new float[] {0.0001f}, new long[] {-128}, -1);
        UnaryOperator<NdArray> hardSigmoid = map(v -> Math.max(0, Math.min(1, 0.2 * v + 0.5)));
        assertNull(Int8Context.clampOf(hardSigmoid, nearOne));
        assertNull(Int8Context.clampOf(hardSigmoid, out));
    }

    @Test
    void aNonMonotoneFunctionIsNoClamp() {
        assertNull(Int8Context.clampOf(map(v -> v * v), QuantParams.perTensor(0.05f, 0)));
    }
}
