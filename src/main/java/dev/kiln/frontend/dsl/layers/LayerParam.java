package dev.kiln.frontend.dsl.layers;

import java.util.List;

/**
 * One parameter of a layer: its name, its kind (what values it takes) and its default. A parameter without
 * a default must be given; {@link #defaultFrom} names another parameter whose value is the default
 * ({@code stride=size}).
 */
public record LayerParam(String name, Kind kind, Object dflt, String defaultFrom) {
    /** What a parameter accepts, and how a DSL value is converted for {@link LayerContext}. */
    public enum Kind {
        /** A tensor (an {@link dev.kiln.ir.Value}). */
        TENSOR("a tensor"),
        /** An int (a Long). */
        INT("an int"),
        /** An int or a list of two ints, converted to {@code int[2]}, each at least 1. */
        INT_PAIR("an int or a list of ints"),
        /** A number (a Double). */
        FLOAT("a number"),
        /** true or false (a Boolean). */
        BOOL("true or false"),
        /** valid, same, an int, or [top, left, bottom, right] (a {@link Padding}). */
        PAD("valid, same, an int or a list of 4 ints [top, left, bottom, right]");

        private final String description;

        Kind(String description) { this.description = description; }

        /** How messages name the accepted values: "an int or a list of ints". */
        public String description() { return description; }

        /** True if a bare symbol ({@code pad=same}) is a string for this kind. */
        public boolean takesSymbols() { return this == PAD; }

        /**
         * Converts a DSL value (Long, Double, Boolean, String, List, tensor Value) to this kind's Java form;
         * throws {@link IllegalArgumentException} with the message to show ("kernel must be ..., got ...").
         */
        public Object convert(String param, Object v, String shown) {
            switch (this) {
                case TENSOR:
                    if (v instanceof dev.kiln.ir.Value) return v;
                    break;
                case INT:
                    if (v instanceof Long) return v;
                    break;
                case FLOAT:
                    if (v instanceof Long || v instanceof Double) return ((Number) v).doubleValue();
                    break;
                case BOOL:
                    if (v instanceof Boolean) return v;
                    break;
                case INT_PAIR: {
                    long[] l = ints(v);
                    if (l == null) break;
                    if (l.length == 1) l = new long[] {l[0], l[0]};
                    if (l.length != 2) throw new IllegalArgumentException(param + " must have 2 values [h, w], got " + shown);
                    for (long x : l) if (x < 1 || x > Integer.MAX_VALUE) throw new IllegalArgumentException(param + " must be positive, got " + shown);
                    return new int[] {(int) l[0], (int) l[1]};
                }
                case PAD: {
                    if (v instanceof String) {
                        if (v.equals("valid") || v.equals("same")) return new Padding((String) v, null);
                        throw new IllegalArgumentException(param + " must be " + description + ", got " + shown);
                    }
                    long[] l = ints(v);
                    if (l == null) break;
                    if (l.length == 1) l = new long[] {l[0], l[0], l[0], l[0]};
                    if (l.length != 4) throw new IllegalArgumentException(param + " must have 4 values [top, left, bottom, right], got " + shown);
                    int[] p = new int[4];
                    for (int i = 0; i < 4; i++) {
                        if (l[i] < 0 || l[i] > Integer.MAX_VALUE) throw new IllegalArgumentException(param + " must not be negative, got " + shown);
                        p[i] = (int) l[i];
                    }
                    return new Padding("explicit", p);
                }
                default:
                    break;
            }
            throw new IllegalArgumentException(param + " must be " + description + ", got " + shown);
        }

        private static long[] ints(Object v) {
            if (v instanceof Long) return new long[] {(Long) v};
            if (!(v instanceof List) || ((List<?>) v).isEmpty()) return null;
            List<?> l = (List<?>) v;
            long[] r = new long[l.size()];
            for (int i = 0; i < r.length; i++) {
                if (!(l.get(i) instanceof Long)) return null;
                r[i] = (Long) l.get(i);
            }
            return r;
        }
    }

    /** A parameter that must be given. */
    public static LayerParam required(String name, Kind kind) { return new LayerParam(name, kind, null, null); }

    /** A parameter with a default value (a DSL value: Long, Double, Boolean or String). */
    public static LayerParam optional(String name, Kind kind, Object dflt) { return new LayerParam(name, kind, dflt, null); }

    /** A parameter whose default is the value of parameter {@code other}. */
    public static LayerParam defaultsTo(String name, Kind kind, String other) { return new LayerParam(name, kind, null, other); }

    /** True if the call may leave it out. */
    public boolean hasDefault() { return dflt != null || defaultFrom != null; }
}
