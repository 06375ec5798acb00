package dev.kiln.ops;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-op methods found by reflection: the way backends and passes attach op-specific code (a C lowering, an int8
 * rule) without a switch over op names. A method belongs to the op its name spells in camelCase
 * ({@code average_pool} → {@code averagePool}, see {@link #methodName}).
 */
public final class OpMethods {
    private OpMethods() {}

    /**
     * The public static methods of {@code owners} whose parameter types are exactly {@code params} and whose return
     * type is {@code returns} (any when null), by name. Two with one name is a programming error ({@code what}
     * names the kind in the message). The map is immutable: registries built from it are shared by every thread
     * of a parallel Maven build.
     */
    public static Map<String, Method> collect(String what, Class<?>[] owners, Class<?> returns, Class<?>... params) {
        Map<String, Method> r = new HashMap<>();
        for (Class<?> c : owners) {
            for (Method m : c.getDeclaredMethods()) {
                if (!Modifier.isPublic(m.getModifiers()) || !Modifier.isStatic(m.getModifiers())) continue;
                if (!Arrays.equals(m.getParameterTypes(), params) || (returns != null && m.getReturnType() != returns)) continue;
                if (r.put(m.getName(), m) != null) throw new IllegalStateException("two " + what + " for " + m.getName());
            }
        }
        return Map.copyOf(r);
    }

    /** {@code average_pool} → {@code averagePool}; a Java keyword gets {@code _} appended ({@code if} → {@code if_}). */
    public static String methodName(String op) {
        String s = camel(op);
        return javax.lang.model.SourceVersion.isKeyword(s) ? s + "_" : s;
    }

    private static String camel(String op) {
        StringBuilder b = new StringBuilder();
        boolean up = false;
        for (char ch : op.toCharArray()) {
            if (ch == '_') {
                up = true;
            } else {
                b.append(up ? Character.toUpperCase(ch) : ch);
                up = false;
            }
        }
        return b.toString();
    }
}
