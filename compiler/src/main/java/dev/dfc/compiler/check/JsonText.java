package dev.dfc.compiler.check;

/**
 * Validates JSON text (RFC 8259, as PostgreSQL's json type reads it) written as a literal argument:
 * df.call's args, df.http_multipart's parts, a df.break value cast to json or jsonb. Reports the
 * first problem with its offsets in the text. Iterative (nesting a million levels deep costs no
 * stack) and never throws.
 */
final class JsonText {
    /** A problem at text[start, end). */
    record Problem(String message, int start, int end) {}

    /**
     * The kind of the top-level value: "object", "array", "string", "number", "boolean", "null";
     * null when it is a reference or variable (substituted at run time).
     */
    record Result(String kind, Problem problem) {}

    private final String text;
    private final boolean references;
    private int pos;

    private JsonText(String text, boolean references) {
        this.text = text;
        this.references = references;
    }

    /** Checks plain JSON text. */
    static Result check(String text) {
        return new JsonText(text, false).document();
    }

    /**
     * Checks JSON text in which the runtime substitutes references and variables when the step
     * runs: a {@code $name} form or a {@code {name}} where a value goes counts as a value (inside
     * strings they are text anyway).
     */
    static Result checkWithReferences(String text) {
        return new JsonText(text, true).document();
    }

    private Result document() {
        space();
        if (pos >= text.length()) return new Result(null, new Problem("malformed json: empty text", 0, text.length()));
        String kind = kind(text.charAt(pos));
        if (references) {
            // a reference or variable as the whole value: its kind is known only at run time
            int start = pos;
            if (substituted()) kind = null;
            pos = start;
        }
        StringBuilder open = new StringBuilder(); // the containers around pos: '{' or '[' per level
        boolean wantValue = true;
        while (true) {
            space();
            if (wantValue) {
                if (pos >= text.length()) return new Result(kind, expectedProblem("a value"));
                char c = text.charAt(pos);
                if (references && substituted()) {
                    wantValue = false;
                } else if (c == '{' || c == '[') {
                    open.append(c);
                    pos++;
                    space();
                    if (peek() == (c == '{' ? '}' : ']')) {
                        pos++;
                        open.setLength(open.length() - 1);
                        wantValue = false;
                    } else if (c == '{') {
                        Problem p = key();
                        if (p != null) return new Result(kind, p);
                    }
                } else {
                    Problem p = scalar();
                    if (p != null) return new Result(kind, p);
                    wantValue = false;
                }
            } else if (open.length() == 0) {
                if (pos < text.length()) {
                    return new Result(kind, new Problem("malformed json: unexpected text after the value", pos, text.length()));
                }
                return new Result(kind, null);
            } else {
                char in = open.charAt(open.length() - 1);
                char c = peek();
                if (c == ',') {
                    pos++;
                    space();
                    if (in == '{') {
                        Problem p = key();
                        if (p != null) return new Result(kind, p);
                    }
                    wantValue = true;
                } else if (c == (in == '{' ? '}' : ']')) {
                    pos++;
                    open.setLength(open.length() - 1);
                } else {
                    return new Result(kind, expectedProblem(in == '{' ? "',' or '}'" : "',' or ']'"));
                }
            }
        }
    }

    /** A reference or variable at pos, consumed; false when there is none. */
    private boolean substituted() {
        if (peek() == '{') {
            VarRef v = TextRefs.variableAt(text, pos);
            if (v == null) return false;
            pos = v.end();
            return true;
        }
        if (peek() != '$') return false;
        for (SqlRef r : TextRefs.references(text.substring(pos))) {
            if (r.start() == 0) {
                pos += r.end();
                return true;
            }
        }
        return false;
    }

    /** A key and its ':' (at pos, after white space). */
    private Problem key() {
        if (peek() != '"') return expectedProblem("a key in double quotes");
        int start = pos;
        if (!string()) return new Problem("malformed json: unterminated or invalid string", start, pos);
        space();
        if (peek() != ':') return expectedProblem("':' after the key");
        pos++;
        return null;
    }

    private Problem scalar() {
        int start = pos;
        char c = text.charAt(pos);
        if (c == '"') {
            return string() ? null : new Problem("malformed json: unterminated or invalid string", start, pos);
        }
        if (c == '-' || (c >= '0' && c <= '9')) return number() ? null : new Problem("malformed json: invalid number", start, pos);
        for (String word : new String[] {"true", "false", "null"}) {
            if (text.startsWith(word, pos)) {
                pos += word.length();
                return null;
            }
        }
        int end = pos;
        while (end < text.length() && !isDelimiter(text.charAt(end))) end++;
        return new Problem("malformed json: unexpected '" + text.substring(start, Math.max(end, start + 1)) + "'", start, Math.max(end, start + 1));
    }

    private boolean string() {
        pos++; // the opening quote
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return true;
            }
            if (c < 0x20) return false;
            if (c == '\\') {
                if (pos + 1 >= text.length()) return false;
                char e = text.charAt(pos + 1);
                if (e == 'u') {
                    if (pos + 6 > text.length()) return false;
                    for (int i = pos + 2; i < pos + 6; i++) {
                        if (Character.digit(text.charAt(i), 16) < 0) return false;
                    }
                    pos += 6;
                    continue;
                }
                if ("\"\\/bfnrt".indexOf(e) < 0) return false;
                pos += 2;
                continue;
            }
            pos++;
        }
        return false;
    }

    private boolean number() {
        if (peek() == '-') pos++;
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) pos++;
        } else {
            return false;
        }
        if (peek() == '.') {
            pos++;
            if (!isDigit(peek())) return false;
            while (isDigit(peek())) pos++;
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') pos++;
            if (!isDigit(peek())) return false;
            while (isDigit(peek())) pos++;
        }
        return true;
    }

    private Problem expectedProblem(String what) {
        if (pos >= text.length()) return new Problem("malformed json: unexpected end, expected " + what, text.length(), text.length());
        return new Problem("malformed json: expected " + what + ", found '" + text.charAt(pos) + "'", pos, pos + 1);
    }

    private static String kind(char c) {
        return switch (c) {
            case '{' -> "object";
            case '[' -> "array";
            case '"' -> "string";
            case 't', 'f' -> "boolean";
            case 'n' -> "null";
            default -> "number";
        };
    }

    private static boolean isDelimiter(char c) {
        return c == ',' || c == ']' || c == '}' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void space() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }
}
