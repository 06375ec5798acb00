package dev.kiln.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/** {@code z = condition ? x : y}, element-wise with broadcasting of all three; x and y share one element type. */
public final class Where extends OpDef {
    public Where() {
        super("where", Signature.builder().input("condition", "X", "Y").output("Z").build(), Trait.ELEMENTWISE);
    }

    @Override
    public String summary() { return "condition ? x : y (broadcasting)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkDType(0, DType.BOOL);
        cx.checkSameDType(1, 2);
        try {
            return List.of(new TensorType(cx.dtype(1), Broadcast.shape(cx.shape(0), cx.shape(1), cx.shape(2))));
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray c = cx.input(0), x = cx.input(1), y = cx.input(2);
        NdArray z = cx.newOutput(0);
        Shape out = z.shape();
        int[] ic = Broadcast.indexMap(c.shape(), out), ix = Broadcast.indexMap(x.shape(), out), iy = Broadcast.indexMap(y.shape(), out);
        boolean floating = z.dtype().isFloat();
        for (int i = 0, n = z.size(); i < n; i++) {
            boolean take = c.getLong(ic[i]) != 0;
            if (floating) z.setDouble(i, take ? x.getDouble(ix[i]) : y.getDouble(iy[i]));
            else z.setLong(i, take ? x.getLong(ix[i]) : y.getLong(iy[i]));
        }
        return List.of(z);
    }
}
