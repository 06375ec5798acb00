package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Broadcasts a tensor to a larger shape: the output shape is the numpy broadcast of the input's shape and
 * {@code shape} (the importer stores the resolved output shape, so usually it is {@code shape} itself).
 */
public final class Expand extends OpDef {
    public Expand() {
        super("expand", Signature.builder().input("input").output("output").requiredAttr("shape", AttrType.INTS).build(),
                Trait.DATA_MOVEMENT, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "broadcast to a shape (numpy rules)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        long[] shape = cx.attrs().getInts("shape");
        for (long d : shape)
            cx.check(d >= 0 && d <= Integer.MAX_VALUE, "shape %s has an invalid dimension %d", Arrays.toString(shape), d);
        Shape s;
        try {
            s = Broadcast.shape(cx.shape(0), Shape.of(shape));
        } catch (IllegalArgumentException e) {
            throw cx.error("%s", e.getMessage());
        }
        return List.of(DataMovement.moved(cx.input(0), s));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        DataMovement.take(x, Broadcast.indexMap(x.shape(), y.shape()), y);
        return List.of(y);
    }
}
