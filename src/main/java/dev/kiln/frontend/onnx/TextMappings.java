package dev.kiln.frontend.onnx;

import static dev.kiln.frontend.onnx.IndexMappings.in;
import static dev.kiln.frontend.onnx.IndexMappings.step;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.DType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import dev.kiln.ops.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX mappings of the text-feature ops of the default domain: one method per op. TfIdfVectorizer on integer
 * tokens is decomposed into registered ops (slices, Equal, And, ReduceSum and a constant 0/1 matrix product that
 * scatters the n-gram counts into their output columns), so every backend runs it with the kernels it has.
 */
public final class TextMappings {
    private TextMappings() {}

    /**
     * TfIdfVectorizer (opset 9): per row of X ([C] or [B, C] integer tokens), how often each n-gram of the pool occurs,
     * n from min_gram_length to max_gram_length, its items skip_count + 1 apart for every skip count up to
     * max_skip_count (unigrams once), at the output column ngram_indexes names; IDF gives 1 for any occurrence, and
     * IDF and TFIDF multiply by weights (per output column) when given.
     */
    public static void TfIdfVectorizer(OnnxNode n) {
        Value x = in(n, 0, "X");
        if (n.hasAttr("pool_strings")) throw n.error("pool_strings: string n-grams need string tensors, which Kiln does not have");
        if (x.dtype() != DType.I32 && x.dtype() != DType.I64) throw n.error("X must be an int32 or int64 tensor, got %s", x.dtype());
        String mode = n.attrString("mode", "");
        if (!mode.equals("TF") && !mode.equals("IDF") && !mode.equals("TFIDF")) throw n.error("mode '%s' is not TF, IDF or TFIDF", mode);
        long minN = n.attrInt("min_gram_length", 0), maxN = n.attrInt("max_gram_length", 0), maxSkip = n.attrInt("max_skip_count", 0);
        if (minN < 1 || maxN < minN || maxSkip < 0)
            throw n.error("min_gram_length %d, max_gram_length %d and max_skip_count %d must satisfy 1 <= min <= max and skip >= 0", minN, maxN, maxSkip);
        long[] pool = orEmpty(n.attrInts("pool_int64s")), starts = orEmpty(n.attrInts("ngram_counts")), indexes = orEmpty(n.attrInts("ngram_indexes"));
        double[] weights = n.attrFloats("weights");
        Shape s = x.shape();
        if (s.rank() > 2 || (s.rank() == 2 && s.dim(0) < 1)) throw n.error("X %s must be [C] or [B, C] with B > 0", s);
        int rows = s.rank() == 2 ? s.dim(0) : 1, cols = s.rank() == 0 ? 1 : s.dim(s.rank() - 1);
        int outSize = 0;
        for (long i : indexes) {
            if (i < 0) throw n.error("ngram_indexes holds %d; output columns are not negative", i);
            outSize = (int) Math.max(outSize, i + 1);
        }
        if (weights != null && weights.length > 0 && weights.length < outSize)
            throw n.error("weights has %d entries for %d output columns", weights.length, outSize);
        if (x.dtype() == DType.I32) {
            // why: a pool entry outside int32 never matches an int32 token, but only an int64 comparison says so
            for (long p : pool) if (p != (int) p) {
                x = step(n, Ops.CAST, List.of(x), Attrs.of("to", DType.I64.shortName()), "x_wide");
                break;
            }
        }
        Value tokens = step(n, Ops.RESHAPE, List.of(x), Attrs.of("shape", new long[] {rows, cols, 1}), "tokens");
        List<Value> parts = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        int id = 0;
        for (int i = 0; i < starts.length; i++) {
            int size = i + 1;
            long end = i + 1 < starts.length ? starts[i + 1] : pool.length;
            if (starts[i] < 0 || end < starts[i] || end > pool.length) throw n.error("ngram_counts %s does not fit the pool of %d items", java.util.Arrays.toString(starts), pool.length);
            int grams = (int) ((end - starts[i]) / size);
            if (grams > 0 && size >= minN && size <= maxN) {
                Value c = countGrams(n, tokens, pool, (int) starts[i], grams, size, size == 1 ? 0 : (int) maxSkip, rows, cols);
                if (c != null) {
                    parts.add(c);
                    for (int g = 0; g < grams; g++) ids.add(id + g);
                }
            }
            id += grams;
        }
        if (indexes.length < id) throw n.error("ngram_indexes has %d entries for the pool's %d n-grams", indexes.length, id);
        long[] outShape = s.rank() == 2 ? new long[] {rows, outSize} : new long[] {outSize};
        if (parts.isEmpty()) {
            // why: no n-gram of the counted sizes fits the row: every count is 0, whatever X holds
            n.bindConstant(0, NdArray.zeros(DType.F32, Shape.of(outShape)));
            return;
        }
        float[] scatter = new float[ids.size() * outSize];
        for (int j = 0; j < ids.size(); j++) scatter[j * outSize + (int) indexes[ids.get(j)]] += 1f;
        Value counts = parts.size() == 1 ? parts.get(0) : step(n, Ops.CONCAT, parts, Attrs.of("axis", 1L), "gram_counts");
        Value y = step(n, Ops.MATMUL, List.of(counts, n.constant("columns", NdArray.ofFloats(Shape.of(ids.size(), outSize), scatter))), Attrs.EMPTY, "frequencies");
        if (mode.equals("IDF")) y = step(n, Ops.CLIP, List.of(y), Attrs.of("min", 0.0, "max", 1.0), "present");
        if (!mode.equals("TF") && weights != null && weights.length > 0) {
            float[] w = new float[outSize];
            for (int i = 0; i < outSize; i++) w[i] = (float) weights[i];
            y = step(n, Ops.MUL, List.of(y, n.constant("weights", NdArray.ofFloats(Shape.of(outSize), w))), Attrs.EMPTY, "weighted");
        }
        if (s.rank() < 2) y = step(n, Ops.RESHAPE, List.of(y), Attrs.of("shape", outShape), "row");
        n.bindOutput(0, y);
    }

