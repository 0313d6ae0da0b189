package dev.dfc.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.dfc.cli.ExitCode;
import dev.dfc.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dfc check --format=json|sarif|github, run in-process. */
class CheckFormatsTest {
    /** Two errors (one with a hint) and a warning, on lines 1-3; 'é' and '🎉' before a column to count. */
    private static final String SOURCE = """
            CREATE WORKFLOW w (n int) AS
                'SELECT ''🎉''' |=> 'a' ~> df.retyr(3) ~> 'SELECT $zz';
            CREATE WORKFLOW v () AS 'SELECT 1';
            """;

    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {}

    private static Run dfc(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    private String file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p.toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> obj(Object o) {
        assertTrue(o instanceof Map, () -> "not an object: " + o);
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> arr(Object o) {
        assertTrue(o instanceof List, () -> "not an array: " + o);
        return (List<Object>) o;
    }

    @Test
    void jsonHasOneObjectPerDiagnosticAndCounts() throws IOException {
        String path = file("f.dfsql", SOURCE);

        Run run = dfc("check", "--format=json", path);

        assertEquals(ExitCode.FAILED, run.exitCode(), run.err());
        Map<String, Object> root = obj(MiniJson.parse(run.out()));
        assertEquals(List.of("version", "columnKind", "diagnostics", "summary"), List.copyOf(root.keySet()));
        assertEquals(1L, root.get("version"));
        assertEquals("utf16CodeUnits", root.get("columnKind"));
        assertEquals(Map.of("errors", 2L, "warnings", 1L), root.get("summary"));
        List<Object> ds = arr(root.get("diagnostics"));
        assertEquals(3, ds.size());
        for (Object o : ds) {
            assertEquals(List.of("file", "line", "column", "endLine", "endColumn", "severity", "code", "message", "hint"),
                    List.copyOf(obj(o).keySet()), "every key always present");
        }
        Map<String, Object> retyr = obj(ds.stream().filter(o -> "DF3001".equals(obj(o).get("code"))).findFirst().orElseThrow());
        assertEquals(path, retyr.get("file"));
        assertEquals(2L, retyr.get("line"));
        // 'SELECT ''🎉''' is 15 UTF-16 units (the emoji is two): 4 + 15 + " |=> 'a' ~> ".length() + 1
        assertEquals(32L, retyr.get("column"));
        assertEquals(2L, retyr.get("endLine"));
        assertEquals(40L, retyr.get("endColumn"), "exclusive end: 'df.retyr' is 8 units");
        assertEquals("error", retyr.get("severity"));
        assertEquals("unknown node function 'df.retyr'", retyr.get("message"));
        assertEquals("did you mean 'df.retry'?", retyr.get("hint"));
        Map<String, Object> unused = obj(ds.get(0));
        assertEquals("warning", unused.get("severity"));
        assertNull(unused.get("hint"));
    }

    @Test
    void cleanFileGivesAnEmptyListAndExit0() throws IOException {
        Run run = dfc("check", "--format=json", file("ok.dfsql", "CREATE WORKFLOW w () AS 'SELECT 1';\n"));

        assertEquals(ExitCode.OK, run.exitCode(), run.err());
        Map<String, Object> root = obj(MiniJson.parse(run.out()));
        assertEquals(List.of(), root.get("diagnostics"));
        assertEquals(Map.of("errors", 0L, "warnings", 0L), root.get("summary"));
    }

    @Test
    void sarifHasTheRequiredPropertiesOfTheSchema() throws IOException {
        String path = file("f.dfsql", SOURCE);

        Run run = dfc("check", "--format=sarif", path);

        assertEquals(ExitCode.FAILED, run.exitCode(), run.err());
        validateSarif(MiniJson.parse(run.out()));
        Map<String, Object> run0 = obj(arr(obj(MiniJson.parse(run.out())).get("runs")).get(0));
        Map<String, Object> driver = obj(obj(run0.get("tool")).get("driver"));
        assertEquals("dfc", driver.get("name"));
        List<Object> rules = arr(driver.get("rules"));
        assertEquals(List.of("DF2001", "DF2101", "DF3001"), rules.stream().map(r -> obj(r).get("id")).toList(), "one rule per code used, sorted");
        Map<String, Object> df3001 = obj(rules.get(2));
        assertEquals("unknown node function", obj(df3001.get("shortDescription")).get("text"));
        assertTrue(((String) df3001.get("helpUri")).endsWith("docs/diagnostics.md#df3001-unknown-node-function"), df3001.toString());
        List<Object> results = arr(run0.get("results"));
        assertEquals(3, results.size());
        Map<String, Object> res = obj(results.stream().filter(r -> "DF3001".equals(obj(r).get("ruleId"))).findFirst().orElseThrow());
        assertEquals("error", res.get("level"));
        assertEquals("unknown node function 'df.retyr'\nhint: did you mean 'df.retry'?", obj(res.get("message")).get("text"));
        Map<String, Object> loc = obj(obj(arr(res.get("locations")).get(0)).get("physicalLocation"));
        assertEquals(path.replace('\\', '/'), obj(loc.get("artifactLocation")).get("uri"));
        assertEquals(Map.of("startLine", 2L, "startColumn", 32L, "endLine", 2L, "endColumn", 40L), loc.get("region"));
        assertEquals("warning", obj(results.get(0)).get("level"));
    }

    @Test
    void sarifRelativePathWithSpaceIsAUriReference() throws IOException {
        file("a b.dfsql", "CREATE WORKFLOW w () AS 'SELECT 1' ~>;\n");
        String relative = Path.of("").toAbsolutePath().relativize(dir.resolve("a b.dfsql")).toString();

        Run run = dfc("check", "--format=sarif", relative);

        validateSarif(MiniJson.parse(run.out()));
        assertTrue(run.out().contains("\"uri\": \"" + relative.replace('\\', '/').replace(" ", "%20") + "\""), run.out());
    }

    @Test
    void sarifWithoutProblemsHasAnEmptyRun() throws IOException {
        Run run = dfc("check", "--format=sarif", file("ok.dfsql", "CREATE WORKFLOW w () AS 'SELECT 1';\n"));

        assertEquals(ExitCode.OK, run.exitCode());
        validateSarif(MiniJson.parse(run.out()));
        assertTrue(run.out().contains("\"results\": []"), run.out());
    }

    @Test
    void githubPrintsOneWorkflowCommandPerDiagnostic() throws IOException {
        String path = file("f.dfsql", SOURCE);

        Run run = dfc("check", "--format=github", path);

        assertEquals(ExitCode.FAILED, run.exitCode(), run.err());
        List<String> lines = run.out().lines().toList();
        assertEquals(3, lines.size(), run.out());
        String f = MachineReports.property(path);
        assertEquals("::warning file=" + f + ",line=1,endLine=1,col=20,endColumn=20,title=DF2101::parameter 'n' is never used", lines.get(0));
        assertEquals("::error file=" + f + ",line=2,endLine=2,col=32,endColumn=39,title=DF3001::unknown node function 'df.retyr'%0Ahint: did you mean 'df.retry'?",
                lines.get(1));
        assertTrue(lines.get(2).startsWith("::error file=" + f + ",line=2,"), lines.get(2));
    }

    @Test
    void githubEscapesDataAndProperties() {
        assertEquals("100%25 a%0D%0Ab: c, d", MachineReports.data("100% a\r\nb: c, d"));
        assertEquals("dir%2Cx/a%3Ab%25.dfsql", MachineReports.property("dir,x/a:b%.dfsql"));
    }

    @Test
    void pathWithCommaAndColonIsEscapedInTheFileProperty() throws IOException {
        String path = file("a,b:c.dfsql", "CREATE WORKFLOW w () AS 'SELECT 1' ~>;\n");

        Run run = dfc("check", "--format=github", path);

        assertTrue(run.out().startsWith("::error file=" + path.replace(",", "%2C").replace(":", "%3A") + ",line=1,"), run.out());
    }

    @Test
    void exitCodesAreTheSameInEveryFormat() throws IOException {
        String warn = file("warn.dfsql", "CREATE WORKFLOW w (n int) AS 'SELECT 1';\n");
        for (String format : List.of("text", "json", "sarif", "github")) {
            assertEquals(ExitCode.OK, dfc("check", "--format=" + format, warn).exitCode(), format);
            assertEquals(ExitCode.FAILED, dfc("check", "-W", "--format=" + format, warn).exitCode(), format);
            assertEquals(ExitCode.USAGE, dfc("check", "--format=" + format, dir.resolve("missing.dfsql").toString()).exitCode(), format);
        }
    }

    @Test
    void unknownFormatIsAUsageErrorListingTheFormats() throws IOException {
        Run run = dfc("check", "--format=xml", file("ok.dfsql", "CREATE WORKFLOW w () AS 'SELECT 1';\n"));

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("text, json, sarif, github"), run.err());
        assertEquals("", run.out());
    }

    @Test
    void outputIsByteIdenticalRunToRun() throws IOException {
        String path = file("f.dfsql", SOURCE);
        for (String format : List.of("json", "sarif", "github")) {
            assertEquals(dfc("check", "--format=" + format, path).out(), dfc("check", "--format=" + format, path).out(), format);
        }
    }

    @Test
    void anchorsFollowGitHubsHeadingIds() {
        assertEquals("df1001-syntax-error", RuleDocs.anchor("DF1001: syntax error"));
        assertEquals("df2101-warning-unused-parameter", RuleDocs.anchor("DF2101 (warning): unused parameter"));
        assertEquals("df2102-warning-var-that-no-parameter-or-system-variable-explains",
                RuleDocs.anchor("DF2102 (warning): `{var}` that no parameter or system variable explains"));
        assertEquals("df4001-dfbreak-outside-a-loop", RuleDocs.anchor("DF4001: `df.break` outside a loop"));
    }

    @Test
    void everyDocumentedCodeHasATitle() {
        Map<String, RuleDocs.Rule> rules = RuleDocs.parse("### DF1001: syntax error\n\ntext\n### DF2101 (warning): unused `x`\n");
        assertEquals("syntax error", rules.get("DF1001").title());
        assertEquals("unused x", rules.get("DF2101").title());
        assertEquals("DF1001", RuleDocs.rule("DF1001").code());
        assertFalse(RuleDocs.rule("DF1001").title().equals("DF1001"), "the bundled docs/diagnostics.md is read");
        assertEquals("DF0000", RuleDocs.rule("DF0000").title(), "an undocumented code falls back to itself");
    }

    // ---- SARIF 2.1.0: the schema's required properties and enums of every object dfc writes ----

    private static final Set<String> LEVELS = Set.of("none", "note", "warning", "error");

    static void validateSarif(Object json) {
        Map<String, Object> log = obj(json);
        require(log, "sarifLog", "version", "runs");
        assertEquals("2.1.0", log.get("version"));
        if (log.containsKey("$schema")) absoluteUri(log.get("$schema"));
        for (Object r : arr(log.get("runs"))) {
            Map<String, Object> run = obj(r);
            require(run, "run", "tool");
            if (run.containsKey("columnKind")) assertTrue(Set.of("utf16CodeUnits", "unicodeCodePoints").contains(run.get("columnKind")));
            Map<String, Object> tool = obj(run.get("tool"));
            require(tool, "tool", "driver");
            Map<String, Object> driver = obj(tool.get("driver"));
            require(driver, "toolComponent", "name");
            if (driver.containsKey("informationUri")) absoluteUri(driver.get("informationUri"));
            List<Object> rules = driver.containsKey("rules") ? arr(driver.get("rules")) : List.of();
            for (Object ru : rules) {
                Map<String, Object> rule = obj(ru);
                require(rule, "reportingDescriptor", "id");
                if (rule.containsKey("shortDescription")) require(obj(rule.get("shortDescription")), "multiformatMessageString", "text");
                if (rule.containsKey("helpUri")) absoluteUri(rule.get("helpUri"));
                if (rule.containsKey("defaultConfiguration")) {
                    Object level = obj(rule.get("defaultConfiguration")).get("level");
                    if (level != null) assertTrue(LEVELS.contains(level), "level " + level);
                }
            }
            for (Object re : run.containsKey("results") ? arr(run.get("results")) : List.of()) {
                Map<String, Object> result = obj(re);
                require(result, "result", "message");
                Map<String, Object> message = obj(result.get("message"));
                if (!message.containsKey("text") && !message.containsKey("id")) fail("message requires text or id: " + message);
                if (result.containsKey("level")) assertTrue(LEVELS.contains(result.get("level")), "level " + result.get("level"));
                if (result.containsKey("ruleIndex")) {
                    int index = ((Long) result.get("ruleIndex")).intValue();
                    assertTrue(index >= -1);
                    if (index >= 0) assertEquals(result.get("ruleId"), obj(rules.get(index)).get("id"), "ruleIndex points at the rule");
                }
                for (Object lo : result.containsKey("locations") ? arr(result.get("locations")) : List.of()) {
                    Map<String, Object> location = obj(lo);
                    if (!location.containsKey("physicalLocation")) continue;
                    Map<String, Object> physical = obj(location.get("physicalLocation"));
                    if (!physical.containsKey("address") && !physical.containsKey("artifactLocation")) fail("physicalLocation requires address or artifactLocation");
                    if (physical.containsKey("artifactLocation")) {
                        Object uri = obj(physical.get("artifactLocation")).get("uri");
                        if (uri != null) assertNotNull(URI.create((String) uri), "uri-reference");
                    }
                    if (physical.containsKey("region")) {
                        Map<String, Object> region = obj(physical.get("region"));
                        if (!region.containsKey("startLine") && !region.containsKey("charOffset") && !region.containsKey("byteOffset")) {
                            fail("region requires startLine, charOffset or byteOffset: " + region);
                        }
                        for (String k : List.of("startLine", "startColumn", "endLine", "endColumn")) {
                            if (region.containsKey(k)) assertTrue((Long) region.get(k) >= 1, k + " is 1-based");
                        }
                        if (region.containsKey("endLine")) assertTrue((Long) region.get("endLine") >= (Long) region.get("startLine"));
                    }
                }
            }
        }
    }

    private static void require(Map<String, Object> o, String what, String... keys) {
        for (String k : keys) assertTrue(o.containsKey(k) && o.get(k) != null, what + " requires '" + k + "': " + o);
    }

    private static void absoluteUri(Object o) {
        assertTrue(URI.create((String) o).isAbsolute(), "absolute URI: " + o);
    }
}
