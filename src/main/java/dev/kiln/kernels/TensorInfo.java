package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * What a kernel template knows about one of its tensors: its parameter name, C type, shape, and how its
 * elements line up with output 0 under broadcasting. Public fields are read by templates.
 */
public final class TensorInfo {
    /** One term of a broadcast index: {@code (i / div) % mod * mul}. */
    public static final class Term {
        public final long div, mod, mul;

        Term(long div, long mod, long mul) {
            this.div = div;
            this.mod = mod;
            this.mul = mul;
        }
    }

    /** Kernel parameter name ({@code x0}, {@code y0}). */
    public final String name;
    /** Whether the (optional) tensor is there at all. */
    public final boolean present;
    public final String dtype, ctype, utype;
    public final boolean isFloat, isF64, isF16, isBool, isSigned, isInt, isConstant;
    public final long numel, bytes;
    public final int rank;
    public final List<Integer> dims, strides;
    /** Broadcast against output 0: same shape (index i), a single element (index 0), or general terms. */
    public boolean same, scalar, general;
    public List<Term> terms = List.of();
    /** In a kernel walking rows ({@link KernelModel#rows}): one element per row, read at the row's index {@code o}. */
    public boolean row;
    /** In a kernel walking rows: one element per column, the same for every row, read at the column's index {@code i}. */
    public boolean column;

    TensorInfo(String name, Value v) {
        this.name = name;
        this.present = v != null;
        DType t = v == null ? DType.F32 : v.dtype();
        Shape s = v == null ? Shape.scalar() : v.shape();
        dtype = t.shortName();
        ctype = ScalarTypes.ctype(t);
        utype = ScalarTypes.utype(t);
        isFloat = t.isFloat();
        isF64 = t == DType.F64;
        isF16 = t == DType.F16;
        isBool = t == DType.BOOL;
        isSigned = t.isSigned();
        isInt = t.isInteger();
        isConstant = v != null && v.isConstant();
        numel = s.numel();
        bytes = v == null ? 0 : v.type().byteSize();
        rank = s.rank();
        dims = box(s.dims());
        strides = box(s.strides());
    }

    /** Fills the broadcast fields for reading this tensor while walking {@code out} in row-major order. */
    void broadcastTo(Shape in, Shape out) {
        if (in.equals(out) || in.numel() == out.numel() && in.numel() == 1) {
            same = in.equals(out);
            scalar = !same;
            return;
        }
        if (in.numel() == 1) {
            scalar = true;
            return;
        }
        if (in.numel() == out.numel()) { // why: [1,C] against [C,1]-free shapes differing only in leading 1s
            boolean sameOrder = true;
            int[] id = in.dims(), od = out.dims();
            List<Integer> a = new ArrayList<>(), b = new ArrayList<>();
            for (int d : id) if (d != 1) a.add(d);
            for (int d : od) if (d != 1) b.add(d);
            if (a.equals(b) && sameOrder) {
                same = true;
                return;
            }
        }
        general = true;
        int r = out.rank();
        int[] od = out.dims();
        int[] os = out.strides();
        int off = r - in.rank();
        int[] is = in.strides();
        List<Term> ts = new ArrayList<>();
        // merge adjacent output dims whose input strides continue each other (fewer terms, same indices)
        long div = -1, mod = 1, mul = 0;
        for (int d = r - 1; d >= 0; d--) {
            int id = d - off >= 0 ? in.dim(d - off) : 1;
            long stride = id == 1 ? 0 : is[d - off];
            if (od[d] == 1) continue;
            if (div >= 0 && (stride == 0 && mul == 0 || stride != 0 && mul != 0 && stride == mul * mod)) {
                mod *= od[d];
                continue;
            }
            if (div >= 0 && mul != 0) ts.add(0, new Term(div, mod, mul));
            div = os[d];
            mod = od[d];
            mul = stride;
        }
        if (div >= 0 && mul != 0) ts.add(0, new Term(div, mod, mul));
        terms = ts;
    }

    private static List<Integer> box(int[] a) {
        List<Integer> r = new ArrayList<>(a.length);
        for (int x : a) r.add(x);
        return r;
    }
}
