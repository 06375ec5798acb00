package dev.kiln.ir;

/** The type of an attribute value. */
public enum AttrType {
    INT, FLOAT, STRING, INTS, FLOATS, STRINGS, TENSOR,
    /** A nested graph (a region: an If branch, a Loop or Scan body) that the node owns. */
    GRAPH;

    /** True if {@code v} is a Java value of this type as {@link Attrs} stores it. */
    public boolean accepts(Object v) {
        switch (this) {
            case INT: return v instanceof Long;
            case FLOAT: return v instanceof Double;
            case STRING: return v instanceof String;
            case INTS: return v instanceof long[];
            case FLOATS: return v instanceof double[];
            case STRINGS: return v instanceof String[];
            case TENSOR: return v instanceof NdArray;
            case GRAPH: return v instanceof Graph;
            default: return false;
        }
    }

    /** Converts a loosely typed value (Integer, int[], float, List...) to this type's storage form, or null if impossible. */
    public Object coerce(Object v) {
        if (accepts(v)) return v;
        switch (this) {
            case INT:
                if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
                if (v instanceof Boolean) return ((Boolean) v) ? 1L : 0L;
                return null;
            case FLOAT:
                return v instanceof Number ? ((Number) v).doubleValue() : null;
            case INTS:
                if (v instanceof int[]) {
                    int[] a = (int[]) v;
                    long[] r = new long[a.length];
                    for (int i = 0; i < a.length; i++) r[i] = a[i];
                    return r;
                }
                if (v instanceof Long || v instanceof Integer) return new long[] {((Number) v).longValue()};
                if (v instanceof java.util.List) {
                    java.util.List<?> li = (java.util.List<?>) v;
                    long[] r = new long[li.size()];
                    for (int i = 0; i < r.length; i++) {
                        if (!(li.get(i) instanceof Number) || li.get(i) instanceof Double || li.get(i) instanceof Float) return null;
                        r[i] = ((Number) li.get(i)).longValue();
                    }
                    return r;
                }
                return null;
            case FLOATS:
                if (v instanceof float[]) {
                    float[] a = (float[]) v;
                    double[] r = new double[a.length];
                    for (int i = 0; i < a.length; i++) r[i] = a[i];
                    return r;
                }
                if (v instanceof long[]) {
                    long[] a = (long[]) v;
                    double[] r = new double[a.length];
                    for (int i = 0; i < a.length; i++) r[i] = a[i];
                    return r;
                }
                if (v instanceof Number) return new double[] {((Number) v).doubleValue()};
                if (v instanceof java.util.List) {
                    java.util.List<?> li = (java.util.List<?>) v;
                    double[] r = new double[li.size()];
                    for (int i = 0; i < r.length; i++) {
                        if (!(li.get(i) instanceof Number)) return null;
                        r[i] = ((Number) li.get(i)).doubleValue();
                    }
                    return r;
                }
                return null;
            case STRINGS:
                if (v instanceof String) return new String[] {(String) v};
                return null;
            default:
                return null;
        }
    }
}
