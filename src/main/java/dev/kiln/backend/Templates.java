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

    private final STGroup root = new STGroup();
    private final List<String> errors = new ArrayList<>();

    /** Loads the built-in groups of {@code backend} ({@code c}, {@code opencl}), after those in {@code override}. */
    public Templates(String backend, Path override) {
        STErrorListener listener = new STErrorListener() {
            @Override public void compileTimeError(STMessage msg) { errors.add(msg.toString()); }
            @Override public void runTimeError(STMessage msg) { errors.add(msg.toString()); }
            @Override public void IOError(STMessage msg) { errors.add(msg.toString()); }
            @Override public void internalError(STMessage msg) { errors.add(msg.toString()); }
        };
        root.setListener(listener);
        root.registerRenderer(String.class, new org.stringtemplate.v4.StringRenderer());
        if (override != null) {
            for (String sub : folders(backend)) {
                Path dir = override.resolve(sub);
                if (!Files.isDirectory(dir)) continue;
                try (Stream<Path> s = Files.list(dir)) {
                    for (Path p : s.filter(f -> f.toString().endsWith(".stg")).sorted().toList()) {
                        try {
                            load(p.toUri().toURL(), p.toString(), listener);
                        } catch (MalformedURLException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                } catch (IOException e) {
                    throw new KilnException(Code.IO_ERROR, Location.file(dir.toString()), "cannot list " + dir + ": " + e.getMessage());
                }
            }
        }
        for (String sub : folders(backend)) for (STGroup g : builtIn(sub)) root.importTemplates(g);
        check();
    }

    /**
     * The built-in groups of folder {@code templates/<sub>}, parsed once per thread and shared by every instance
     * that thread creates (parsing them all costs more than rendering a small model, and a test run generates
     * thousands). Not shared across threads: StringTemplate's groups are not safe to render from two threads at
     * once (under {@code mvn -T 2} a parallel build dropped whole list expansions, e.g. a parameter of
     * {@code _run}, from one model's header). A shared group reports its run-time errors to the instance rendering
     * on the calling thread ({@link #SINK}); a folder whose groups do not parse is not kept, so every instance
     * reports its errors.
     */
    private List<STGroup> builtIn(String sub) {
        java.util.Map<String, List<STGroup>> parsed = BUILT_IN.get();
        List<STGroup> groups = parsed.get(sub);
        if (groups != null) return groups;
        List<String> loadErrors = new ArrayList<>();
        List<STGroup> loaded = new ArrayList<>();
        List<String> saved = SINK.get();
        SINK.set(loadErrors);
        try {
            for (String f : Resources.list("templates/" + sub)) {
                if (!f.endsWith(".stg")) continue;
                String res = "templates/" + sub + "/" + f;
                STGroupFile g = new STGroupFile(Templates.class.getClassLoader().getResource(res), "UTF-8", '<', '>');
                g.setListener(FORWARD);
                g.load();
                loaded.add(g);
            }
        } finally {
            SINK.set(saved);
        }
        if (!loadErrors.isEmpty()) {
            errors.addAll(loadErrors);
            return loaded;
        }
        parsed.put(sub, List.copyOf(loaded));
        return parsed.get(sub);
    }

    /** This thread's parsed built-in groups by folder (see {@link #builtIn}). */
    private static final ThreadLocal<java.util.Map<String, List<STGroup>>> BUILT_IN = ThreadLocal.withInitial(java.util.HashMap::new);
    /** The error list of the instance using the shared groups on this thread. */
    private static final ThreadLocal<List<String>> SINK = new ThreadLocal<>();
    /** The shared groups' listener: an error goes to this thread's {@link #SINK}. */
    private static final STErrorListener FORWARD = new STErrorListener() {
        private void add(STMessage msg) {
            List<String> sink = SINK.get();
            if (sink == null) throw new IllegalStateException("template error outside a render: " + msg);
            sink.add(msg.toString());
        }
        @Override public void compileTimeError(STMessage msg) { add(msg); }
        @Override public void runTimeError(STMessage msg) { add(msg); }
        @Override public void IOError(STMessage msg) { add(msg); }
        @Override public void internalError(STMessage msg) { add(msg); }
    };

    /** Runs {@code work} with this instance's error list as the thread's {@link #SINK}. */
    private <T> T reporting(java.util.function.Supplier<T> work) {
        List<String> saved = SINK.get();
        SINK.set(errors);
        try {
            return work.get();
        } finally {
            SINK.set(saved);
        }
    }

    /** The template folders of {@code backend}, first one first: its own, its kernels, the shared kernels. */
    private static List<String> folders(String backend) { return List.of(backend, backend + "/ops", SHARED); }

    private void load(URL url, String name, STErrorListener listener) {
        STGroupFile g = new STGroupFile(url, "UTF-8", '<', '>');
        g.setListener(listener);
        g.load();
        root.importTemplates(g);
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
        return reporting(() -> root.isDefined(t) || root.lookupTemplate(t) != null);
    }

    /** The formal argument names of template {@code name} (see {@link #templateName}) in order, or null when there is none. */
    public List<String> arguments(String name) {
        ST st = reporting(() -> root.getInstanceOf(templateName(name)));
        if (st == null) return null;
        return st.impl.formalArguments == null ? List.of() : List.copyOf(st.impl.formalArguments.keySet());
    }

    /** The group file template {@code name} comes from ({@code .../templates/kernels/elementwise.stg}), or null. */
    public String origin(String name) {
        ST st = reporting(() -> root.getInstanceOf(templateName(name)));
        return st == null || st.impl.nativeGroup == null ? null : st.impl.nativeGroup.getFileName();
    }

    /** Renders template {@code name} with the given arguments (name, value pairs). */
    public String render(String name, Object... args) {
        return reporting(() -> renderNow(name, args));
    }

    private String renderNow(String name, Object... args) {
        ST st = root.getInstanceOf(name);
        if (st == null) throw new KilnException(Code.TEMPLATE_ERROR, Location.NONE, "no template '" + name + "'");
        for (int i = 0; i < args.length; i += 2) st.add((String) args[i], args[i + 1]);
        String out = st.render(100);
        check();
        return out;
    }

    /**
     * Renders template {@code name} like {@link #render} but without StringTemplate's automatic indentation, for
     * megabytes of generated data (weights): the template writes each line's indentation itself. {@code sizeHint}
     * is the expected length in characters (the buffer is allocated once instead of doubling up to it).
     */
    public String renderUnindented(long sizeHint, String name, Object... args) {
        return reporting(() -> renderUnindentedNow(sizeHint, name, args));
    }

    private String renderUnindentedNow(long sizeHint, String name, Object... args) {
        ST st = root.getInstanceOf(name);
        if (st == null) throw new KilnException(Code.TEMPLATE_ERROR, Location.NONE, "no template '" + name + "'");
        for (int i = 0; i < args.length; i += 2) st.add((String) args[i], args[i + 1]);
        java.io.StringWriter out = new java.io.StringWriter((int) Math.min(Integer.MAX_VALUE - 16, Math.max(1 << 16, sizeHint)));
        try {
            st.write(new org.stringtemplate.v4.NoIndentWriter(out));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // why: a StringWriter never throws
        }
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
