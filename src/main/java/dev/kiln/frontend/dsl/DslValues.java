package dev.kiln.frontend.dsl;

import dev.kiln.ir.NdArray;
import dev.kiln.ir.Value;
import java.util.List;
import org.antlr.v4.runtime.Token;

/**
 * The values DSL arguments evaluate to: a tensor ({@link Value}), a Long, Double, Boolean or String,
 * a {@code List} of values, a typed literal ({@link NdArray}), a bare {@link Symbol}, {@link #ABSENT}
 * ({@code _}) or {@link #POISON} (the result of a statement that failed; using it fails silently).
 */
final class DslValues {
    private DslValues() {}

    /**
     * An identifier bound to nothing: a string where the callee expects one, else an undefined name
     * ({@code near}: the closest bound name, for the message, or null).
     */
    record Symbol(String name, Token at, String near) {}

    /** A skipped optional input ({@code _}). */
    static final Object ABSENT = new Object() {
        @Override
        public String toString() { return "_"; }
    };

    /** What a failed statement binds its targets to, so later uses do not repeat its error. */
    static final Object POISON = new Object() {
        @Override
        public String toString() { return "<error>"; }
    };

    /** How a value reads in a message: {@code 3}, {@code "big"}, {@code [1, 2]}, {@code tensor x: f32[1, 4]}. */
    static String describe(Object v) {
        if (v instanceof Value) return "tensor " + ((Value) v).name() + ": " + ((Value) v).type();
        if (v instanceof String) return "\"" + v + "\"";
        if (v instanceof Symbol) return ((Symbol) v).name();
        if (v instanceof NdArray) return "a " + ((NdArray) v).type() + " literal";
        if (v instanceof Double) return Literals.formatDouble((Double) v);
        if (v instanceof List) {
            StringBuilder b = new StringBuilder("[");
            for (Object o : (List<?>) v) b.append(b.length() > 1 ? ", " : "").append(describe(o));
            return b.append(']').toString();
        }
        return String.valueOf(v);
    }
}
