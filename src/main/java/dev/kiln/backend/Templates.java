package dev.kiln.backend;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.stringtemplate.v4.ST;
import org.stringtemplate.v4.STErrorListener;
import org.stringtemplate.v4.STGroup;
import org.stringtemplate.v4.STGroupFile;
import org.stringtemplate.v4.compiler.CompiledST;
import org.stringtemplate.v4.misc.STMessage;

/**
 * A backend's StringTemplate groups: {@code templates/<backend>/*.stg} (its dialect table among them),
 * {@code templates/<backend>/ops/*.stg} (its own kernel bodies) and the shared kernel bodies of
 * {@code templates/kernels/*.stg}, merged into one namespace in that order, so a backend's template overrides a
 * shared one of the same name. A user folder ({@code --templates DIR}) comes first: a group file in
 * {@code DIR/<backend>/}, {@code DIR/<backend>/ops/} or {@code DIR/kernels/} overrides the built-in templates of
 * the same names and may call every other built-in one.
 */
public final class Templates {
    /** The folder of the kernel bodies every backend shares, rendered through each backend's dialect table. */
    public static final String SHARED = "kernels";

    /** Where a template definition starts: its name at the start of a line, then its arguments or {@code ::=}. */
    private static final java.util.regex.Pattern DEFINITION =
            java.util.regex.Pattern.compile("^(\\w+)\\s*(?:\\([^)]*\\))?\\s*::=", java.util.regex.Pattern.MULTILINE);

    /** Built-in groups parsed in this JVM, by resource path: each is read once, when first needed, then shared. */
    private static final java.util.Map<String, Group> BUILT_IN = new java.util.HashMap<>();
    /** The built-in group resources of each backend, first one first (listing the jar costs tens of milliseconds). */
    private static final java.util.Map<String, List<String>> RESOURCES = new java.util.HashMap<>();
    /** The errors of the templates this thread is rendering or loading (built-in groups are shared by every instance). */
    private static final ThreadLocal<List<String>> CURRENT = new ThreadLocal<>();
    /** Where the shared built-in groups report errors: to the {@link Templates} working on this thread. */
    private static final STErrorListener SHARED_LISTENER = listener(() -> CURRENT.get());

    private final Root root = new Root();
    private final List<String> errors = new ArrayList<>();
    /** The user's groups ({@code --templates DIR}), loaded eagerly: they come before every built-in one. */
    private final List<STGroup> overrides = new ArrayList<>();
    /** This backend's built-in groups, first one first. */
    private final List<Group> builtIn = new ArrayList<>();

