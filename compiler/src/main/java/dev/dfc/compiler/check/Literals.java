package dev.dfc.compiler.check;

import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.Span;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks of configuration literals (DF5xxx): cron expressions, durations and attempts, HTTP
 * methods, headers JSON and URLs. Runs on every call whatever its support status, so a workflow is
 * checked fully even while DF3900 says a construct cannot be compiled yet.
 */
public final class Literals {
    /** Maps a range of a string literal's decoded value to a span of the source. */
    @FunctionalInterface
    interface Spans {
        Span inside(Expr.Str literal, int from, int to);
    }

    /** Most attempts df.retry accepts. */
    private static final BigDecimal MAX_ATTEMPTS = BigDecimal.valueOf(1_000_000);
    /** Longest wait, timeout or backoff accepted: 366 days, a year with room for a leap day. */
    static final BigDecimal MAX_WAIT_SECONDS = BigDecimal.valueOf(366L * 24 * 3600);
    /** Longest HTTP timeout accepted: one hour; a longer request is better modelled as a signal. */
    static final BigDecimal MAX_HTTP_SECONDS = BigDecimal.valueOf(3600);

    static final List<String> HTTP_METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");

    private static final Pattern DURATION = Pattern.compile("\\s*([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)\\s*(ms|s|m|h|d)\\s*");
    private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*):");
    private static final Set<String> JSON_TYPES = Set.of("json", "jsonb", "pg_catalog.json", "pg_catalog.jsonb");

    private final Spans spans;
    private final List<Diagnostic> out;

    private Literals(Spans spans, List<Diagnostic> out) {
        this.spans = spans;
        this.out = out;
    }

    /**
     * Checks the literal arguments of one call, {@code args} bound to parameter positions (null:
     * not given), adding diagnostics to {@code out}.
     */
    static void check(String function, Expr[] args, Spans spans, List<Diagnostic> out) {
        new Literals(spans, out).call(function, args);
    }

    /**
     * The strings of a call that the runtime substitutes references and variables into: a
     * request's URL, body or parts, and headers; df.call's args (as Lowering reads them).
     */
    static List<Expr.Str> substitutedTexts(String function, Expr[] args) {
        int[] positions = switch (function) {
            case "df.http", "df.http_multipart" -> new int[] {0, 2, 3};
            case "df.call" -> new int[] {1};
            default -> new int[0];
        };
        List<Expr.Str> texts = new ArrayList<>();
        for (int i : positions) {
            Expr.Str s = i < args.length ? string(args[i]) : null;
            if (s != null) texts.add(s);
        }
        return texts;
    }

    private void call(String function, Expr[] a) {
        switch (function) {
            case "df.wait_for_schedule" -> cron(at(a, 0));
            case "df.sleep" -> seconds(at(a, 0), "seconds", function, MAX_WAIT_SECONDS, false);
            case "df.wait_for_signal" -> seconds(at(a, 1), "timeout_s", function, MAX_WAIT_SECONDS, true);
            case "df.timeout" -> seconds(at(a, 1), "seconds", function, MAX_WAIT_SECONDS, false);
            case "df.retry" -> {
                attempts(at(a, 1));
                backoff(at(a, 2), "backoff");
                backoff(at(a, 3), "max_backoff");
            }
            case "df.http", "df.http_multipart" -> {
                url(at(a, 0), function);
                method(at(a, 1), function);
                headers(at(a, 3), function);
                seconds(at(a, 4), "timeout_s", function, MAX_HTTP_SECONDS, true);
                if (function.equals("df.http_multipart")) json(at(a, 2), "parts", function, "array", "'[{\"name\": \"file\", \"value\": \"...\"}]'");
            }
            case "df.call" -> {
                workflowName(at(a, 0));
                json(at(a, 1), "args", function, "object", "'{\"batch_size\": 50}'");
            }
            case "df.break" -> {
                if (at(a, 0) instanceof Expr.Cast c && JSON_TYPES.contains(c.type().toLowerCase(Locale.ROOT).replace(" ", ""))) {
                    json(c, "value", function, null, null);
                }
            }
            default -> { }
        }
    }

    private static Expr at(Expr[] a, int i) {
        return i < a.length ? a[i] : null;
    }

    /** The string literal of an argument, looking through a cast ('…'::jsonb); else null. */
    static Expr.Str string(Expr e) {
        if (e instanceof Expr.Cast c) return string(c.value());
        return e instanceof Expr.Str s ? s : null;
    }

    private static String describe(Expr e) {
        if (e instanceof Expr.Str) return "a string";
        if (e instanceof Expr.Num) return "a number";
        if (e instanceof Expr.Bool) return "a boolean";
        if (e instanceof Expr.Null) return "NULL";
        if (e instanceof Expr.Cast) return "a cast";
        return "a node";
    }

    private void cron(Expr e) {
        if (e == null || e instanceof Expr.Call) return; // arity or shape error already
        Expr.Str s = string(e);
        if (s == null) {
            out.add(Diagnostic.error("DF5001", e.span(), "cron expression must be a string, found " + describe(e))
                    .withHint("e.g. df.wait_for_schedule('0 3 * * *') waits until 03:00"));
            return;
        }
        Cron.Error error = Cron.parse(s.value()).error();
        if (error != null) {
            out.add(Diagnostic.error("DF5001", spans.inside(s, error.start(), error.end()), error.message())
                    .withHint(error.hint()));
        }
    }

    /** A number of seconds: positive and at most {@code max}; NULL allowed where it means "none". */
    private void seconds(Expr e, String param, String function, BigDecimal max, boolean nullable) {
        if (e == null || e instanceof Expr.Call) return;
        if (e instanceof Expr.Null && nullable) return;
        BigDecimal n = number(e);
        String what = "'" + param + "' of '" + function + "'";
        if (n == null) {
            out.add(Diagnostic.error("DF5002", e.span(), what + " must be a number of seconds, found " + describe(e)));
        } else if (n.signum() <= 0) {
            out.add(Diagnostic.error("DF5002", e.span(), what + " must be positive, found " + n.toPlainString()));
        } else if (n.compareTo(max) > 0) {
            String limit = max.equals(MAX_HTTP_SECONDS) ? "1 hour (3600 seconds)" : "366 days (31622400 seconds)";
            out.add(Diagnostic.error("DF5002", e.span(), what + " is more than " + limit + ", found " + n.toPlainString())
                    .withHint(max.equals(MAX_HTTP_SECONDS)
                            ? "for a long-running job, have the server call back with df.signal and wait with df.wait_for_signal"
                            : "wait in a loop, or use df.wait_for_schedule for a date far ahead"));
        }
    }

    /** A numeric literal, a string holding one, or either cast; else null. */
    static BigDecimal number(Expr e) {
        if (e instanceof Expr.Cast c) return number(c.value());
        String text = e instanceof Expr.Num n ? n.text() : e instanceof Expr.Str s ? s.value().strip() : null;
        if (text == null || text.length() > 100) return null;
        try {
            return new BigDecimal(text);
        } catch (NumberFormatException ex) {
            return null;
        }
    }

    private void attempts(Expr e) {
        if (e == null || e instanceof Expr.Call) return;
        BigDecimal n = number(e);
        boolean integer = n != null && n.signum() > 0 && n.stripTrailingZeros().scale() <= 0;
        if (!integer) {
            out.add(Diagnostic.error("DF5002", e.span(), "'attempts' of 'df.retry' must be a positive integer, found "
                    + (n == null ? describe(e) : n.toPlainString())));
        } else if (n.compareTo(MAX_ATTEMPTS) > 0) {
            out.add(Diagnostic.error("DF5002", e.span(), "'attempts' of 'df.retry' is more than 1000000, found "
                    + n.toPlainString()));
        }
    }

    private void backoff(Expr e, String param) {
        if (e == null || e instanceof Expr.Call || e instanceof Expr.Null) return;
        Expr.Str s = string(e);
        String what = "'" + param + "' of 'df.retry'";
        String hint = "write a number and a unit: '500ms', '1s', '5m', '2h' or '1d'";
        if (s == null) {
            out.add(Diagnostic.error("DF5002", e.span(), what + " must be a duration string, found " + describe(e)).withHint(hint));
            return;
        }
        BigDecimal seconds = duration(s.value());
        if (seconds == null) {
            out.add(Diagnostic.error("DF5002", s.span(), what + " is not a duration: '" + s.value() + "'").withHint(hint));
        } else if (seconds.signum() <= 0) {
            out.add(Diagnostic.error("DF5002", s.span(), what + " must be positive, found '" + s.value() + "'"));
        } else if (seconds.compareTo(MAX_WAIT_SECONDS) > 0) {
            out.add(Diagnostic.error("DF5002", s.span(), what + " is more than 366 days, found '" + s.value() + "'"));
        }
    }

    /** Seconds of a duration like '500ms', '1.5s', '5m', '2h', '1d'; null when malformed. */
    public static BigDecimal duration(String text) {
        if (text.length() > 100) return null;
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) return null;
        BigDecimal n = new BigDecimal(m.group(1).endsWith(".") ? m.group(1) + "0" : m.group(1));
        return switch (m.group(2)) {
            case "ms" -> n.movePointLeft(3);
            case "s" -> n;
            case "m" -> n.multiply(BigDecimal.valueOf(60));
            case "h" -> n.multiply(BigDecimal.valueOf(3600));
            default -> n.multiply(BigDecimal.valueOf(86400));
        };
    }

    private void method(Expr e, String function) {
        if (e == null || e instanceof Expr.Call || e instanceof Expr.Null) return; // NULL: the default, POST
        Expr.Str s = string(e);
        String hint = "use " + String.join(", ", HTTP_METHODS.subList(0, HTTP_METHODS.size() - 1)) + " or "
                + HTTP_METHODS.get(HTTP_METHODS.size() - 1);
        if (s == null) {
            out.add(Diagnostic.error("DF5003", e.span(), "http method of '" + function + "' must be a string, found " + describe(e))
                    .withHint(hint));
        } else if (!HTTP_METHODS.contains(s.value().toUpperCase(Locale.ROOT))) {
            out.add(Diagnostic.error("DF5003", s.span(), "unknown http method '" + s.value() + "'").withHint(hint));
        }
    }

    private void headers(Expr e, String function) {
        if (e == null || e instanceof Expr.Call || e instanceof Expr.Null) return;
        Expr.Str s = string(e);
        if (s == null || (e instanceof Expr.Cast c && !JSON_TYPES.contains(c.type().toLowerCase(Locale.ROOT).replace(" ", "")))) {
            out.add(Diagnostic.error("DF5004", e.span(), "headers of '" + function + "' must be a JSON object, found " + describe(e))
                    .withHint("e.g. '{\"Content-Type\": \"application/json\"}'"));
            return;
        }
        HeadersJson.Problem p = HeadersJson.check(s.value());
        if (p != null) {
            out.add(Diagnostic.error("DF5004", spans.inside(s, p.start(), p.end()), p.message())
                    .withHint("headers are a JSON object of strings, e.g. '{\"Authorization\": \"Bearer {token}\"}'"));
        }
    }

    /**
     * A JSON argument written as a string (or a json/jsonb cast of one): well-formed, and of the kind
     * the runtime needs when {@code kind} is given. Other shapes are the arity and shape checks' job.
     */
    private void json(Expr e, String what, String function, String kind, String example) {
        Expr.Str s = string(e);
        if (s == null) return;
        JsonText.Result r = function.equals("df.break") ? JsonText.check(s.value()) : JsonText.checkWithReferences(s.value());
        if (r.problem() != null) {
            out.add(Diagnostic.error("DF5006", spans.inside(s, r.problem().start(), r.problem().end()),
                    r.problem().message() + " in " + what + " of '" + function + "'")
                    .withHint(example != null ? "e.g. " + example : "a JSON value: double quotes, no trailing commas"));
        } else if (kind != null && r.kind() != null && !kind.equals(r.kind())) {
            out.add(Diagnostic.error("DF5006", s.span(), what + " of '" + function + "' must be a JSON " + kind + ", found "
                    + (r.kind().equals("object") || r.kind().equals("array") ? "an " : "a ") + r.kind())
                    .withHint("e.g. " + example));
        }
    }

    private static final Pattern WORKFLOW_NAME = Pattern.compile(
            "(?:[A-Za-z_\\u0080-\\uffff][A-Za-z0-9_$\\u0080-\\uffff]*|\"(?:[^\"]|\"\")+\")"
            + "(?:\\.(?:[A-Za-z_\\u0080-\\uffff][A-Za-z0-9_$\\u0080-\\uffff]*|\"(?:[^\"]|\"\")+\"))?");

    /** df.call's workflow: a workflow name, as df.start takes it (an identifier, optionally schema-qualified). */
    private void workflowName(Expr e) {
        Expr.Str s = string(e);
        if (s == null || WORKFLOW_NAME.matcher(s.value()).matches()) return;
        out.add(Diagnostic.error("DF5007", s.span(), "'" + s.value() + "' is not a workflow name")
                .withHint("df.call takes the name of a deployed workflow: an identifier, optionally schema-qualified ('etl.load', '\"My Flow\"')"));
    }

    private void url(Expr e, String function) {
        if (e == null || e instanceof Expr.Call) return;
        Expr.Str s = string(e);
        if (s == null) {
            out.add(Diagnostic.error("DF5005", e.span(), "url of '" + function + "' must be a string, found " + describe(e)));
            return;
        }
        String url = s.value();
        if (url.isBlank()) {
            out.add(Diagnostic.error("DF5005", s.span(), "url of '" + function + "' is empty"));
            return;
        }
        int start = 0;
        while (start < url.length() && Character.isWhitespace(url.charAt(start))) start++;
        // the scheme comes from a variable or a result at run time: nothing to check here
        if (start < url.length() && (url.charAt(start) == '{' || url.charAt(start) == '$')) return;
        Matcher m = SCHEME.matcher(url);
        if (m.region(start, url.length()).lookingAt()) {
            String scheme = m.group(1).toLowerCase(Locale.ROOT);
            if (scheme.equals("http") || scheme.equals("https")) {
                if (!url.startsWith("//", m.end())) {
                    out.add(Diagnostic.error("DF5005", spans.inside(s, start, m.end()), "url '" + url.strip() + "' has no '//' after its scheme")
                            .withHint("write '" + scheme + "://host/path'"));
                } else if (m.end() + 2 >= url.length() || "/?#".indexOf(url.charAt(m.end() + 2)) >= 0
                        || Character.isWhitespace(url.charAt(m.end() + 2))) {
                    out.add(Diagnostic.error("DF5005", spans.inside(s, start, Math.min(url.length(), m.end() + 2)),
                            "url '" + url.strip() + "' has no host"));
                }
                return;
            }
            // 'localhost:8080/x' reads as scheme 'localhost'; a port after it means a missing scheme
            boolean hostAndPort = m.end() < url.length() && Character.isDigit(url.charAt(m.end()));
            if (!hostAndPort) {
                out.add(Diagnostic.error("DF5005", spans.inside(s, start, m.end() - 1), "url scheme '" + m.group(1) + "' is not http or https")
                        .withHint("df.http only makes http:// and https:// requests"));
                return;
            }
        }
        // a scheme-relative URL ('//host/path') already has its slashes
        String rest = url.strip().startsWith("//") ? url.strip().substring(2) : url.strip();
        out.add(Diagnostic.error("DF5005", s.span(), "url '" + url.strip() + "' has no http:// or https:// scheme")
                .withHint("write 'https://" + rest + "'"));
    }
}
