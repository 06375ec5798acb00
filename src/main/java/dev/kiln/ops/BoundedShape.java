package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * ONNX Shape of a value with a run-time extent on {@code axis}: dimensions {@code start} to {@code end} (resolved,
 * {@code 0 <= start <= end <= rank}) as int64, computed at run time, so the bounded position holds the extent and
 * the others their static size (a Shape of an exact value is a constant at import).
 */
public final class BoundedShape extends OpDef {
    public BoundedShape() {
        super("bounded_shape", Signature.builder().input("data").output("shape").requiredAttr("axis", AttrType.INT)
                .requiredAttr("start", AttrType.INT).requiredAttr("end", AttrType.INT).build());
    }

    @Override
    public String summary() { return "the shape of a value with a run-time sized axis, the extent read at run time (a bounded shape)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        long r = cx.shape(0).rank(), start = cx.attrs().getInt("start"), end = cx.attrs().getInt("end"), a = cx.attrs().getInt("axis");
        cx.check(0 <= start && start <= end && end <= r, "start %d and end %d must satisfy 0 <= start <= end <= rank %d", start, end, r);
        cx.check(0 <= a && a < r, "axis %d is out of range for rank %d", a, r);
        return List.of(TensorType.of(DType.I64, (int) (end - start)));
    }

    /** Reads the extent of its bounded axis {@code axis}; gives an exact value. */
    @Override
    public int[] carriesExtent(Node n, int input, int axis) { return axis == n.attrs().getInt("axis") ? new int[] {-1} : null; }

    @Override
    public boolean readsExtent(Node n, int input) { return true; }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        long[] d = cx.input(0).shape().dimsLong();
        return List.of(NdArray.ofI64(java.util.Arrays.copyOfRange(d, (int) cx.attrs().getInt("start"), (int) cx.attrs().getInt("end"))));
    }
}
