package dev.kiln.maven;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.TestFiles;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * README's "Use it from Maven" tables name every parameter of both goals, as the plugin descriptor Maven
 * generated from the Mojo classes lists them.
 */
class ReadmeParametersTest {
    @Test
    void everyGoalParameterIsInTheReadme() throws Exception {
        String readme = Files.readString(TestFiles.root().resolve("README.md"));
        int from = readme.indexOf("## Use it from Maven");
        assertTrue(from >= 0, "README lacks the section '## Use it from Maven'");
        String section = readme.substring(from, readme.indexOf("\n## ", from + 1));
        int compile = section.indexOf("**`compile`**");
        int check = section.indexOf("**`check`**");
        assertTrue(compile >= 0 && check > compile, "the section has no **`compile`** and **`check`** tables");
        Document d;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/maven/plugin.xml")) {
            assertTrue(in != null, "no plugin descriptor on the class path: build with Maven (maven-plugin-plugin writes it at process-classes)");
            d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in);
        }
        List<String> missing = new ArrayList<>();
        NodeList mojos = d.getElementsByTagName("mojo");
        assertTrue(mojos.getLength() >= 2);
        for (int i = 0; i < mojos.getLength(); i++) {
            Element mojo = (Element) mojos.item(i);
            String goal = text(mojo, "goal");
            String table = goal.equals("compile") ? section.substring(compile, check) : section.substring(check);
            Element params = (Element) mojo.getElementsByTagName("parameters").item(0);
            NodeList ps = params.getElementsByTagName("parameter");
            for (int j = 0; j < ps.getLength(); j++) {
                Element p = (Element) ps.item(j);
                if (!Boolean.parseBoolean(text(p, "editable"))) continue;
                if (!table.contains("`" + text(p, "name") + "`")) missing.add(goal + ":" + text(p, "name"));
            }
        }
        assertFalse(mojos.getLength() == 0);
        assertTrue(missing.isEmpty(), "README's Maven tables lack " + missing);
    }

    private static String text(Element e, String child) {
        for (org.w3c.dom.Node n = e.getFirstChild(); n != null; n = n.getNextSibling())
            if (n instanceof Element c && c.getTagName().equals(child)) return c.getTextContent().trim();
        return "";
    }
}
