package dev.kiln.frontend.dsl;

import org.antlr.v4.runtime.Token;

/**
 * One evaluated call argument: positional ({@code key} null) or keyword, its value (see {@link DslValues})
 * and where it was written ({@code at}: the value; {@code keyAt}: the keyword).
 */
record Arg(String key, Token keyAt, Object value, Token at) {
    boolean positional() { return key == null; }
}