    /**
     * The built-in groups of {@code backend} ({@code c}, {@code opencl}), after those in {@code override}. A
     * built-in group is parsed when a template it defines is first looked up (most compiles need a few of them),
     * and once per JVM.
     */
    public Templates(String backend, Path override) {
        STErrorListener listener = listener(() -> errors);
        root.setListener(listener);
        root.registerRenderer(String.class, new org.stringtemplate.v4.StringRenderer());
        if (override != null) {
            for (String sub : folders(backend)) {
                Path dir = override.resolve(sub);
                if (!Files.isDirectory(dir)) continue;
                try (Stream<Path> s = Files.list(dir)) {
                    for (Path p : s.filter(f -> f.toString().endsWith(".stg")).sorted().toList()) {
                        try {
                            STGroupFile g = new STGroupFile(p.toUri().toURL(), "UTF-8", '<', '>');
                            g.setListener(listener);
                            g.load();
                            overrides.add(g);
                        } catch (MalformedURLException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                } catch (IOException e) {
                    throw new KilnException(Code.IO_ERROR, Location.file(dir.toString()), "cannot list " + dir + ": " + e.getMessage());
                }
            }
        }
        for (String res : resources(backend)) builtIn.add(group(res));
        check();
    }

    /** The template folders of {@code backend}, first one first: its own, its kernels, the shared kernels. */
    private static List<String> folders(String backend) { return List.of(backend, backend + "/ops", SHARED); }

    /** The built-in group resources of {@code backend}, first one first. */
    private static List<String> resources(String backend) {
        synchronized (RESOURCES) {
            return RESOURCES.computeIfAbsent(backend, b -> {
                List<String> r = new ArrayList<>();
                for (String sub : folders(b))
                    for (String f : Resources.list("templates/" + sub)) if (f.endsWith(".stg")) r.add("templates/" + sub + "/" + f);
                return List.copyOf(r);
            });
        }
    }

    /** The shared built-in group of resource {@code res}, indexed (its text scanned for names) but not parsed. */
    private static Group group(String res) {
        synchronized (BUILT_IN) {
            return BUILT_IN.computeIfAbsent(res, r -> {
                String text = Resources.read(r);
                if (text == null) throw new IllegalStateException(r + " is missing from Kiln's resources");
                java.util.Set<String> names = new java.util.HashSet<>();
                java.util.regex.Matcher m = DEFINITION.matcher(text);
                while (m.find()) names.add("/" + m.group(1));
                return new Group(r, names);
            });
        }
    }

    /** A listener that adds every message to the list {@code sink} gives (none: the message is dropped). */
    private static STErrorListener listener(java.util.function.Supplier<List<String>> sink) {
        return new STErrorListener() {
            private void add(STMessage msg) {
                List<String> l = sink.get();
                if (l != null) l.add(msg.toString());
            }
            @Override public void compileTimeError(STMessage msg) { add(msg); }
            @Override public void runTimeError(STMessage msg) { add(msg); }
            @Override public void IOError(STMessage msg) { add(msg); }
            @Override public void internalError(STMessage msg) { add(msg); }
        };
    }

    /**
     * One built-in group file: the names it defines (from a scan of its text, which may name a few that are not
     * templates) and, once a lookup needs it, the parsed group.
     */
    private static final class Group {
        final String resource;
        final java.util.Set<String> names;
        private STGroupFile parsed;

        Group(String resource, java.util.Set<String> names) {
            this.resource = resource;
            this.names = names;
        }

        synchronized boolean isParsed() { return parsed != null; }

        /** The parsed group: parsed on first use, errors going to the thread's current {@link Templates}. */
        synchronized STGroupFile parsed() {
            if (parsed == null) {
                STGroupFile g = new STGroupFile(Templates.class.getClassLoader().getResource(resource), "UTF-8", '<', '>');
                g.setListener(SHARED_LISTENER);
                g.load();
                parsed = g;
            }
            return parsed;
        }
    }

    /**
     * The group every template is instantiated from (so each call inside a template is looked up here): the
     * user's groups first, then the built-in groups in order, parsing only those whose text defines the name; a
     * name no scan found (an anonymous subtemplate, a missing name) is looked up in the parsed groups, then in
     * every built-in group.
     */
    private final class Root extends STGroup {
        @Override
        public synchronized CompiledST lookupTemplate(String name) {
            String n = name.charAt(0) == '/' ? name : "/" + name;
            CompiledST code = rawGetTemplate(n);
            if (code == NOT_FOUND_ST) return null;
            if (code != null) return code;
            return reporting(() -> find(n));
        }

        /** The first definition of {@code name} (absolute: {@code /max_pool}) in the order above, or null; remembered. */
        private CompiledST find(String name) {
            CompiledST code = null;
            for (STGroup g : overrides) if ((code = g.lookupTemplate(name)) != null) break;
            if (code == null) for (Group g : builtIn) if (g.names.contains(name) && (code = g.parsed().lookupTemplate(name)) != null) break;
            // why: an anonymous subtemplate ({x | ...}) is named when its group is parsed, so that group is parsed already
            if (code == null) for (Group g : builtIn) if (g.isParsed() && (code = g.parsed().lookupTemplate(name)) != null) break;
            if (code == null) for (Group g : builtIn) if ((code = g.parsed().lookupTemplate(name)) != null) break;
            templates.put(name, code == null ? NOT_FOUND_ST : code);
            return code;
        }
    }

    /** Parses every built-in group of this backend now (the template-contract tests check them all); returns this. */
    public Templates loadAll() {
        reporting(() -> {
            for (Group g : builtIn) g.parsed();
            return null;
        });
        check();
        return this;
    }

    /** StringTemplate's reserved words, which cannot name a template. */
    private static final java.util.Set<String> RESERVED = java.util.Set.of("if", "else", "elseif", "endif", "true", "false",
            "super", "import", "default", "key", "group", "implements", "first", "last", "rest", "trunc", "strip", "trim",
            "length", "strlen", "reverse");

    /** The template that renders op {@code op}: its name, with {@code _} appended when the name is one of StringTemplate's words ({@code if_}). */
    public static String templateName(String op) { return RESERVED.contains(op) ? op + "_" : op; }

    /** Whether a template of this name (or of the op of this name, see {@link #templateName}) exists in any group. */
    public boolean has(String name) {
        String t = templateName(name);
        return root.isDefined(t) || root.lookupTemplate(t) != null;
    }

    /** The formal argument names of template {@code name} (see {@link #templateName}) in order, or null when there is none. */
    public List<String> arguments(String name) {
        ST st = root.getInstanceOf(templateName(name));
        if (st == null) return null;
        return st.impl.formalArguments == null ? List.of() : List.copyOf(st.impl.formalArguments.keySet());
    }

    /** The group file template {@code name} comes from ({@code .../templates/kernels/elementwise.stg}), or null. */
    public String origin(String name) {
        ST st = root.getInstanceOf(templateName(name));
        return st == null || st.impl.nativeGroup == null ? null : st.impl.nativeGroup.getFileName();
    }

    /** Renders template {@code name} with the given arguments (name, value pairs). */
    public String render(String name, Object... args) {
        ST st = instance(name, args);
        String out = reporting(() -> st.render(100));
        check();
        return out;
    }

    /** An instance of template {@code name} with the given arguments (name, value pairs); fails when there is none. */
    private ST instance(String name, Object... args) {
        ST st = root.getInstanceOf(name);
        if (st == null) throw new KilnException(Code.TEMPLATE_ERROR, Location.NONE, "no template '" + name + "'");
        for (int i = 0; i < args.length; i += 2) st.add((String) args[i], args[i + 1]);
        return st;
    }

    /** {@code work}'s result, with the errors of the shared built-in groups on this thread going to this instance. */
    private <T> T reporting(java.util.function.Supplier<T> work) {
        List<String> previous = CURRENT.get();
        CURRENT.set(errors);
        try {
            return work.get();
        } finally {
            CURRENT.set(previous);
        }
    }

    /**
     * Renders template {@code name} like {@link #render} but without StringTemplate's automatic indentation, for
     * megabytes of generated data (weights): the template writes each line's indentation itself. {@code sizeHint}
     * is the expected length in characters (the buffer is allocated once instead of doubling up to it).
     */
    public String renderUnindented(long sizeHint, String name, Object... args) {
        ST st = instance(name, args);
        java.io.StringWriter out = new java.io.StringWriter((int) Math.min(Integer.MAX_VALUE - 16, Math.max(1 << 16, sizeHint)));
        reporting(() -> {
            try {
                return st.write(new org.stringtemplate.v4.NoIndentWriter(out));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e); // why: a StringWriter never throws
            }
        });
        check();
        return out.toString();
    }

    private void check() {
        if (errors.isEmpty()) return;
        String all = String.join("\n  ", errors);
        errors.clear();
        throw new KilnException(Code.TEMPLATE_ERROR, Location.NONE, "template error:\n  " + all)
                .withHint("check the .stg files given with --templates, or report a bug if they are Kiln's own");
    }
}
