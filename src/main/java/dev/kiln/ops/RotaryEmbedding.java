package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.List;

/**
 * Rotary position embedding of X ([B, heads, S, D], or [B, S, heads * D] with {@code num_heads}): the first
 * {@code rotary_embedding_dim} (default D) features of each head are rotated pairwise by the angle whose cosine
 * and sine the caches hold for the token's position ({@code position_ids} [B, S] indexes caches [P, R/2];
 * without it the caches are [B, S, R/2]); pairs are (i, i + R/2), or adjacent with {@code interleaved}.
 */
public final class RotaryEmbedding extends OpDef {
    public RotaryEmbedding() {
        super("rotary_embedding", Signature.builder().input("X", "cos_cache", "sin_cache").optionalInput("position_ids").output("Y")
                .attr("interleaved", AttrType.INT, 0L).attr("rotary_embedding_dim", AttrType.INT, 0L).attr("num_heads", AttrType.INT, 0L).build());
    }

    @Override
    public String summary() { return "rotary position embedding (RoPE), interleaved or half-split"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.checkFloat(0);
        cx.checkSameDType(0, 1);
        cx.checkSameDType(0, 2);
        Shape x = cx.shape(0);
        long heads = cx.attrs().getInt("num_heads");
        cx.check(x.rank() == 4 || (x.rank() == 3 && heads > 0 && x.dim(2) % heads == 0),
                "X %s must be [B, heads, S, D], or [B, S, heads * D] with num_heads (%d)", x, heads);
        int d = x.rank() == 4 ? x.dim(3) : (int) (x.dim(2) / heads);
        long rd = cx.attrs().getInt("rotary_embedding_dim");
        if (rd == 0) rd = d;
        cx.check(rd > 0 && rd <= d && rd % 2 == 0, "rotary_embedding_dim %d must be even and at most the head size %d", rd, d);
        int b = x.dim(0), s = x.rank() == 4 ? x.dim(2) : x.dim(1);
        Shape want = cx.has(3) ? Shape.of(cx.shape(1).dim(0), (int) rd / 2) : Shape.of(b, s, (int) rd / 2);
        cx.check(cx.shape(1).equals(want) && cx.shape(2).equals(want), "cos_cache %s and sin_cache %s must be %s", cx.shape(1), cx.shape(2), want);
        if (cx.has(3)) {
            cx.checkDType(3, DType.I64, DType.I32);
            cx.check(cx.shape(3).equals(Shape.of(b, s)), "position_ids %s must be [%d, %d]", cx.shape(3), b, s);
        }
        return List.of(new TensorType(cx.dtype(0), x));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        NdArray x = cx.input(0), cos = cx.input(1), sin = cx.input(2), pos = cx.input(3);
        NdArray y = x.copy();
        Shape xs = x.shape();
        boolean four = xs.rank() == 4, inter = cx.attrs().getInt("interleaved") != 0;
        int b = xs.dim(0), h = four ? xs.dim(1) : (int) cx.attrs().getInt("num_heads"), s = four ? xs.dim(2) : xs.dim(1);
        int d = four ? xs.dim(3) : xs.dim(2) / h;
        int rd = (int) cx.attrs().getInt("rotary_embedding_dim");
        if (rd == 0) rd = d;
        int half = rd / 2, positions = cos.shape().dim(0);
        for (int bi = 0; bi < b; bi++) {
            for (int si = 0; si < s; si++) {
                int row;
                if (pos != null) {
                    long p = pos.getLong(bi * s + si);
                    if (p < 0 || p >= positions) throw new IllegalArgumentException("position_ids[" + bi + "][" + si + "] = " + p + " is outside the caches' " + positions + " positions");
                    row = (int) p * half;
                } else {
                    row = (bi * s + si) * half;
                }
                for (int hi = 0; hi < h; hi++) {
                    int base = four ? ((bi * h + hi) * s + si) * d : (bi * s + si) * h * d + hi * d;
                    for (int i = 0; i < half; i++) {
                        int i1 = inter ? base + 2 * i : base + i, i2 = inter ? base + 2 * i + 1 : base + i + half;
                        double c = cos.getDouble(row + i), sn = sin.getDouble(row + i), x1 = x.getDouble(i1), x2 = x.getDouble(i2);
                        y.setDouble(i1, c * x1 - sn * x2);
                        y.setDouble(i2, sn * x1 + c * x2);
                    }
                }
            }
        }
        return List.of(y);
    }
}
