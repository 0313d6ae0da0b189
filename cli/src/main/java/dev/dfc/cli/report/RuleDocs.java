package dev.dfc.cli.report;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What docs/diagnostics.md (bundled in the jar) says about each code: its title, from the
 * {@code ### DF1001: syntax error} heading, and the heading's anchor as GitHub renders it, so a
 * SARIF rule's help link lands on the code's section. The document is the one source of titles.
 */
final class RuleDocs {
    /** Where the documentation is read online; the anchors are appended to it. */
    static final String DOCS_URL = "https://github.com/dfc-dev/dfc/blob/main/docs/diagnostics.md";
    static final String INFORMATION_URL = "https://github.com/dfc-dev/dfc";

    private static final Pattern HEADING = Pattern.compile("^###\\s+((DF\\d{4})\\b.*?)\\s*$", Pattern.MULTILINE);
    private static final Pattern TITLE = Pattern.compile("^DF\\d{4}(?:\\s*\\([^)]*\\))?\\s*:\\s*(.*)$");
    private static final Map<String, Rule> RULES = load();

    record Rule(String code, String title, String helpUri) {}

    private RuleDocs() {}

    /** The code's rule; a code missing from the document gets the code as title and the page as help. */
    static Rule rule(String code) {
        Rule r = RULES.get(code);
        return r != null ? r : new Rule(code, code, DOCS_URL);
    }

    private static Map<String, Rule> load() {
        try (InputStream in = RuleDocs.class.getResourceAsStream("diagnostics.md")) {
            return in == null ? Map.of() : parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Map.of();
        }
    }

    static Map<String, Rule> parse(String markdown) {
        Map<String, Rule> rules = new LinkedHashMap<>();
        Matcher m = HEADING.matcher(markdown);
        while (m.find()) {
            String heading = m.group(1);
            Matcher t = TITLE.matcher(heading);
            String title = t.matches() ? t.group(1).replace("`", "") : heading;
            rules.putIfAbsent(m.group(2), new Rule(m.group(2), title, DOCS_URL + "#" + anchor(heading)));
        }
        return rules;
    }

    /**
     * GitHub's anchor for a heading: inline-code backticks dropped, lower case, every character
     * other than a letter, digit, space, '-' or '_' removed, spaces to '-'.
     */
    static String anchor(String heading) {
        String text = heading.replace("`", "").toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(cp -> {
            if (cp == ' ') out.append('-');
            else if (Character.isLetterOrDigit(cp) || cp == '-' || cp == '_') out.appendCodePoint(cp);
        });
        return out.toString();
    }
}
