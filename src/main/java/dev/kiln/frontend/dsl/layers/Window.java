package dev.kiln.frontend.dsl.layers;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.OpDef;
import java.util.List;

/** Shared pieces of the 2-D windowed layers (convolutions and pools). */
final class Window {
    private Window() {}

    /** x's shape, which must be [N, C, H, W]. */
    static Shape spatialInput(LayerContext cx, String layer, Value x) {
        if (x.shape().rank() != 4) throw cx.error("needs a 4-D input [N, C, H, W], got " + x.type());
        return x.shape();
    }

    /** A 2-D pool ({@code size}, {@code stride}, {@code pad}) lowered to {@code op} with {@code extra} attributes. */
    static Value pool(LayerContext cx, String layer, OpDef op, Attrs extra) {
        Value x = cx.tensor("x");
        Shape s = spatialInput(cx, layer, x);
        int[] k = cx.pair("size");
        int[] stride = cx.pair("stride");
        long[] pads = cx.padding("pad").pads(new int[] {s.dim(2), s.dim(3)}, k, stride, new int[] {1, 1});
        Attrs a = extra.with("kernel_shape", k).with("strides", stride).with("pads", pads);
        return cx.node(op, List.of(x), a);
    }
}
