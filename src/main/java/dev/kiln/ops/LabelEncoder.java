package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps each element of X through a table (ai.onnx.ml LabelEncoder on numbers): an element equal to
 * {@code keys[i]} becomes {@code values[i]}, any other {@code default}; the output type is {@code dtype}
 * (a Kiln type name such as i64 or f32). String keys and values are not numbers and stay with the importer's refusal.
 */
public final class LabelEncoder extends OpDef {
    public LabelEncoder() {
        super("label_encoder", Signature.builder().input("X").output("Y").requiredAttr("keys", AttrType.FLOATS)
                .requiredAttr("values", AttrType.FLOATS).attr("default", AttrType.FLOAT, -1.0).requiredAttr("dtype", AttrType.STRING).build());
    }

    @Override
    public String summary() { return "number-to-number lookup table with a default (ai.onnx.ml)"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.check(cx.dtype(0) != DType.BOOL, "X must be numeric, got %s", cx.dtype(0));
        cx.check(cx.attrs().getFloats("keys").length == cx.attrs().getFloats("values").length, "keys and values differ in length");
        DType t = DType.fromShortName(cx.attrs().getString("dtype"));
        cx.check(t != null && t != DType.BOOL, "dtype '%s' is not a numeric Kiln type", cx.attrs().getString("dtype"));
        return List.of(new TensorType(t, cx.shape(0)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        double[] keys = cx.attrs().getFloats("keys"), values = cx.attrs().getFloats("values");
        Map<Double, Double> table = new HashMap<>();
        // why: keys compare in X's own precision (a float key 0.1 must match an f32 element 0.1f)
        for (int i = 0; i < keys.length; i++) table.putIfAbsent(NdArray.scalar(x.dtype(), keys[i]).getDouble(0), values[i]);
        double dflt = cx.attrs().getFloat("default");
        NdArray y = cx.newOutput(0);
        for (int i = 0; i < x.size(); i++) y.setDouble(i, table.getOrDefault(x.getDouble(i), dflt));
        return List.of(y);
    }
}
