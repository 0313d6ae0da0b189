package dev.dfc.compiler.check;

import dev.dfc.compiler.ast.Param;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.Span;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks of parameter declarations: the type is a PostgreSQL type name (DF2005) and the name is
 * not reserved (DF2006). The grammar accepts any run of words, dots, parenthesised modifiers and
 * brackets as a type, so that a mistake is reported here, in words, rather than as a syntax error.
 *
 * <p>A type name is one word, or schema.word, with at most one parenthesised modifier list, or
 * one of PostgreSQL's multi-word types ({@code double precision}, {@code character varying(n)},
 * {@code timestamp(3) with time zone}, {@code interval day to second}, …), followed by any
 * number of {@code []} / {@code [n]} or by {@code ARRAY}.
 */
final class Parameters {
    /** PostgreSQL's reserved key words (SQL key words appendix): none can be a type name unquoted. */
    private static final Set<String> RESERVED = Set.of("all", "analyse", "analyze", "and", "any", "array", "as",
            "asc", "asymmetric", "both", "case", "cast", "check", "collate", "column", "constraint", "create",
            "current_catalog", "current_date", "current_role", "current_time", "current_timestamp", "current_user",
            "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for",
            "foreign", "from", "grant", "group", "having", "in", "initially", "intersect", "into", "lateral",
            "leading", "limit", "localtime", "localtimestamp", "not", "null", "offset", "on", "only", "or", "order",
            "placing", "primary", "references", "returning", "select", "session_user", "some", "symmetric", "table",
            "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where",
            "window", "with");

    private static final Set<String> INTERVAL_FIELDS = Set.of("year", "month", "day", "hour", "minute", "second",
            "year to month", "day to hour", "day to minute", "day to second", "hour to minute", "hour to second",
            "minute to second");

    /** Multi-word types taking a modifier after their last word. */
    private static final Set<String> MODIFIED_AT_END = Set.of("character varying", "char varying", "bit varying",
            "national character", "national char", "national character varying", "national char varying",
            "nchar varying");

    private static final String HINT = "a type is a PostgreSQL type name such as int, text, numeric(10,2), "
            + "timestamp with time zone, myschema.mytype or text[]";

    private Parameters() {}

    /** Names starting with 'sys_' are the runtime's ({sys_instance_id}, {sys_label}, and any added later). */
    static boolean isReserved(String name) {
        return name.toLowerCase(Locale.ROOT).startsWith("sys_");
    }

    static void check(List<Param> params, List<Diagnostic> out) {
        for (Param p : params) {
            if (isReserved(p.name())) {
                out.add(Diagnostic.error("DF2006", p.nameSpan(), "parameter name '" + p.name() + "' is reserved")
                        .withHint("names starting with 'sys_' belong to the runtime's system variables; choose another name"));
            }
            if (p.typeSpan() != null) {
                Diagnostic d = type(p.typeSpan());
                if (d != null) out.add(d);
            }
        }
    }

    /** A token of a type name; {@code word} is lower-cased unless quoted, null for punctuation. */
    private record Token(char kind, String word, int start, int end) {}

