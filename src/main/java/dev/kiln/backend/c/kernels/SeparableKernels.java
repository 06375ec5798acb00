package dev.kiln.backend.c.kernels;

import dev.kiln.backend.Target;
import dev.kiln.backend.c.CActivation;
import dev.kiln.backend.c.KernelModel;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import dev.kiln.ops.SeparableConv;
import dev.kiln.ops.Trait;
import java.util.List;

/**
 * C kernel lowering of {@code separable_conv} (templates/c/ops/separable.stg): for each output row, the depthwise
 * values of every intermediate channel go into a scratch row ({@link KernelModel#scratchBytes}), and the 1×1
 * products are taken from it at once, so the intermediate tensor never exists in the arena.
 */
public final class SeparableKernels {
    private SeparableKernels() {}

    /** The model of a separable convolution. */
    public static final class Separable {
        /** The depthwise half's window, tables and activation, as the depthwise conv kernel's lowering gives them. */
        public final NnKernels.Window dw;
        /** Intermediate channels (C·r), output channels M, and the scratch row's length (output width). */
        public final long mid, outChannels, rowLen;
        /** Which optional inputs are there: depthwise bias, pointwise bias, residual. */
        public final boolean hasDwBias, hasPwBias, hasZ;
        /** Parameter names of Wd, Wp, Bd, Bp and Z. */
        public final String wd, wp, bd, bp, z;
        /** The final fused activation. */
        public final CActivation act;

        Separable(KernelModel k, Node n, NnKernels.Window dw) {
            this.dw = dw;
            mid = n.input(1).shape().dim(0);
            outChannels = n.output(0).shape().dim(1);
            rowLen = dw.w.out;
            hasDwBias = n.input(3) != null;
            hasPwBias = n.input(4) != null;
            hasZ = n.input(5) != null;
            wd = k.ins.get(1).name;
            wp = k.ins.get(2).name;
            bd = k.ins.size() > 3 ? k.ins.get(3).name : null;
            bp = k.ins.size() > 4 ? k.ins.get(4).name : null;
            z = k.ins.size() > 5 ? k.ins.get(5).name : null;
            act = CActivation.fused(n);
        }
    }

    /** Lowers {@code separable_conv}; declares one row of intermediate channels as scratch. */
    public static Object separableConv(KernelModel k, Node n, Target t) {
        // the depthwise half's geometry is exactly a depthwise conv's: lower a stand-alone one and take its window
        Graph probe = new Graph("separable_dw");
        Value x = probe.addInput("x", n.input(0).type());
        Value w = probe.addInput("w", n.input(1).type());
        Node dwNode = probe.addNode(Ops.CONV, "dw", List.of(x, w), SeparableConv.depthwiseAttrs(n.attrs(), n.input(0).shape().dim(1)));
        NnKernels.Window dw = (NnKernels.Window) NnKernels.conv(k, dwNode, t);
        Separable m = new Separable(k, n, dw);
        Value z = n.input(5);
        // why: the store reads Z[i] just before writing Y[i], so Y may take Z's buffer, unless that is also X's (read later)
        if (z != null && z != n.input(0) && !aliased(z) && !aliased(n.input(0))) k.inPlaceInput = 5;
        k.scratchBytes = m.mid * m.rowLen * n.output(0).dtype().byteSize();
        // why: float only (the op has no int8 form), so its products and sums may fuse into FMAs
        k.fpContract = n.output(0).dtype().isFloat();
        return m;
    }

    private static boolean aliased(Value v) {
        return v.producer() != null && v.producer().op().has(Trait.ALIAS);
    }
}