    private static long[] orEmpty(long[] a) { return a == null ? new long[0] : a; }

    /**
     * [rows, grams] f32: per row, the occurrences of the {@code grams} n-grams of {@code size} items at pool[start...],
     * summed over the item distances 1 to maxSkip + 1; null when not even the closest n-gram fits in a row.
     */
    private static Value countGrams(OnnxNode n, Value tokens, long[] pool, int start, int grams, int size, int maxSkip, int rows, int cols) {
        Value sum = null;
        String g = size + "gram";
        Value[] wanted = new Value[size];
        for (int j = 0; j < size; j++) {
            long[] item = new long[grams];
            for (int k = 0; k < grams; k++) item[k] = pool[start + k * size + j];
            wanted[j] = n.constant(g + "_item" + j, NdArray.ofLongs(tokens.dtype(), Shape.of(grams), item));
        }
        for (int d = 1; d <= maxSkip + 1; d++) {
            int windows = cols - d * (size - 1);
            if (windows <= 0) break;
            Value match = null;
            for (int j = 0; j < size; j++) {
                Value column = windows == cols ? tokens
                        : step(n, Ops.SLICE, List.of(tokens), Attrs.of("starts", new long[] {(long) j * d}, "ends", new long[] {(long) j * d + windows}, "axes", new long[] {1}),
                                g + "_d" + d + "_item" + j);
                Value eq = step(n, Ops.EQUAL, List.of(column, wanted[j]), Attrs.EMPTY, g + "_d" + d + "_eq" + j);
                match = match == null ? eq : step(n, Ops.AND, List.of(match, eq), Attrs.EMPTY, g + "_d" + d + "_and" + j);
            }
            Value hits = step(n, Ops.CAST, List.of(match), Attrs.of("to", DType.F32.shortName()), g + "_d" + d + "_hits");
            Value c = step(n, Ops.REDUCE_SUM, List.of(hits), Attrs.of("axes", new long[] {1}, "keepdims", 0L), g + "_d" + d + "_count");
            sum = sum == null ? c : step(n, Ops.ADD, List.of(sum, c), Attrs.EMPTY, g + "_d" + d + "_sum");
        }
        return sum;
    }
}
