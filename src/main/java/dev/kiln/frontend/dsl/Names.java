package dev.kiln.frontend.dsl;

import dev.kiln.frontend.dsl.parser.KilnParser;

/** Reads DSL names: plain identifiers as written, backquoted ones without quotes and with doubled backquotes undone. */
final class Names {
    private Names() {}

    /** The name a {@code name} node spells. */
    static String text(KilnParser.NameContext n) {
        String s = n.getText();
        if (s.startsWith("`") && s.endsWith("`") && s.length() >= 2) return s.substring(1, s.length() - 1).replace("``", "`");
        return s;
    }

    /** The characters a string literal spells (escapes {@code \"}, {@code \\}, {@code \n}, {@code \t} undone). */
    static String string(String token) {
        String s = token.substring(1, token.length() - 1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char e = s.charAt(++i);
                b.append(e == 'n' ? '\n' : e == 't' ? '\t' : e);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