    private static Diagnostic type(Span span) {
        String text = span.text();
        List<Token> tokens = tokens(text);
        List<String> words = new ArrayList<>();
        List<Integer> modifiersAfter = new ArrayList<>(); // index of the word each (…) follows
        int dots = 0;
        boolean quotedWord = false;
        int i = 0;
        for (; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.kind() == 'w' || t.kind() == 'q') {
                if (t.kind() == 'w' && words.isEmpty() && dots == 0 && RESERVED.contains(t.word())) {
                    return Diagnostic.error("DF2005", at(span, t), "'" + t.word() + "' is a reserved word, not a type name")
                            .withHint(tokens.size() == 1 ? "write \"" + t.word() + "\" for a type with that name" : HINT);
                }
                quotedWord |= t.kind() == 'q';
                words.add(t.word());
            } else if (t.kind() == '.') {
                dots++;
            } else if (t.kind() == '(') {
                modifiersAfter.add(words.size() - 1);
                int depth = 0;
                for (; i < tokens.size(); i++) {
                    if (tokens.get(i).kind() == '(') depth++;
                    if (tokens.get(i).kind() == ')' && --depth == 0) break;
                }
            } else if (t.kind() == '[') {
                break; // array bounds: the grammar allows them only at the end
            } else {
                return Diagnostic.error("DF2005", span, "parameter type '" + text + "' is not a type name").withHint(HINT);
            }
        }
        if (words.size() >= 2 && words.get(words.size() - 1).equals("array")) words.remove(words.size() - 1);
        String phrase = String.join(" ", words);
        String problem = null;
        if (dots > 0) {
            if (dots > 1) problem = "has more than a schema and a name";
            else if (words.size() != 2) problem = "is not schema.name";
            else if (!modifiersAfter.isEmpty() && (modifiersAfter.size() > 1 || modifiersAfter.get(0) != 1)) {
                problem = "has a modifier in the wrong place";
            }
        } else if (words.size() > 1 && !multiWord(phrase, quotedWord, modifiersAfter, words.size())) {
            problem = "is not a type name";
        } else if (words.size() == 1 && modifiersAfter.size() > 1) {
            problem = "has more than one modifier list";
        }
        if (problem == null) return null;
        String hint = HINT;
        if (dots == 0 && words.size() >= 3) hint = "a ',' may be missing between two parameters, as in '(a int, b text)'";
        return Diagnostic.error("DF2005", span, "parameter type '" + text.strip() + "' " + problem).withHint(hint);
    }

    private static boolean multiWord(String phrase, boolean quoted, List<Integer> mods, int count) {
        if (quoted || mods.size() > 1) return false;
        Integer mod = mods.isEmpty() ? null : mods.get(0);
        if (phrase.equals("double precision")) return mod == null;
        if (MODIFIED_AT_END.contains(phrase)) return mod == null || mod == count - 1;
        for (String base : new String[] {"time", "timestamp"}) {
            for (String zone : new String[] {" with time zone", " without time zone"}) {
                if (phrase.equals(base + zone)) return mod == null || mod == 0;
            }
        }
        if (phrase.startsWith("interval ") && INTERVAL_FIELDS.contains(phrase.substring("interval ".length()))) {
            return mod == null || (mod == count - 1 && phrase.endsWith("second"));
        }
        return false;
    }

    private static Span at(Span span, Token t) {
        return new Span(span.file(), span.start() + t.start(), span.start() + t.end());
    }

    /** Words ('w', lower-cased), quoted identifiers ('q'), punctuation; whitespace and comments skipped. */
    private static List<Token> tokens(String s) {
        List<Token> out = new ArrayList<>();
        int p = 0;
        while (p < s.length()) {
            char c = s.charAt(p);
            int start = p;
            if (Character.isWhitespace(c)) {
                p++;
            } else if (s.startsWith("--", p)) {
                while (p < s.length() && s.charAt(p) != '\n') p++;
            } else if (s.startsWith("/*", p)) {
                int depth = 0;
                while (p < s.length()) {
                    if (s.startsWith("/*", p)) {
                        depth++;
                        p += 2;
                    } else if (s.startsWith("*/", p)) {
                        p += 2;
                        if (--depth == 0) break;
                    } else {
                        p++;
                    }
                }
            } else if (c == '"' || c == '\'') {
                p++;
                while (p < s.length() && !(s.charAt(p) == c && !(p + 1 < s.length() && s.charAt(p + 1) == c))) {
                    p += s.charAt(p) == c ? 2 : 1;
                }
                p = Math.min(s.length(), p + 1);
                out.add(new Token(c == '"' ? 'q' : 's', s.substring(start, p), start, p));
            } else if (Character.isLetter(c) || c == '_' || c >= 0x80) {
                while (p < s.length() && (Character.isLetterOrDigit(s.charAt(p)) || s.charAt(p) == '_'
                        || s.charAt(p) == '$' || s.charAt(p) >= 0x80)) p++;
                out.add(new Token('w', s.substring(start, p).toLowerCase(Locale.ROOT), start, p));
            } else if (Character.isDigit(c)) {
                while (p < s.length() && (Character.isLetterOrDigit(s.charAt(p)) || s.charAt(p) == '.')) p++;
                out.add(new Token('n', s.substring(start, p), start, p));
            } else {
                p++;
                out.add(new Token(c, null, start, p));
            }
        }
        return out;
    }
}
