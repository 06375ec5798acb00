package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.QuantParams;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Permutes a tensor's axes: output axis i is input axis {@code perm[i]}. Without {@code perm} the axes are
 * reversed.
 */
public final class Transpose extends OpDef {
    public Transpose() {
        super("transpose", Signature.builder().input("X").output("Y").optionalAttr("perm", AttrType.INTS).build(),
                Trait.DATA_MOVEMENT, Trait.QUANTIZABLE);
    }

    @Override
    public String summary() { return "permute axes (y.dims[i] = x.dims[perm[i]]; default: reverse)"; }

    /** The permutation of a node with attributes {@code perm} (possibly null) on a rank-{@code rank} input. */
    public static int[] perm(long[] perm, int rank) {
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) p[i] = perm == null ? rank - 1 - i : (int) perm[i];
        return p;
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Shape in = cx.shape(0);
        int r = in.rank();
        long[] perm = cx.attrs().getIntsOrNull("perm");
        if (perm != null) {
            cx.check(perm.length == r, "perm %s has %d entries for a rank-%d input", Arrays.toString(perm), perm.length, r);
            boolean[] seen = new boolean[r];
            for (long p : perm) {
                cx.check(p >= 0 && p < r && !seen[(int) p], "perm %s is not a permutation of 0..%d", Arrays.toString(perm), r - 1);
                seen[(int) p] = true;
            }
        }
        int[] p = perm(perm, r);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) out[i] = in.dim(p[i]);
        TensorType t = cx.input(0);
        QuantParams q = t.quant();
        if (q != null && q.perChannel()) {
            int newAxis = 0;
            for (int i = 0; i < r; i++) if (p[i] == q.axis()) newAxis = i;
            q = new QuantParams(q.scales(), q.zeroPoints(), newAxis);
        }
        return List.of(new TensorType(t.dtype(), Shape.of(out), q));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0);
        NdArray y = cx.newOutput(0);
        int r = x.shape().rank();
        int[] p = perm(cx.attrs().getIntsOrNull("perm"), r);
        int[] strides = x.shape().strides();
        int[] outDims = y.shape().dims();
        int[][] offsets = new int[r][];
        for (int i = 0; i < r; i++) {
            offsets[i] = new int[outDims[i]];
            for (int o = 0; o < outDims[i]; o++) offsets[i][o] = o * strides[p[i]];
        }
        DataMovement.take(x, DataMovement.offsetMap(outDims, offsets), y);
        return List.of(y);
    }
}
