package dev.dfc.cli.report;

import dev.dfc.cli.VersionProvider;
import dev.dfc.compiler.diag.Diagnostic;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The machine-readable forms of a list of diagnostics (docs/cli.md, "Output formats"): dfc's own
 * JSON, SARIF 2.1.0 for code scanning, and GitHub Actions workflow commands. Positions come from
 * {@link Region}: 1-based, columns in UTF-16 code units, end exclusive.
 */
final class MachineReports {
    static final String SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
    static final String COLUMN_KIND = "utf16CodeUnits";

    private MachineReports() {}

    /** {@code {"version": 1, "columnKind": ..., "diagnostics": [...], "summary": {...}}}. */
    static String json(List<Diagnostic> diagnostics) {
        List<Object> list = new ArrayList<>();
        for (Diagnostic d : diagnostics) {
            Region r = Region.of(d.span());
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("file", r == null ? null : r.path());
            o.put("line", r == null ? null : r.line());
            o.put("column", r == null ? null : r.column());
            o.put("endLine", r == null ? null : r.endLine());
            o.put("endColumn", r == null ? null : r.endColumn());
            o.put("severity", d.severity().label());
            o.put("code", d.code());
            o.put("message", d.message());
            o.put("hint", d.hint());
            list.add(o);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", 1);
        root.put("columnKind", COLUMN_KIND);
        root.put("diagnostics", list);
        root.put("summary", summary(diagnostics));
        return JsonText.write(root);
    }

    private static Map<String, Object> summary(List<Diagnostic> diagnostics) {
        long errors = diagnostics.stream().filter(Diagnostic::isError).count();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("errors", errors);
        s.put("warnings", diagnostics.size() - errors);
        return s;
    }

    /** One run of tool dfc; one rule per code that occurs, sorted by code; one result per diagnostic. */
    static String sarif(List<Diagnostic> diagnostics) {
        Map<String, Integer> ruleIndex = new TreeMap<>();
        for (Diagnostic d : diagnostics) ruleIndex.put(d.code(), 0);
        List<Object> rules = new ArrayList<>();
        for (Map.Entry<String, Integer> e : ruleIndex.entrySet()) {
            e.setValue(rules.size());
            RuleDocs.Rule rule = RuleDocs.rule(e.getKey());
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("id", rule.code());
            r.put("shortDescription", Map.of("text", rule.title()));
            r.put("helpUri", rule.helpUri());
            r.put("defaultConfiguration", Map.of("level", defaultLevel(diagnostics, rule.code())));
            rules.add(r);
        }
        List<Object> results = new ArrayList<>();
        for (Diagnostic d : diagnostics) {
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("ruleId", d.code());
            res.put("ruleIndex", ruleIndex.get(d.code()));
            res.put("level", d.isError() ? "error" : "warning");
            res.put("message", Map.of("text", d.hint() == null ? d.message() : d.message() + "\nhint: " + d.hint()));
            Region r = Region.of(d.span());
            if (r != null) {
                Map<String, Object> region = new LinkedHashMap<>();
                region.put("startLine", r.line());
                region.put("startColumn", r.column());
                region.put("endLine", r.endLine());
                region.put("endColumn", r.endColumn());
                Map<String, Object> physical = new LinkedHashMap<>();
                physical.put("artifactLocation", Map.of("uri", r.uri()));
                physical.put("region", region);
                res.put("locations", List.of(Map.of("physicalLocation", physical)));
            }
            results.add(res);
        }
        Map<String, Object> driver = new LinkedHashMap<>();
        driver.put("name", "dfc");
        driver.put("version", VersionProvider.version());
        driver.put("informationUri", RuleDocs.INFORMATION_URL);
        driver.put("rules", rules);
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("tool", Map.of("driver", driver));
        run.put("columnKind", COLUMN_KIND);
        run.put("results", results);
        Map<String, Object> log = new LinkedHashMap<>();
        log.put("$schema", SARIF_SCHEMA);
        log.put("version", "2.1.0");
        log.put("runs", List.of(run));
        return JsonText.write(log);
    }

    /** The code's severity when all its diagnostics agree (they do: a code has one severity). */
    private static String defaultLevel(List<Diagnostic> diagnostics, String code) {
        return diagnostics.stream().anyMatch(d -> d.code().equals(code) && d.isError()) ? "error" : "warning";
    }

    /**
     * One {@code ::error} or {@code ::warning} workflow command per diagnostic. Columns only
     * when the diagnostic starts and ends on one line (GitHub ignores them otherwise); GitHub's
     * {@code endColumn} is the last column, inclusive.
     */
    static String github(List<Diagnostic> diagnostics) {
        StringBuilder out = new StringBuilder();
        for (Diagnostic d : diagnostics) {
            out.append("::").append(d.isError() ? "error" : "warning").append(' ');
            Region r = Region.of(d.span());
            List<String> props = new ArrayList<>();
            if (r != null) {
                props.add("file=" + property(r.path()));
                props.add("line=" + r.line());
                props.add("endLine=" + r.endLine());
                if (r.endLine() == r.line()) {
                    props.add("col=" + r.column());
                    props.add("endColumn=" + Math.max(r.column(), r.endColumn() - 1));
                }
            }
            props.add("title=" + property(d.code()));
            out.append(String.join(",", props)).append("::");
            out.append(data(d.hint() == null ? d.message() : d.message() + "\nhint: " + d.hint())).append('\n');
        }
        return out.toString();
    }

    /** Escapes a workflow command's message: '%', CR and LF. */
    static String data(String s) {
        return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A");
    }

    /** Escapes a workflow command's property value: as {@link #data}, plus ':' and ','. */
    static String property(String s) {
        return data(s).replace(":", "%3A").replace(",", "%2C");
    }
}
