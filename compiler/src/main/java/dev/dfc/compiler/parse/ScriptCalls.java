package dev.dfc.compiler.parse;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Finds script-mode calls in the text of a pass-through SQL statement (LANGUAGE.md §1, "Script
 * mode"): {@code df.start(<first argument>, …)} and {@code df.explain(<first argument>)}, and
 * says whether the first argument is a workflow name, a workflow expression to compile, or a value
 * only known at run time.
 *
 * <p>The text is read with PostgreSQL's lexical rules, so a call inside a string literal, a quoted
 * identifier or a comment is not a call. The dollar-quoted body of a {@code DO} block or of a
 * {@code CREATE FUNCTION}/{@code PROCEDURE} in PL/pgSQL or SQL is read as code too; calls in a
 * single-quoted body are found (offsets mapped back to the raw text) so that they can be refused.
 * A call preceded by {@code FUNCTION}, {@code PROCEDURE} or {@code ROUTINE}, or anywhere in a
 * DROP, ALTER, COMMENT, GRANT or REVOKE statement, names the function ({@code COMMENT ON FUNCTION
 * df.start(text)}) and is not a call.
 */
public final class ScriptCalls {
    /** A name is a single literal holding an identifier, optionally schema-qualified. */
    private static final String IDENT = "(?:[\\p{L}_][\\p{L}\\p{N}_$]*|\"(?:[^\"]|\"\")+\")";
    private static final Pattern WORKFLOW_NAME = Pattern.compile(IDENT + "(?:\\." + IDENT + ")?");
    /** df.explain also takes an instance id: 8 lowercase hex characters. */
    private static final Pattern INSTANCE_ID = Pattern.compile("[0-9a-f]{8}");

    private ScriptCalls() {}

    /** What the first argument is. */
    public enum Kind {
        /** A single string literal holding a workflow name (for df.explain, or an instance id): left alone. */
        NAME,
        /** A workflow expression written as literal text: compiled into an anonymous workflow. */
        EXPRESSION,
        /**
         * Built at run time (a variable, a {@code $1} or psql {@code :'v'} parameter, {@code ||}, a
         * function other than a node function): cannot be compiled.
         */
        RUNTIME_VALUE
    }

    /** Where the call was found. */
    public enum Context { STATEMENT, DOLLAR_QUOTED_BODY, SINGLE_QUOTED_BODY }

    /**
     * One call; offsets are relative to the text given to {@link #find}.
     *
     * @param function     "df.start" or "df.explain"
     * @param nameStart    start of the function name ({@code df})
     * @param nameEnd      end of the function name
     * @param argStart     start of the first argument's first token
     * @param argEnd       end of the first argument's last token
     * @param culpritStart for RUNTIME_VALUE: start of the first token that is only known at run time
     * @param culpritEnd   its end
     * @param culprit      for RUNTIME_VALUE: what it is, e.g. "'||'", "format()", "'v_sql'", "the parameter $1"
     */
    public record Call(String function, Context context, int nameStart, int nameEnd, int argStart, int argEnd,
            Kind kind, int culpritStart, int culpritEnd, String culprit) {}

    /** Every call in {@code sql} (one statement's text), in source order. */
    public static List<Call> find(String sql) {
        List<Call> calls = new ArrayList<>();
        List<Token> tokens = SqlLexer.tokens(sql);
        boolean bodies = hasCodeBodies(tokens);
        if (!namesRoutines(tokens)) scan(sql, tokens, 0, Context.STATEMENT, calls);
        if (bodies) {
            for (int i = 0; i < tokens.size(); i++) {
                Token t = tokens.get(i);
                if (t.type() == Type.DOLLAR_STRING) {
                    int open = t.text().indexOf('$', 1) + 1;
                    int close = t.text().length() - open;
                    if (close < open) continue; // unterminated: the parser has reported it
                    String body = t.text().substring(open, close);
                    scan(body, SqlLexer.tokens(body), t.start() + open, Context.DOLLAR_QUOTED_BODY, calls);
                } else if (t.type() == Type.STRING && isBodyPosition(tokens, i)) {
                    quotedBody(t, calls);
                }
            }
        }
        calls.sort((a, b) -> Integer.compare(a.nameStart(), b.nameStart()));
        return calls;
    }

    /** What a top-level statement does to the script's transaction block. */
    public enum TransactionControl { OPEN, CLOSE, NONE }

    /**
     * BEGIN / START TRANSACTION open a block; COMMIT, END, ROLLBACK, ABORT and PREPARE TRANSACTION
     * close it, except ROLLBACK TO (a savepoint) and COMMIT / ROLLBACK AND CHAIN, which keep it open.
     */
    public static TransactionControl transactionControl(String sql) {
        List<Token> t = SqlLexer.tokens(sql);
        if (t.isEmpty()) return TransactionControl.NONE;
        Token first = t.get(0);
        Token second = t.size() > 1 ? t.get(1) : null;
        if (first.isName("begin") || (first.isName("start") && second != null && second.isName("transaction"))) {
            return TransactionControl.OPEN;
        }
        boolean chain = false;
        for (int i = 0; i + 1 < t.size(); i++) {
            if (t.get(i).isName("and") && t.get(i + 1).isName("chain")) chain = true;
        }
        if (first.isName("commit") || first.isName("end") || first.isName("abort")
                || (first.isName("rollback") && !(second != null && second.isName("to")))
                || (first.isName("prepare") && second != null && second.isName("transaction"))) {
            return chain ? TransactionControl.NONE : TransactionControl.CLOSE;
        }
        return TransactionControl.NONE;
    }

    /** DROP, ALTER, COMMENT ON, GRANT and REVOKE mention df.start(text, …) as a signature, never call it. */
    private static boolean namesRoutines(List<Token> tokens) {
        if (tokens.isEmpty()) return false;
        Token first = tokens.get(0);
        return first.isName("drop") || first.isName("alter") || first.isName("comment")
                || first.isName("grant") || first.isName("revoke");
    }

    /** True when {@code text} read as one string literal names a workflow by the script-mode rule. */
    public static boolean isWorkflowName(String value) {
        return WORKFLOW_NAME.matcher(value).matches();
    }

    private static boolean isName(String function, String value) {
        return isWorkflowName(value) || (function.equals("df.explain") && INSTANCE_ID.matcher(value).matches());
    }

    private static void scan(String text, List<Token> tokens, int base, Context context, List<Call> calls) {
        for (int i = 0; i + 3 < tokens.size(); i++) {
            String function = callee(tokens, i);
            if (function == null) continue;
            int first = i + 4;
            int end = argumentEnd(tokens, first);
            if (end == first) continue; // df.start(): left to PostgreSQL
            if (tokens.get(first).type() == Type.WORD && first + 1 < end
                    && (tokens.get(first + 1).is("=>") || tokens.get(first + 1).is(":="))) {
                i = first;
                continue; // df.start(workflow => v): a name given by name
            }
            List<Token> arg = tokens.subList(first, end);
            Token a = arg.get(0);
            Token z = arg.get(arg.size() - 1);
            Token culprit = runtimeValue(arg);
            Kind kind = culprit != null ? Kind.RUNTIME_VALUE
                    : arg.size() == 1 && isStringToken(a) && isName(function, StringLiteral.decode(a.text()).value()) ? Kind.NAME
                    : Kind.EXPRESSION;
            calls.add(new Call(function, context, base + tokens.get(i).start(), base + tokens.get(i + 2).end(),
                    base + a.start(), base + z.end(), kind,
                    culprit == null ? -1 : base + culprit.start(), culprit == null ? -1 : base + culprit.end(),
                    culprit == null ? null : describe(arg, culprit)));
            i = end - 1;
        }
    }

    /** "df.start" / "df.explain" when tokens[i..i+3] are {@code df . start (}, else null. */
    private static String callee(List<Token> tokens, int i) {
        if (!tokens.get(i).isName("df") || !tokens.get(i + 1).is(".") || !tokens.get(i + 3).is("(")) return null;
        String function = tokens.get(i + 2).isName("start") ? "df.start"
                : tokens.get(i + 2).isName("explain") ? "df.explain" : null;
        if (function == null || i == 0) return function;
        Token before = tokens.get(i - 1);
        if (before.is(".") || before.isName("function") || before.isName("procedure") || before.isName("routine")) return null;
        return function;
    }

    /** Index of the top-level ',' or ')' that ends the argument starting at {@code from}. */
    private static int argumentEnd(List<Token> tokens, int from) {
        int depth = 0;
        int i = from;
        for (; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.is("(") || t.is("[")) {
                depth++;
            } else if (t.is(")") || t.is("]")) {
                if (depth == 0) break;
                depth--;
            } else if (depth == 0 && (t.is(",") || t.is(";"))) {
                break;
            }
        }
        return i;
    }

    /** The first token of the argument that is only known at run time, or null. */
    private static Token runtimeValue(List<Token> arg) {
        for (int k = 0; k < arg.size(); k++) {
            Token t = arg.get(k);
            if (t.type() == Type.PARAM || t.type() == Type.PSQL_VARIABLE) return t;
            if (t.type() == Type.OPERATOR && t.text().contains("||")) return t;
            if (t.is("::")) {
                k = skipTypeName(arg, k + 1) - 1;
                continue;
            }
            if (t.type() != Type.WORD && t.type() != Type.QUOTED_IDENT) continue;
            int last = k;
            while (last + 2 < arg.size() && arg.get(last + 1).is(".") && arg.get(last + 2).isIdentifier()) last += 2;
            Token next = last + 1 < arg.size() ? arg.get(last + 1) : null;
            if (next != null && next.is("(")) {
                if (last != k + 2 || !t.isName("df")) return t; // a function other than a df.* node function
            } else if (next != null && next.is("=>")) {
                // named argument of a node function
            } else if (last != k || !(t.isName("null") || t.isName("true") || t.isName("false"))) {
                return t;
            }
            k = last;
        }
        return null;
    }

    /** Index after a type name that follows '::' (words, dots, a modifier list, array brackets). */
    private static int skipTypeName(List<Token> arg, int k) {
        while (k < arg.size()) {
            Token t = arg.get(k);
            if (t.isIdentifier() || t.is(".") || t.is("[") || t.is("]") || t.type() == Type.NUMBER) {
                k++;
            } else if (t.is("(") && k > 0 && arg.get(k - 1).isIdentifier()) {
                int depth = 0;
                for (; k < arg.size(); k++) {
                    if (arg.get(k).is("(")) depth++;
                    else if (arg.get(k).is(")") && --depth == 0) break;
                }
                k++;
            } else {
                break;
            }
        }
        return k;
    }

    private static String describe(List<Token> arg, Token culprit) {
        if (culprit.type() == Type.OPERATOR) return "'||'";
        if (culprit.type() == Type.PSQL_VARIABLE) return "the psql variable " + culprit.text();
        if (culprit.type() == Type.PARAM) return "the parameter " + culprit.text();
        int k = arg.indexOf(culprit);
        StringBuilder name = new StringBuilder(culprit.text());
        while (k + 2 < arg.size() && arg.get(k + 1).is(".") && arg.get(k + 2).isIdentifier()) {
            name.append('.').append(arg.get(k + 2).text());
            k += 2;
        }
        if (k + 1 < arg.size() && arg.get(k + 1).is("(")) return name + "()";
        return "'" + name + "'";
    }

    private static boolean isStringToken(Token t) {
        return t.type() == Type.STRING || t.type() == Type.DOLLAR_STRING;
    }

    /**
     * Whether the statement has PL/pgSQL or SQL code in string bodies: {@code DO …} or
     * {@code CREATE [OR REPLACE] FUNCTION|PROCEDURE …} without a LANGUAGE other than plpgsql or sql.
     */
    private static boolean hasCodeBodies(List<Token> tokens) {
        if (tokens.isEmpty()) return false;
        boolean routine = tokens.get(0).isName("do");
        if (tokens.get(0).isName("create")) {
            int k = 1;
            if (k + 1 < tokens.size() && tokens.get(k).isName("or") && tokens.get(k + 1).isName("replace")) k += 2;
            routine = k < tokens.size() && (tokens.get(k).isName("function") || tokens.get(k).isName("procedure"));
        }
        if (!routine) return false;
        for (int i = 0; i + 1 < tokens.size(); i++) {
            if (tokens.get(i).isName("language")) {
                Token lang = tokens.get(i + 1);
                String name = isStringToken(lang) ? StringLiteral.decode(lang.text()).value() : lang.name();
                name = name.toLowerCase(Locale.ROOT);
                if (!name.equals("plpgsql") && !name.equals("sql")) return false;
            }
        }
        return true;
    }

    /** A single-quoted string after DO (or DO LANGUAGE x) or after AS: a routine's body. */
    private static boolean isBodyPosition(List<Token> tokens, int i) {
        if (i == 0) return false;
        Token before = tokens.get(i - 1);
        return before.isName("as") || before.isName("do")
                || (tokens.get(0).isName("do") && i >= 2 && tokens.get(i - 2).isName("language"));
    }

    /** Calls in a single-quoted body, found in its decoded text and mapped back to the raw literal. */
    private static void quotedBody(Token t, List<Call> calls) {
        StringLiteral.Decoded decoded = StringLiteral.decode(t.text());
        List<Call> inner = new ArrayList<>();
        scan(decoded.value(), SqlLexer.tokens(decoded.value()), 0, Context.SINGLE_QUOTED_BODY, inner);
        for (Call c : inner) {
            calls.add(new Call(c.function(), Context.SINGLE_QUOTED_BODY,
                    t.start() + decoded.rawOffset(c.nameStart()), t.start() + decoded.rawOffset(c.nameEnd()),
                    t.start() + decoded.rawOffset(c.argStart()), t.start() + decoded.rawOffset(c.argEnd()),
                    c.kind(), c.culpritStart() < 0 ? -1 : t.start() + decoded.rawOffset(c.culpritStart()),
                    c.culpritEnd() < 0 ? -1 : t.start() + decoded.rawOffset(c.culpritEnd()), c.culprit()));
        }
    }

    // ---- a lexer for pass-through SQL ------------------------------------------------------------

    enum Type { WORD, QUOTED_IDENT, STRING, DOLLAR_STRING, PARAM, PSQL_VARIABLE, NUMBER, OPERATOR, PUNCT, OTHER }

    /** A token; {@code text} is the raw text. */
    record Token(Type type, int start, int end, String text) {
        boolean is(String s) {
            return (type == Type.PUNCT || type == Type.OPERATOR) && text.equals(s);
        }

        boolean isIdentifier() {
            return type == Type.WORD || type == Type.QUOTED_IDENT;
        }

        /** The identifier's name as PostgreSQL reads it (unquoted: lower case). */
        String name() {
            if (type == Type.WORD) return text.toLowerCase(Locale.ROOT);
            if (type == Type.QUOTED_IDENT) return text.substring(1, text.length() - 1).replace("\"\"", "\"");
            return text;
        }

        boolean isName(String lower) {
            return isIdentifier() && name().equals(lower);
        }
    }

    /** PostgreSQL's lexical rules, as far as finding calls needs them; whitespace and comments are dropped. */
    static final class SqlLexer {
        private static final String OPERATOR_CHARS = "+-*/<>=~!@#%^&|`?:";

        private SqlLexer() {}

        static List<Token> tokens(String s) {
            List<Token> out = new ArrayList<>();
            int i = 0;
            int n = s.length();
            while (i < n) {
                char c = s.charAt(i);
                int start = i;
                Type type;
                if (Character.isWhitespace(c)) {
                    i++;
                    continue;
                } else if (s.startsWith("--", i)) {
                    while (i < n && s.charAt(i) != '\n' && s.charAt(i) != '\r') i++;
                    continue;
                } else if (s.startsWith("/*", i)) {
                    i = blockCommentEnd(s, i);
                    continue;
                } else if (c == '\'') {
                    i = quotedEnd(s, i + 1, '\'', false);
                    type = Type.STRING;
                } else if ((c == 'e' || c == 'E') && i + 1 < n && s.charAt(i + 1) == '\'') {
                    i = quotedEnd(s, i + 2, '\'', true);
                    type = Type.STRING;
                } else if ((c == 'u' || c == 'U') && s.startsWith("&'", i + 1)) {
                    i = quotedEnd(s, i + 3, '\'', false);
                    type = Type.STRING;
                } else if ((c == 'u' || c == 'U') && s.startsWith("&\"", i + 1)) {
                    i = quotedEnd(s, i + 3, '"', false);
                    type = Type.QUOTED_IDENT;
                } else if ("bBxXnN".indexOf(c) >= 0 && i + 1 < n && s.charAt(i + 1) == '\'') {
                    i = quotedEnd(s, i + 2, '\'', false);
                    type = Type.OTHER; // bit strings and N'' are not workflow literals
                } else if (c == '"') {
                    i = quotedEnd(s, i + 1, '"', false);
                    type = Type.QUOTED_IDENT;
                } else if (c == '$' && i + 1 < n && Character.isDigit(s.charAt(i + 1))) {
                    i++;
                    while (i < n && Character.isDigit(s.charAt(i))) i++;
                    type = Type.PARAM;
                } else if (c == '$' && dollarTagEnd(s, i) > 0) {
                    int tagEnd = dollarTagEnd(s, i);
                    String tag = s.substring(i, tagEnd);
                    int close = s.indexOf(tag, tagEnd);
                    i = close < 0 ? n : close + tag.length();
                    type = Type.DOLLAR_STRING;
                } else if (Character.isLetter(c) || c == '_') {
                    while (i < n && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '$')) i++;
                    type = Type.WORD;
                } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(s.charAt(i + 1)))) {
                    while (i < n && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.')) i++;
                    type = Type.NUMBER;
                } else if (c == ':' && psqlVariableEnd(s, i) > 0) {
                    i = psqlVariableEnd(s, i);
                    type = Type.PSQL_VARIABLE;
                } else if (OPERATOR_CHARS.indexOf(c) >= 0) {
                    while (i < n && OPERATOR_CHARS.indexOf(s.charAt(i)) >= 0
                            && !s.startsWith("--", i) && !s.startsWith("/*", i)) i++;
                    type = Type.OPERATOR;
                } else if ("(),.;[]".indexOf(c) >= 0) {
                    i++;
                    type = Type.PUNCT;
                } else {
                    i++;
                    type = Type.OTHER;
                }
                out.add(new Token(type, start, i, s.substring(start, i)));
            }
            return out;
        }

        /** End of a quoted token whose body starts at {@code i}; doubled quotes stay inside. */
        private static int quotedEnd(String s, int i, char quote, boolean backslashEscapes) {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (backslashEscapes && c == '\\') {
                    i += 2;
                } else if (c == quote) {
                    if (i + 1 < s.length() && s.charAt(i + 1) == quote) i += 2;
                    else return i + 1;
                } else {
                    i++;
                }
            }
            return s.length();
        }

        private static int blockCommentEnd(String s, int i) {
            int depth = 0;
            while (i < s.length()) {
                if (s.startsWith("/*", i)) {
                    depth++;
                    i += 2;
                } else if (s.startsWith("*/", i)) {
                    i += 2;
                    if (--depth == 0) return i;
                } else {
                    i++;
                }
            }
            return s.length();
        }

        /** End of a psql variable {@code :name}, {@code :'name'} or {@code :"name"} at {@code i}, or -1 ({@code ::}, {@code :=}). */
        private static int psqlVariableEnd(String s, int i) {
            if (i > 0 && s.charAt(i - 1) == ':') return -1;
            int k = i + 1;
            if (k >= s.length()) return -1;
            char c = s.charAt(k);
            if (c == '\'' || c == '"') {
                int close = s.indexOf(c, k + 1);
                return close < 0 ? -1 : close + 1;
            }
            if (!(Character.isLetter(c) || c == '_')) return -1;
            while (k < s.length() && (Character.isLetterOrDigit(s.charAt(k)) || s.charAt(k) == '_')) k++;
            return k;
        }

        /** End of the opening delimiter {@code $tag$} at {@code i}, or -1 when there is none. */
        private static int dollarTagEnd(String s, int i) {
            int k = i + 1;
            if (k < s.length() && s.charAt(k) == '$') return k + 1;
            if (k >= s.length() || !(Character.isLetter(s.charAt(k)) || s.charAt(k) == '_')) return -1;
            while (k < s.length() && (Character.isLetterOrDigit(s.charAt(k)) || s.charAt(k) == '_')) k++;
            return k < s.length() && s.charAt(k) == '$' ? k + 1 : -1;
        }
    }
}
