package dev.kiln.backend;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/** Kiln's bundled resource folders (templates/, targets/, runtime-c/), read from the jar or the classes folder. */
public final class Resources {
    private Resources() {}

    /** The text of a bundled resource, or null when there is none. */
    public static String read(String path) {
        try (InputStream in = Resources.class.getClassLoader().getResourceAsStream(path)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file names directly inside a bundled folder, sorted (so every listing is deterministic). */
    public static List<String> list(String folder) {
        TreeSet<String> names = new TreeSet<>();
        try {
            Enumeration<URL> urls = Resources.class.getClassLoader().getResources(folder);
            while (urls.hasMoreElements()) {
                URL u = urls.nextElement();
                if (u.getProtocol().equals("file")) {
                    try (Stream<Path> s = Files.list(Path.of(u.toURI()))) {
                        s.filter(Files::isRegularFile).forEach(p -> names.add(p.getFileName().toString()));
                    }
                } else if (u.getProtocol().equals("jar")) {
                    String spec = u.getPath();
                    String jar = spec.substring("file:".length(), spec.indexOf('!'));
                    try (JarFile jf = new JarFile(java.net.URLDecoder.decode(jar, StandardCharsets.UTF_8))) {
                        Enumeration<JarEntry> es = jf.entries();
                        String prefix = folder + "/";
                        while (es.hasMoreElements()) {
                            String n = es.nextElement().getName();
                            if (n.startsWith(prefix) && n.length() > prefix.length() && n.indexOf('/', prefix.length()) < 0)
                                names.add(n.substring(prefix.length()));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return new ArrayList<>(names);
    }
}
