package dev.kiln.ir;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A node's attributes: name to value, sorted by name so printing and hashing are deterministic.
 * Values are stored as Long, Double, String, long[], double[], String[] or NdArray.
 * Attrs are immutable; {@link #with} returns a modified copy.
 */
public final class Attrs {
    public static final Attrs EMPTY = new Attrs(new TreeMap<>());
    private final TreeMap<String, Object> map;

    private Attrs(TreeMap<String, Object> map) { this.map = map; }

    /** Attrs from alternating names and values, e.g. {@code Attrs.of("axis", 1L)}. */
    public static Attrs of(Object... kv) {
        Attrs a = EMPTY;
        for (int i = 0; i < kv.length; i += 2) a = a.with((String) kv[i], kv[i + 1]);
        return a;
    }

    /** A copy with {@code name} set to {@code value} (null removes it). int, int[], float and float[] are widened. */
    public Attrs with(String name, Object value) {
        TreeMap<String, Object> m = new TreeMap<>(map);
        if (value == null) m.remove(name);
        else m.put(name, normalize(value));
        return new Attrs(m);
    }

    /** A copy without {@code name}. */
    public Attrs without(String name) { return with(name, null); }

    private static Object normalize(Object v) {
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof Boolean) return ((Boolean) v) ? 1L : 0L;
        if (v instanceof Float) return ((Float) v).doubleValue();
        if (v instanceof int[]) return AttrType.INTS.coerce(v);
        if (v instanceof float[]) return AttrType.FLOATS.coerce(v);
        if (v instanceof Long || v instanceof Double || v instanceof String || v instanceof long[]
                || v instanceof double[] || v instanceof String[] || v instanceof NdArray || v instanceof Graph) return v;
        throw new IllegalArgumentException("unsupported attribute value " + v.getClass().getSimpleName());
    }

    public boolean has(String name) { return map.containsKey(name); }
    public Set<String> names() { return Collections.unmodifiableSet(map.keySet()); }
    public Map<String, Object> asMap() { return Collections.unmodifiableMap(map); }
    public Object get(String name) { return map.get(name); }
    public boolean isEmpty() { return map.isEmpty(); }

    private Object need(String name) {
        Object v = map.get(name);
        if (v == null) throw new IllegalStateException("attribute '" + name + "' is not set");
        return v;
    }

    public long getInt(String name) { return (Long) need(name); }
    public long getInt(String name, long dflt) { Object v = map.get(name); return v == null ? dflt : (Long) v; }
    public double getFloat(String name) { return (Double) need(name); }
    public double getFloat(String name, double dflt) { Object v = map.get(name); return v == null ? dflt : (Double) v; }
    public String getString(String name) { return (String) need(name); }
    public String getString(String name, String dflt) { Object v = map.get(name); return v == null ? dflt : (String) v; }
    public long[] getInts(String name) { return ((long[]) need(name)).clone(); }
    /** The list, or null when absent. */
    public long[] getIntsOrNull(String name) { Object v = map.get(name); return v == null ? null : ((long[]) v).clone(); }
    public double[] getFloats(String name) { return ((double[]) need(name)).clone(); }
    public double[] getFloatsOrNull(String name) { Object v = map.get(name); return v == null ? null : ((double[]) v).clone(); }
    public String[] getStrings(String name) { return ((String[]) need(name)).clone(); }
    public NdArray getTensor(String name) { return (NdArray) need(name); }
    public NdArray getTensorOrNull(String name) { return (NdArray) map.get(name); }
    /** A GRAPH attribute: the region (nested graph) the node owns under {@code name}. */
    public Graph getGraph(String name) { return (Graph) need(name); }

    /** The regions (GRAPH attributes), in attribute-name order. */
    public java.util.List<Graph> graphs() {
        java.util.List<Graph> r = new java.util.ArrayList<>();
        for (Object v : map.values()) if (v instanceof Graph) r.add((Graph) v);
        return r;
    }

    /** An INTS attribute as int[] (the usual form for kernels, pads, strides). */
    public int[] getIntArray(String name) {
        long[] v = getInts(name);
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Math.toIntExact(v[i]);
        return r;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Attrs)) return false;
        Attrs a = (Attrs) o;
        if (!map.keySet().equals(a.map.keySet())) return false;
        for (Map.Entry<String, Object> e : map.entrySet()) if (!Arrays.deepEquals(new Object[] {e.getValue()}, new Object[] {a.map.get(e.getKey())})) return false;
        return true;
    }

    @Override
    public int hashCode() {
        int h = 0;
        for (Map.Entry<String, Object> e : map.entrySet()) h = 31 * h + e.getKey().hashCode() + Arrays.deepHashCode(new Object[] {e.getValue()});
        return h;
    }

    /** {@code {axis=1, pads=[0, 0, 1, 1]}}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, Object> e : map.entrySet()) {
            if (b.length() > 1) b.append(", ");
            b.append(e.getKey()).append('=').append(valueToString(e.getValue()));
        }
        return b.append('}').toString();
    }

    /** A value in the form {@link #toString} uses. */
    public static String valueToString(Object v) {
        if (v instanceof long[]) return Arrays.toString((long[]) v);
        if (v instanceof double[]) return Arrays.toString((double[]) v);
        if (v instanceof String[]) return Arrays.toString((String[]) v);
        if (v instanceof String) return '"' + (String) v + '"';
        if (v instanceof Graph) return "<graph " + ((Graph) v).name() + ">";
        return String.valueOf(v);
    }
}
