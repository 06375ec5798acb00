package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Einstein summation over any number of operands: {@code equation} names each operand's axes with letters
 * ({@code ...} for broadcast leading axes) and, after {@code ->}, the output's; letters missing from the output
 * are summed over, a letter repeated within one operand takes its diagonal. Without {@code ->} the output is
 * the broadcast axes then the letters used once, in alphabetical order (NumPy's implicit mode).
 */
public final class Einsum extends OpDef {
    public Einsum() {
        super("einsum", Signature.builder().variadicInput("Inputs").output("Output").requiredAttr("equation", AttrType.STRING).build(), Trait.MAC);
    }

    @Override
    public String summary() { return "Einstein summation (any operands, ellipsis, diagonals, implicit output)"; }

    /** The parsed equation: each operand's and the output's axis labels (ellipsis axes as uppercase letters), and each label's size. */
    public record Plan(List<String> ins, String out, Map<Character, Integer> size) {}

    public static Plan plan(String equation, List<Shape> shapes) {
        String eq = equation.replace(" ", "");
        String lhs = eq, rhs = null;
        int arrow = eq.indexOf("->");
        if (arrow >= 0) {
            lhs = eq.substring(0, arrow);
            rhs = eq.substring(arrow + 2);
        }
        String[] terms = lhs.split(",", -1);
        if (terms.length != shapes.size()) throw new IllegalArgumentException("the equation names " + terms.length + " operands, the node has " + shapes.size());
        int ell = 0;
        for (int i = 0; i < terms.length; i++) {
            String t = terms[i];
            int letters = t.replace("...", "").length();
            if (t.contains("...")) ell = Math.max(ell, shapes.get(i).rank() - letters);
            else if (letters != shapes.get(i).rank())
                throw new IllegalArgumentException("operand " + i + " '" + t + "' has " + letters + " labels for rank " + shapes.get(i).rank());
        }
        if (ell > 26) throw new IllegalArgumentException("too many ellipsis axes");
        StringBuilder ellLabels = new StringBuilder();
        for (int k = 0; k < ell; k++) ellLabels.append((char) ('A' + k));
        List<String> ins = new ArrayList<>();
        Map<Character, Integer> size = new LinkedHashMap<>();
        for (int i = 0; i < terms.length; i++) {
            String t = terms[i];
            Shape s = shapes.get(i);
            if (t.contains("...")) {
                int here = s.rank() - t.replace("...", "").length();
                if (here < 0) throw new IllegalArgumentException("operand " + i + " '" + t + "' has more labels than its rank " + s.rank());
                t = t.replace("...", ellLabels.substring(ell - here));
            }
            for (char ch : t.toCharArray()) if (!Character.isLetter(ch)) throw new IllegalArgumentException("'" + ch + "' is not an axis label");
            for (int a = 0; a < t.length(); a++) {
                char ch = t.charAt(a);
                int d = s.dim(a);
                Integer old = size.get(ch);
                if (old == null || old == 1) size.put(ch, d);
                else if (d != 1 && d != old) throw new IllegalArgumentException("label '" + ch + "' has sizes " + old + " and " + d);
            }
            ins.add(t);
        }
        String out;
        if (rhs != null) {
            out = rhs.replace("...", ellLabels.toString());
        } else {
            StringBuilder b = new StringBuilder(ellLabels);
            StringBuilder all = new StringBuilder();
            for (String t : ins) all.append(t);
            for (char ch = 'a'; ch <= 'z'; ch++) if (count(all, ch) == 1) b.append(ch);
            for (char ch = 'A'; ch <= 'Z'; ch++) if (ch - 'A' >= ell && count(all, ch) == 1) b.append(ch);
            out = b.toString();
        }
        for (char ch : out.toCharArray())
            if (!size.containsKey(ch)) throw new IllegalArgumentException("output label '" + ch + "' names no input axis");
        return new Plan(ins, out, size);
    }

    private static int count(CharSequence s, char c) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == c) n++;
        return n;
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        List<Shape> shapes = new ArrayList<>();
        for (int i = 0; i < cx.numInputs(); i++) {
            shapes.add(cx.shape(i));
            cx.checkSameDType(0, i);
        }
        Plan p;
        try {
            p = plan(cx.attrs().getString("equation"), shapes);
        } catch (IllegalArgumentException e) {
            throw cx.error("equation '%s': %s", cx.attrs().getString("equation"), e.getMessage());
        }
        int[] out = new int[p.out.length()];
        for (int i = 0; i < out.length; i++) out[i] = p.size.get(p.out.charAt(i));
        return List.of(new TensorType(cx.dtype(0), Shape.of(out)));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        List<Shape> shapes = new ArrayList<>();
        for (int i = 0; i < cx.numInputs(); i++) shapes.add(cx.input(i).shape());
        Plan p = plan(cx.attrs().getString("equation"), shapes);
        List<Character> labels = new ArrayList<>();
        for (char ch : p.out.toCharArray()) labels.add(ch);
        for (Character ch : p.size.keySet()) if (!labels.contains(ch)) labels.add(ch);
        int nl = labels.size(), no = p.out.length();
        int[] dims = new int[nl];
        for (int i = 0; i < nl; i++) dims[i] = p.size.get(labels.get(i));
        int n = cx.numInputs();
        // per operand and label: the stride that label's index moves in the operand (0 where absent or broadcast)
        int[][] stride = new int[n][nl];
        for (int k = 0; k < n; k++) {
            String t = p.ins.get(k);
            Shape s = shapes.get(k);
            int[] st = s.strides();
            for (int a = 0; a < t.length(); a++)
                if (s.dim(a) != 1) stride[k][labels.indexOf(t.charAt(a))] += st[a];
        }
        NdArray y = cx.newOutput(0);
        boolean fl = y.dtype().isFloat();
        int outer = 1, inner = 1;
        for (int i = 0; i < no; i++) outer *= dims[i];
        for (int i = no; i < nl; i++) inner *= dims[i];
        int[] idx = new int[nl];
        for (int o = 0; o < outer; o++) {
            for (int i = no - 1, rem = o; i >= 0; i--) { idx[i] = rem % dims[i]; rem /= dims[i]; }
            double acc = 0;
            long lacc = 0;
            for (int q = 0; q < inner; q++) {
                for (int i = nl - 1, rem = q; i >= no; i--) { idx[i] = rem % dims[i]; rem /= dims[i]; }
                double prod = 1;
                long lprod = 1;
                for (int k = 0; k < n; k++) {
                    int off = 0;
                    for (int i = 0; i < nl; i++) off += idx[i] * stride[k][i];
                    if (fl) prod *= cx.input(k).getDouble(off);
                    else lprod *= cx.input(k).getLong(off);
                }
                acc += prod;
                lacc += lprod;
            }
            if (fl) y.setDouble(o, acc);
            else y.setLong(o, lacc);
        }
        return List.of(y);
    }
}
